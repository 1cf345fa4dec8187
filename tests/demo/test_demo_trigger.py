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
