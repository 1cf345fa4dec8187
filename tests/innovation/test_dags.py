"""End-to-end ``dag.test()`` runs over the demo data: monthly on SQLite (run twice: the rerun must
reproduce the report and send nothing again) and quarterly on PostgreSQL. Three runs in all; the
tests share them through module-scoped fixtures.

The reports are checked against a small independent reading of the department rows (plain SQL,
computed here), not against the package's own functions.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pendulum
import pytest

from tests import e2e
from tests.conftest import run_dag

pytestmark = pytest.mark.slow

MONTHLY = "innovation_monthly_evaluation"
QUARTERLY = "innovation_quarterly_dispatch"
MONTHLY_KEYS = {"period", "projects", "counts", "indicators", "composite_score", "units"}


def reference_lights(conn_json: str, months: list[str]) -> dict[str, dict[str, tuple[str, float | None]]]:
    """{month: {project_id: (status, gap)}} straight from the rules' text, for active projects."""
    import calendar
    import datetime as dt

    import sqlalchemy as sa

    engine = e2e.engine_of(conn_json)
    with engine.connect() as conn:
        projects = conn.execute(sa.text("SELECT project_id, start_on FROM projects")).all()
        rows = conn.execute(sa.text(
            "SELECT project_id, month, plan_progress_pct, actual_progress_pct, reported_at FROM project_monthly")).all()
    engine.dispose()
    latest: dict[tuple, tuple] = {}
    for pid, month, plan, actual, reported in rows:
        stamp = str(reported or "")
        key = (pid, month)
        gap = round(float(plan or 0) - float(actual or 0), 2)
        if key not in latest or (stamp, gap) > latest[key][0]:
            latest[key] = ((stamp, gap), gap)
    out = {}
    for month in months:
        y, m = map(int, month.split("-"))
        last = dt.date(y, m, calendar.monthrange(y, m)[1]).isoformat()
        lights = {}
        for pid, start in projects:
            if start is None or str(start)[:10] > last:
                continue
            if (pid, month) not in latest:
                lights[pid] = ("unreported", None)
                continue
            gap = latest[(pid, month)][1]
            lights[pid] = ("green" if gap <= 10 else "yellow" if gap <= 30 else "red", gap)
        out[month] = lights
    return out


env = e2e.env_fixture("innovation_e2e")


@pytest.fixture(scope="module")
def monthly_runs(dagbag, demo_sqlite, env):
    """The monthly DAG for D = 2021-04-06 09:00 (→ 2021-03) on SQLite, then the same D again."""
    d = pendulum.datetime(2021, 4, 6, 9, tz="Asia/Shanghai")
    return e2e.run_twice(dagbag, env, MONTHLY, d, "2021-03", demo_sqlite, name="monthly")


def test_monthly_run_succeeds_with_files(monthly_runs):
    assert [r.state for r in monthly_runs["runs"]] == ["success", "success"]
    names = {p.name for p in monthly_runs["dir"].iterdir()}
    assert {"report.json", "scorecard.html", "scorecard.xlsx", "composite_trend.png", "unit_lights.png",
            "notifications.json"} <= names


def test_monthly_report_matches_the_rules(monthly_runs):
    report = json.loads((monthly_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    assert MONTHLY_KEYS <= set(report) and report["period"] == "2021-03"
    reference = reference_lights(monthly_runs["conns"]["dept_innovation"], ["2021-03"])["2021-03"]
    assert reference, "the demo data has no active project in March 2021"
    assert [p["project_id"] for p in report["projects"]] == sorted(reference)
    assert {p["project_id"]: (p["status"], p["gap"]) for p in report["projects"]} == reference
    counts = defaultdict(int)
    for status, _ in reference.values():
        counts[status] += 1
    assert report["counts"] == {s: counts[s] for s in ("green", "yellow", "red", "unreported")}
    assert [u["unit"] for u in report["units"]] == sorted({p["responsible_unit"] for p in report["projects"]
                                                           if p["responsible_unit"]})
    assert sum(sum(u[s] for s in report["counts"]) for u in report["units"]) == sum(
        1 for p in report["projects"] if p["responsible_unit"])
    codes = [i["indicator_code"] for i in report["indicators"]]
    assert codes == sorted(codes) and all(set(i) == {"indicator_code", "completion"} for i in report["indicators"])
    assert report["composite_score"] is None or 0 <= report["composite_score"] <= 120


def test_monthly_rerun_reproduces_report_and_sends_nothing_twice(monthly_runs):
    e2e.assert_rerun_sends_nothing_new(monthly_runs, sent=2)


def test_monthly_notices_reach_office_and_units(monthly_runs):
    report = json.loads((monthly_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    notices = monthly_runs["out"] / "_notices"
    office = notices / "office" / MONTHLY / "2021-03"
    assert any(p.name.startswith("innovation_scorecard") for p in office.iterdir())
    for unit in (u["unit"] for u in report["units"]):
        files = list((notices / unit / MONTHLY / "2021-03").glob("innovation_monthly*.md"))
        assert files, f"no notice for {unit}"
        body = files[0].read_text(encoding="utf-8")
        own = [p["project_id"] for p in report["projects"] if p["responsible_unit"] == unit]
        assert all(pid in body for pid in own)


@pytest.fixture(scope="module")
def quarterly_run(dagbag, demo_pg, env):
    """The quarterly DAG for D = 2021-04-12 09:00 (→ 2021-Q1) on PostgreSQL."""
    mp, folder = env
    out = e2e.point(mp, folder / "quarterly", demo_pg)
    run = run_dag(dagbag, QUARTERLY, pendulum.datetime(2021, 4, 12, 9, tz="Asia/Shanghai"))
    return {"run": run, "out": out, "dir": out / QUARTERLY / "2021-Q1", "conns": demo_pg}


def test_quarterly_run_on_postgres(quarterly_run):
    assert quarterly_run["run"].state == "success"
    folder = quarterly_run["dir"]
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["period"] == "2021-Q1" and {"period", "dispatch"} <= set(report)
    months = ["2021-01", "2021-02", "2021-03"]
    ref = reference_lights(quarterly_run["conns"]["dept_innovation"], months)
    expected = []
    for pid in sorted(set().union(*(ref[m] for m in months))):
        statuses = {m: ref[m][pid][0] for m in months if pid in ref[m]}
        bad = [m for m, s in statuses.items() if s in ("red", "unreported")]
        if statuses.get("2021-03") in ("red", "unreported") or len(bad) >= 2:
            expected.append((pid, statuses))
    assert [(d["project_id"], d["statuses"]) for d in report["dispatch"]] == expected
    assert all(set(d) == {"project_id", "responsible_unit", "statuses"} for d in report["dispatch"])
    assert (folder / "agenda.docx").stat().st_size > 5000 and (folder / "agenda.html").is_file()
    for pid in report["supervision_letters"]:
        assert (folder / "letters" / f"督办函_{pid}.docx").is_file()
    office = quarterly_run["out"] / "_notices" / "office" / QUARTERLY / "2021-Q1"
    assert any(p.name.startswith("innovation_agenda") for p in office.iterdir())
