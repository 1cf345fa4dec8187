"""Waits for the freshly started Airflow, prints where to log in, triggers the demo runs and
unpauses the DAGs, so that each DAG runs its current period over the demo data (a rolling window
ending today): last week's bulletin, last month's 月兑现 and 月评价, last quarter's 季兑现 and 季调度,
this week's 宣传提醒. On unpausing the scheduler creates each DAG's latest scheduled run
(``catchup=False``); a demo run is triggered only where that run covers an earlier period, and
for the policy DAGs.

绩效考核: the scorecard scores last month from its producers' reports of that month. The demo runs
the producers' periods of that month that neither the scheduler nor a demo run covers (the earlier
weekly bulletins, an urgent-watch run at the month's last minute), keeps the scorecard paused until
every input of the month is in ``gxq_ops``, then unpauses and triggers it: it comes out complete.

    python scripts/demo_trigger.py --base-url http://localhost:8080          # what scripts/run.sh does
    python scripts/demo_trigger.py --demo-year                               # periods of 2021 instead

审核后报财政: the 月兑现 run is left waiting for the user in Required Actions (待办操作), where the
README says to approve it; the 季兑现 and 随时兑现 runs carry a demo approval (``approved_by`` /
``approval_ref``, the params of an approval given outside the UI) and are issued without waiting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from gxq import cadences

TZ = ZoneInfo("Asia/Shanghai")
DEMO_APPROVAL = {"approved_by": "演示审批人", "approval_ref": "演示数据 自动审批"}

# One demo period of 2021 per DAG (--demo-year, over `python -m gxq.demo.generate --demo-year`):
# (logical date in Asia/Shanghai, conf).
DEMO_YEAR_RUNS = {
    "petition_weekly_bulletin": ("2021-12-06T09:00:00+08:00", {}),
    "policy_redemption_monthly": ("2021-12-05T09:00:00+08:00", {}),
    "policy_redemption_quarterly": ("2021-10-11T09:00:00+08:00", {}),
    "policy_redemption_adhoc": ("2021-12-20T10:00:00+08:00", {"period": "2021-Q4"}),
    "innovation_monthly_evaluation": ("2021-12-06T09:00:00+08:00", {}),
    "innovation_quarterly_dispatch": ("2021-10-12T09:00:00+08:00", {}),
    "publicity_cadence_reminder": ("2021-12-10T15:00:00+08:00", {}),
    "plan_task_tracking": ("2021-12-02T09:00:00+08:00", {}),
}


def latest_slot(dag_id: str, now: dt.datetime) -> dt.datetime | None:
    """The logical date of the run the scheduler creates on unpausing (``catchup=False``: the
    latest scheduled one), in Asia/Shanghai; None without a working-day timetable."""
    timetable = cadences.timetable_for(dag_id)
    if getattr(timetable, "rule", None) is None or cadences.plain_schedules():
        return None  # manual, or a plain cron (a watch every few minutes: its next tick is near)
    slot = timetable.rule.last_at_or_before(now.astimezone(TZ).replace(tzinfo=None))
    return slot.logical.replace(tzinfo=TZ) if slot is not None else None


def scheduler_covers(dag_id: str, now: dt.datetime) -> bool:
    """Does the run the scheduler creates on unpausing cover the same period as a run now? Then a
    demo run would only do the same work twice."""
    slot = latest_slot(dag_id, now)
    return slot is not None and cadences.covers(dag_id, slot).key == cadences.covers(dag_id, now).key


def current_runs(now: dt.datetime) -> dict[str, tuple[str, dict]]:
    """The demo runs at ``now`` (their logical date), each covering its DAG's current period: for
    every DAG whose latest scheduled run, created on unpausing, does not cover that period already,
    and for the policy DAGs (their demo runs carry the demo approval)."""
    logical = now.astimezone(TZ).replace(second=0, microsecond=0).isoformat()
    runs = {}
    for cadence in cadences.CADENCES:
        if cadence.dag_id in SCHEDULED_ONLY or cadence.frequency == "adhoc":
            continue  # 随时兑现 is an operator's decision: it would pay the monthly batch's awards
        covered = scheduler_covers(cadence.dag_id, now)
        if covered and (cadence.area != "policy" or cadence.dag_id == WAITS_FOR_REVIEW):
            continue  # (the 月兑现: its scheduled run is the batch left waiting for approval)
        if covered:
            # One run per period: the approved demo run takes the scheduled run's logical date, so
            # the scheduler, finding it, creates no second run that would wait to approve a batch
            # already issued.
            runs[cadence.dag_id] = (latest_slot(cadence.dag_id, now).isoformat(), {})
        else:
            runs[cadence.dag_id] = (logical, {})
    return runs


# The deadline watch checks that the bulletin is out by noon of its day: a demo run beside the
# bulletin's own would only report it late. It runs on its schedule. (随时兑现 is manual.)
SCHEDULED_ONLY = {"petition_bulletin_deadline_watch"}


# The batch the demo leaves for the user to approve in the UI; the other redemption runs are approved.
WAITS_FOR_REVIEW = "policy_redemption_monthly"
APPROVED_BY_PARAM = {"policy_redemption_quarterly", "policy_redemption_adhoc"}


def with_approval(dag_id: str, conf: dict) -> dict:
    return {**conf, **DEMO_APPROVAL} if dag_id in APPROVED_BY_PARAM else conf


SCORECARD = "unit_performance_scorecard"


def covered_keys(dag_id: str, now: dt.datetime, runs: dict[str, tuple[str, dict]]) -> set[str]:
    """The report keys of ``dag_id`` that the scheduler's run on unpausing and the demo run make."""
    keys = set()
    slot = latest_slot(dag_id, now)
    if slot is not None:
        keys.add(cadences.report_key(dag_id, slot))
    if dag_id in runs:
        keys.add(cadences.report_key(dag_id, dt.datetime.fromisoformat(runs[dag_id][0])))
    return keys


