"""``plan_task_tracking`` end to end with ``dag.test()`` over the demo data: 2021-06 on SQLite (run
twice: the rerun reproduces the report and sends nothing new) and on PostgreSQL.

The reports are compared with an independent reading of the department rows (plain SQL and the
contract's text, written here), not with the package's own functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json

import pendulum
import pytest

from tests import e2e
from tests.conftest import run_dag

pytestmark = pytest.mark.slow

DAG_ID = "plan_task_tracking"
CONTRACT_KEYS = {"period", "as_of", "targets", "counts", "units", "reminders", "escalated"}


def oracle(conn_json: str, month: str) -> dict:
    """The contract keys of month ``month``, straight from the rules' text."""
    import sqlalchemy as sa

    engine = e2e.engine_of(conn_json)
    with engine.connect() as conn:
        targets = conn.execute(sa.text("SELECT target_id, unit_code, target_value, start_on, due_on, curve "
                                       "FROM plan_targets")).all()
        milestones = conn.execute(sa.text("SELECT target_id, due_on, value FROM plan_milestones")).all()
        progress = conn.execute(sa.text("SELECT target_id, reported_on, value_cumulative FROM plan_progress")).all()
    engine.dispose()
    day = lambda v: dt.date.fromisoformat(str(v)[:10])

    def evaluate(key: str) -> dict:
        y, m = map(int, key.split("-"))
        first, as_of = dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])
        rows = {}
        for tid, unit, value, start, due, curve in targets:
            start, due, value = day(start), day(due), float(value)
            if start > as_of:
                continue
            reps = [(day(r), float(v)) for t, r, v in progress if t == tid and day(r) <= as_of]
            actual = max(reps)[1] if reps else None
            if curve == "linear":
                expected = round(value * min(1, ((as_of - start).days + 1) / ((due - start).days + 1)), 2)
            elif curve == "milestones":
                due_ms = [(day(d), float(v)) for t, d, v in milestones if t == tid and day(d) <= as_of]
                expected = round(max(due_ms)[1], 2) if due_ms else 0
            else:
                expected = value if due <= as_of else 0
            if actual is not None and actual >= value:
                status = "completed"
            elif due <= as_of:
                status = "overdue"
            elif not any(first <= r <= as_of for r, _ in reps):
                status = "unreported"
            elif expected == 0 or actual >= expected:
                status = "on_track"
            else:
                status = "behind"
            if status in ("completed", "on_track"):
                light = "green"
            elif status == "behind":
                light = "yellow" if actual >= 0.8 * expected else "red"
            else:
                light = "red"
            risk = (curve == "linear" and status in ("on_track", "behind")
                    and actual * ((due - start).days + 1) / ((as_of - start).days + 1) < value)
            rows[tid] = {"target_id": tid, "unit": unit, "expected": expected, "actual": actual, "status": status,
                         "light": light, "at_risk": risk}
        return rows

    now = evaluate(month)
    y, m = map(int, month.split("-"))
    before = evaluate(f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}")
    units = sorted({r["unit"] for r in now.values()})
    count = lambda rows: {c: sum(1 for r in rows if r["light"] == c) for c in ("green", "yellow", "red")}
    return {
        "targets": [now[t] for t in sorted(now)],
        "counts": count(now.values()),
        "units": [{"unit": u, **count([r for r in now.values() if r["unit"] == u])} for u in units],
        "reminders": sorted({r["unit"] for r in now.values() if r["light"] != "green"}),
        "escalated": sorted(t for t, r in now.items() if r["light"] == "red" and before.get(t, {}).get("light") == "red"),
    }


D_JUNE = pendulum.datetime(2021, 7, 2, 9, tz="Asia/Shanghai")  # the 2nd working day of July → 2021-06


env = e2e.env_fixture("tasks_e2e")


@pytest.fixture(scope="module")
def sqlite_runs(dagbag, demo_sqlite, env):
    return e2e.run_twice(dagbag, env, DAG_ID, D_JUNE, "2021-06", demo_sqlite)


