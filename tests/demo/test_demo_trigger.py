"""scripts/demo_trigger.py makes one run per period (issue 22.5): a fresh ``scripts/run.sh`` shows
no review for a period the demo has issued. The approved demo run of a policy DAG whose latest
scheduled run (created on unpausing) covers the same period takes that run's logical date, so the
scheduler finds it and creates no second run waiting to approve a batch already issued."""

from __future__ import annotations

import datetime as dt
import importlib.util
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import REPO

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def demo_trigger():
    spec = importlib.util.spec_from_file_location("gxq_demo_trigger", REPO / "scripts" / "demo_trigger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("now", [dt.datetime(2026, 12, 6, 10, 0, tzinfo=TZ), dt.datetime(2026, 10, 20, 9, 0, tzinfo=TZ),
                                 dt.datetime(2026, 7, 15, 9, 0, tzinfo=TZ)])
def test_one_run_per_period(demo_trigger, now):
    from gxq import cadences

    runs = demo_trigger.current_runs(now)
    quarterly = "policy_redemption_quarterly"
    assert quarterly in runs and demo_trigger.with_approval(quarterly, runs[quarterly][1])["approved_by"]
    for dag_id, (logical, _conf) in runs.items():
        slot = demo_trigger.latest_slot(dag_id, now)
        if slot is None or cadences.covers(dag_id, slot).key != cadences.covers(dag_id, now).key:
            continue  # the scheduler's own run covers another period
        # the scheduler's run of this period is the demo run itself (same logical date): one run
        assert dt.datetime.fromisoformat(logical) == slot, (dag_id, logical, slot)
    # the 月兑现 is left to its scheduled run, which waits for the user (README)
    assert "policy_redemption_monthly" not in runs or not demo_trigger.scheduler_covers("policy_redemption_monthly", now)


@pytest.mark.parametrize("now", [dt.datetime(2026, 12, 6, 10, 0, tzinfo=TZ), dt.datetime(2026, 12, 2, 8, 0, tzinfo=TZ),
                                 dt.datetime(2026, 10, 20, 9, 0, tzinfo=TZ), dt.datetime(2026, 7, 1, 9, 0, tzinfo=TZ)])
def test_the_scorecards_month_gets_every_input(demo_trigger, now):
    """Issue 27: the demo's scorecard scores last month; with the scheduler's runs, the demo runs and
    the input runs, every report of that month its inputs give is made (so it comes out complete),
    and no input run repeats a period another run makes."""
    from gxq import cadences
    from gxq.scorecard.compute import needed_keys

    runs = demo_trigger.current_runs(now)
    scorecard = demo_trigger.SCORECARD
    month = cadences.covers(scorecard, now)
    assert month.key == cadences.report_key(scorecard, dt.datetime.fromisoformat(runs[scorecard][0]))
    extra = demo_trigger.input_runs(now, runs)
    for spec in cadences.get(scorecard).inputs:
        made = demo_trigger.covered_keys(spec.dag_id, now, runs)
        added = [(key, conf) for dag_id, key, conf in extra if dag_id == spec.dag_id]
        assert not made & {key for key, _ in added}, (spec.dag_id, made, added)  # one run per period
        made |= {key for key, _ in added}
        if spec.need == "runs":  # a watch run in the month, at a minute of it
            assert any(key.startswith(f"{month.key}-") for key in made), (spec.dag_id, made)
            for key, conf in added:
                assert cadences.report_key(spec.dag_id, dt.datetime.fromisoformat(conf["as_of"]).replace(tzinfo=TZ)) == key
        else:
            assert set(needed_keys(spec.need, month)) <= made, (spec.dag_id, month.key, made)
            assert all(conf == {"period": key} for key, conf in added)
    # the earlier weeks' bulletins of the month are among the input runs on 2026-12-06
    if now == dt.datetime(2026, 12, 6, 10, 0, tzinfo=TZ):
        assert [k for d, k, _ in extra if d == "petition_weekly_bulletin"] == ["2026-W45", "2026-W46", "2026-W47"]