def input_runs(now: dt.datetime, runs: dict[str, tuple[str, dict]]) -> list[tuple[str, str, dict]]:
    """(dag_id, report key, conf) of the producers' runs the scorecard's month still needs at
    ``now``: the periods of last month its inputs give (gxq.scorecard.compute.needed_keys) that no run
    of ``runs`` or of the scheduler covers; for the urgent watch (any run in the month) a run at the
    month's last ten-minute tick when none falls in the month."""
    from gxq.scorecard.compute import needed_keys

    month = cadences.covers(SCORECARD, now)
    out = []
    for spec in cadences.get(SCORECARD).inputs:
        if spec.dag_id not in cadences.BY_ID:
            continue
        covered = covered_keys(spec.dag_id, now, runs)
        if spec.need == "runs":
            if not any(k.startswith(f"{month.key}-") for k in covered):
                as_of = dt.datetime.combine(month.last_day, dt.time(23, 50), tzinfo=TZ)
                out.append((spec.dag_id, cadences.report_key(spec.dag_id, as_of),
                            {"as_of": as_of.strftime("%Y-%m-%dT%H:%M")}))
            continue
        out += [(spec.dag_id, key, {"period": key}) for key in needed_keys(spec.need, month) if key not in covered]
    return out


def inputs_missing(month_key: str) -> list[str]:
    """The scorecard's missing inputs of ``month_key`` (``dag_id period``), read from gxq_ops as its
    own run reads them."""
    from gxq import periods
    from gxq.connections import OPS_CONN_ID, engine_for
    from gxq.scorecard.compute import gather

    try:
        missing = gather(engine_for(OPS_CONN_ID), periods.parse_key(month_key, ("month",)))[1]
    except Exception as exc:  # noqa: BLE001 - gxq_ops not made yet by the first task: everything is missing
        return [f"gxq_ops ({type(exc).__name__})"]
    return [f"{m['dag_id']} {m['period']}" for m in missing]


def expected_dag_ids() -> list[str]:
    return sorted(p.stem for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_"))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def trigger(s: requests.Session, base: str, dag_id: str, key: str, logical_date: str | None, conf: dict,
            why: str = "demo run") -> None:
    """Trigger one run (``demo__<key>``). A busy api-server (a timeout, or a 5xx: its SQLite metadata
    database locked) gets two more tries; a try that made the run finds it (409: exists)."""
    body = {"dag_run_id": f"demo__{key}", "logical_date": logical_date, "conf": conf}
    for attempt in (1, 2, 3):
        try:
            r = s.post(f"{base}/api/v2/dags/{dag_id}/dagRuns", json=body, timeout=60)
            state = "triggered" if r.ok else ("exists" if r.status_code == 409 else
                                              f"failed {r.status_code} {r.text[:200]}")
            if r.status_code < 500:
                break
        except requests.RequestException as exc:
            state = f"failed ({type(exc).__name__}, attempt {attempt})"
        time.sleep(5)
    print(f"[run] {dag_id}: {why} for {key} (logical date {logical_date or 'none'}) {state}", flush=True)


