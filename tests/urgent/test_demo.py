"""The rolling demo puts urgent petitions around the moment it is seeded: the watch's first run
after scripts/run.sh unpauses it (its latest 10-minute mark, within ten minutes) has alerts, a 督办
and a non-empty 看板 section; a rolling window of another day stays as it was (no such rows)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from gxq import periods
from gxq.demo import generate, window
from gxq.urgent import watch

NOW = dt.datetime(2026, 12, 3, 15, 7)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("urgent_demo") / "dept_petitions.db"
    generate.seed({"dept_petitions": f"sqlite:///{path}"}, scale=0.2, window=window.rolling(NOW.date(), now=NOW))
    engine = sa.create_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("minutes_before", [0, 7, 10])
def test_the_first_run_has_alerts(seeded, minutes_before):
    period = periods.minute_period(NOW - dt.timedelta(minutes=minutes_before))
    report = watch.compute(watch.read_rows(seeded, period.start), period)
    stages = {a["stage"] for a in report["alerts"]}
    assert stages == {"dispatch_overdue", "feedback_overdue", "dispatch_due_soon", "feedback_due_soon"}
    assert "P20261203U1" in report["escalated"]
    assert any(w["stage"] == "in_time" for w in report["watched_petitions"])


def test_another_day_has_no_urgent_rows_around_a_moment():
    from gxq.demo import petitions

    past = window.rolling(window.today_local() - dt.timedelta(days=3))
    assert past.now is None and window.DEMO_YEAR.now is None
    ids = [row[0] for table, row in petitions.generate(generate.rng_for(2021, "dept_petitions"), 0.05, past)
           if table == "petitions"]
    assert ids and not any("U" in pid for pid in ids)
