"""突增 backtest on the demo year (``gxq.petitions.backtest``): 3× bursts of a quiet topic in 10
weeks drawn with a fixed seed, injected into the department data and counted by the bulletin's own
statements. The figures are printed by ``python -m gxq.petitions.backtest``; here they are held to
bounds, so that a change of the rule or of the counting that loses bursts or raises false alarms
fails."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq.petitions import backtest, rules


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return backtest.backtest(tmp_path_factory.mktemp("surge_backtest"))


def test_the_weeks_are_52_with_a_baseline_inside_the_demo_data():
    from gxq.demo import petitions as demo

    weeks = backtest.backtest_weeks()
    assert len(weeks) == 52
    assert weeks[0].first_day - dt.timedelta(weeks=8) >= demo.FIRST_DAY
    assert weeks[-1].last_day <= demo.LAST_DAY


def test_bursts_are_three_times_the_week_in_the_counts(result):
    assert len(result["bursts"]) == backtest.BURSTS
    assert result["rows_added"] > 0
    for b in result["bursts"]:
        assert b["complaints"] == 3 * b["before"], b["week"]


def test_a_burst_is_detected_exactly_when_it_passes_the_rule(result):
    for b in result["bursts"]:
        passes = b["complaints"] >= rules.SURGE_MIN_COMPLAINTS and b["complaints"] > b["threshold"]
        assert b["detected"] is passes, b


def test_detection_rate_and_false_alarms(result):
    # measured: 4 of 10 (6 of 10 when each burst is alone: earlier bursts in a baseline raise σ);
    # 1 false alarm in the 42 other weeks (1.24 per 52 weeks)
    assert result["detected"] >= 4
    assert sum(b["detected_alone"] for b in result["bursts"]) >= 6
    assert result["false_alarms_per_52_weeks"] <= 2.5
    assert result["other_weeks"] == 42