def unpause(s: requests.Session, base: str, dag_id: str) -> None:
    try:
        s.patch(f"{base}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=60).raise_for_status()
    except requests.RequestException as exc:
        print(f"[run] {dag_id}: unpausing failed ({exc}); unpause it in the UI", file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", default="http://localhost:8080")
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--inputs-timeout", type=int, default=600,
                    help="seconds to wait for the scorecard's inputs before triggering it anyway")
    ap.add_argument("--demo-year", action="store_true", help="trigger periods of 2021 (the --demo-year data)")
    args = ap.parse_args()
    base = args.base_url.rstrip("/")
    deadline = time.monotonic() + args.timeout
    t0 = time.monotonic()

    while True:
        if args.pid and not alive(args.pid):
            print("[run] airflow standalone exited; see its log", file=sys.stderr)
            return 1
        try:
            health = requests.get(f"{base}/api/v2/monitor/health", timeout=3).json()
            states = {k: v.get("status") for k, v in health.items() if isinstance(v, dict)}
            if states and all(s == "healthy" for s in states.values()):
                break
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() > deadline:
            print("[run] Airflow did not become healthy in time", file=sys.stderr)
            return 1
        time.sleep(2)
    print(f"[run] Airflow healthy after {time.monotonic() - t0:.0f}s: {json.dumps(states)}")

    pw_file = Path(os.environ["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    while not pw_file.exists() and time.monotonic() < deadline:
        time.sleep(1)
    users = json.loads(pw_file.read_text())
    user, password = next(iter(users.items()))
    print("=" * 72)
    print(f"  Airflow UI:  {base}/")
    print(f"  Login:       {user} / {password}   (from {pw_file})")
    print(f"  营商环境看板: {base}/gxq/")
    print(f"  Reports:     {os.environ.get('GXQ_OUTPUT_DIR')}/<dag_id>/<period>/report.json")
    print("=" * 72)

    token = requests.post(f"{base}/auth/token", json={"username": user, "password": password}, timeout=60)
    token.raise_for_status()
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    wanted = expected_dag_ids()
    while True:
        r = s.get(f"{base}/api/v2/dags", params={"limit": 100}, timeout=60)
        r.raise_for_status()
        present = {d["dag_id"] for d in r.json()["dags"]}
        if set(wanted) <= present or time.monotonic() > deadline:
            break
        time.sleep(2)
    missing = sorted(set(wanted) - present)
    if missing:
        print(f"[run] WARNING: DAGs not loaded (check import errors in the UI): {missing}", file=sys.stderr)

    now = dt.datetime.now(TZ)
    runs = DEMO_YEAR_RUNS if args.demo_year else current_runs(now)
    # the scorecard stays paused until its month's inputs are issued (not with --demo-year: it has no run there)
    scorecard = SCORECARD if not args.demo_year and SCORECARD in runs and SCORECARD in present else None
    for dag_id in sorted(present & set(wanted)):
        if dag_id not in runs:
            print(f"[run] {dag_id}: no demo run (manual, or its latest scheduled run, created on unpausing, "
                  "covers the period)")
            continue
        logical_date, conf = runs[dag_id]
        key = cadences.report_key(dag_id, dt.datetime.fromisoformat(logical_date)) if dag_id in cadences.BY_ID \
            else logical_date[:10]
        if dag_id == scorecard:
            continue
        trigger(s, base, dag_id, key, logical_date, with_approval(dag_id, conf))
    for dag_id in sorted(present & set(wanted) - {scorecard}):
        unpause(s, base, dag_id)
    if scorecard:
        # after unpausing: the scheduler's runs of the current periods come first (max_active_runs=1)
        for dag_id, key, conf in input_runs(now, runs):
            if dag_id in present:
                trigger(s, base, dag_id, key, None, conf, why="绩效考核 input")
    print("[run] DAGs unpaused; first reports appear under output/ within minutes.")
    if scorecard:
        logical_date = runs[scorecard][0]
        month = cadences.report_key(scorecard, dt.datetime.fromisoformat(logical_date))
        started, missing = time.monotonic(), inputs_missing(month)
        while missing and time.monotonic() - started < args.inputs_timeout:
            time.sleep(5)
            missing = inputs_missing(month)
        waited = f"{time.monotonic() - started:.0f} s"
        print(f"[run] {scorecard}: the inputs of {month} " + (f"are issued ({waited})" if not missing else
              f"still miss after {waited}: {', '.join(missing)}"), flush=True)
        unpause(s, base, scorecard)
        trigger(s, base, scorecard, month, logical_date, {})

        print(f"[run] 审核后报财政: the {WAITS_FOR_REVIEW} batch waits for you in Required Actions (待办操作): "
              f"{base}/required_actions — approve it there (README: the demo batch waiting for approval).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