def test_sqlite_run_writes_the_office_report_and_matches_the_oracle(sqlite_runs):
    assert [r.state for r in sqlite_runs["runs"]] == ["success", "success"]
    folder = sqlite_runs["dir"]
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert CONTRACT_KEYS <= set(report) and report["period"] == "2021-06" and report["as_of"] == "2021-06-30"
    assert {k: report[k] for k in CONTRACT_KEYS - {"period", "as_of"}} == oracle(
        sqlite_runs["conns"]["dept_supervision"], "2021-06")
    assert report["data_problems"] == []
    assert (folder / "tracking.docx").stat().st_size > 10_000 and (folder / "targets.xlsx").is_file()
    html = (folder / "tracking.html").read_text(encoding="utf-8")
    assert "任务清单督查月报" in html and "2021年6月" in html
    reds = [t["target_id"] for t in report["targets"] if t["light"] == "red"]
    assert reds and all((folder / f"burnup_{tid}.png").is_file() for tid in reds)
    assert all(f"burnup_{tid}.png" in html for tid in reds)
    for tid in report["escalated"]:
        assert tid in html


def test_sqlite_rerun_reproduces_the_report_and_sends_nothing_new(sqlite_runs):
    e2e.assert_rerun_sends_nothing_new(sqlite_runs, sent=3)


def test_notices_reminders_and_escalation(sqlite_runs):
    report = json.loads((sqlite_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    notices = sqlite_runs["out"] / "_notices"
    assert report["reminders"] and report["escalated"]
    for unit in report["reminders"]:
        [body] = [p.read_text(encoding="utf-8") for p in (notices / unit / DAG_ID / "2021-06").glob("task_reminder*.md")]
        own = [t for t in report["targets"] if t["unit"] == unit and t["light"] != "green"]
        assert all(t["target_id"] in body for t in own) and "预计完成" in body
    office = notices / "office" / DAG_ID / "2021-06"
    [escalation] = [p.read_text(encoding="utf-8") for p in office.glob("task_escalation*.md")]
    assert all(tid in escalation for tid in report["escalated"])
    assert list(office.glob("task_tracking*.md"))
    greens = {u["unit"] for u in report["units"]} - set(report["reminders"])
    assert greens and not any((notices / u / DAG_ID / "2021-06").exists() for u in greens)


def test_supervised_items_kept_in_gxq_ops(sqlite_runs):
    import sqlalchemy as sa

    report = json.loads((sqlite_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    reds = {t["target_id"] for t in report["targets"] if t["light"] == "red"}
    open_now = {s["target_id"] for s in report["supervision"] if s["state"] != "closed"}
    assert reds <= open_now
    assert any(s["state"] == "closed" for s in report["supervision"])  # the demo closes items in June
    engine = e2e.engine_of(sqlite_runs["conns"]["gxq_ops"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT item_id, state FROM plan_supervised_states WHERE period_key = '2021-06'")).all()
    engine.dispose()
    assert sorted(rows) == sorted((s["item_id"], s["state"]) for s in report["supervision"])


def test_postgres_run_matches_the_oracle(dagbag, demo_pg, env):
    mp, folder = env
    out = e2e.point(mp, folder / "pg", demo_pg)
    run = run_dag(dagbag, DAG_ID, D_JUNE, {"dry_run": True})
    assert run.state == "success"
    report = json.loads((out / DAG_ID / "2021-06" / "report.json").read_text(encoding="utf-8"))
    assert {k: report[k] for k in CONTRACT_KEYS - {"period", "as_of"}} == oracle(demo_pg["dept_supervision"], "2021-06")


def test_dashboard_section_shows_lights_escalations_reminders(sqlite_runs):
    report, data, page = e2e.dashboard_of(sqlite_runs, "tasks_section", dt.datetime(2021, 7, 5, 9))
    assert data["period"] == "2021-06" and data["counts"] == report["counts"]
    assert data["reminders"] == report["reminders"]
    assert [e["target_id"] for e in data["escalated"]] == report["escalated"]
    assert [i["item_id"] for i in data["supervision"]] == [s["item_id"] for s in report["supervision"]]
    assert 'id="tasks"' in page and "任务清单督查" in page and "已销号" in page
    assert all(tid in page for tid in report["escalated"])
