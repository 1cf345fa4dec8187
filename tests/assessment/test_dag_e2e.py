"""``assessment_rectification`` end to end with ``dag.test()`` over the demo data: 2021-W38 on SQLite
(run twice: the rerun reproduces the report and sends nothing new) and on PostgreSQL.

The reports are compared with an independent reading of the department rows (plain SQL and the
contract's text, written here), not with the package's own functions.
"""

from __future__ import annotations

import datetime as dt
import json

import pendulum
import pytest

from tests import e2e
from tests.conftest import run_dag

pytestmark = pytest.mark.slow

DAG_ID = "assessment_rectification"
WEEK = "2021-W38"
D = pendulum.datetime(2021, 9, 28, 10, tz="Asia/Shanghai")  # Tuesday after W38 (09-20 … 09-26)
CONTRACT_KEYS = {"period", "as_of", "rounds", "findings_overdue", "awaiting_verification", "indicators",
                 "reminders", "escalated"}


def oracle(conn_json: str, as_of: dt.date) -> dict:
    """The contract keys as of ``as_of``, straight from the contract's text."""
    import sqlalchemy as sa

    engine = e2e.engine_of(conn_json)
    with engine.connect() as conn:
        rounds = conn.execute(sa.text("SELECT round, published_on FROM assessment_rounds")).all()
        units = dict(conn.execute(sa.text("SELECT indicator_code, unit_code FROM assessment_indicators")).all())
        scores = conn.execute(sa.text("SELECT round, indicator_code, score, city_rank FROM assessment_scores")).all()
        findings = conn.execute(sa.text("SELECT finding_id, round, unit_code, due_on, rectified_on, verified_on "
                                        "FROM assessment_findings")).all()
    engine.dispose()
    day = lambda v: None if v in (None, "") else dt.date.fromisoformat(str(v)[:10])
    counted = sorted(r for r, p in rounds if day(p) <= as_of)
    rows = []
    for fid, r, unit, due, rect, ver in findings:
        if r not in counted:
            continue
        due, rect, ver = day(due), day(rect), day(ver)
        rectified = (rect is not None and rect <= as_of) or (rect is None and ver is not None and ver <= as_of)
        verified = ver is not None and ver <= as_of
        rows.append({"id": fid, "round": r, "unit": unit, "due": due, "rectified": rectified, "verified": verified,
                     "overdue": not rectified and due < as_of})
    per_round = []
    for r in counted:
        mine = [x for x in rows if x["round"] == r]
        v = sum(x["verified"] for x in mine)
        per_round.append({"round": r, "findings": len(mine), "rectified": sum(x["rectified"] for x in mine),
                          "verified": v, "overdue": sum(x["overdue"] for x in mine),
                          "closure_rate": round(v / len(mine), 4) if mine else None})
    overdue = sorted(({"finding_id": x["id"], "round": x["round"], "unit": x["unit"], "due_on": x["due"].isoformat(),
                       "days_overdue": (as_of - x["due"]).days} for x in rows if x["overdue"]),
                     key=lambda o: (-o["days_overdue"], o["finding_id"]))
    indicators = []
    for code in sorted({c for r, c, *_ in scores if r in counted}):
        mine = sorted((r, float(s), rank) for r, c, s, rank in scores if c == code and r in counted)
        rank = mine[-1][2]
        indicators.append({"indicator_code": code, "unit": units[code], "scores": {r: s for r, s, _ in mine},
                           "change": round(mine[-1][1] - mine[0][1], 2) if len(mine) > 1 else None,
                           "city_rank": rank, "target_met": None if rank is None else rank <= 3})
    return {
        "rounds": per_round, "findings_overdue": overdue,
        "awaiting_verification": sorted(x["id"] for x in rows if x["rectified"] and not x["verified"]),
        "indicators": indicators,
        "reminders": sorted({o["unit"] for o in overdue}),
        "escalated": sorted(o["finding_id"] for o in overdue if o["days_overdue"] >= 30),
    }


env = e2e.env_fixture("assessment_e2e")


@pytest.fixture(scope="module")
def sqlite_runs(dagbag, demo_sqlite, env):
    return e2e.run_twice(dagbag, env, DAG_ID, D, WEEK, demo_sqlite)


def test_sqlite_run_matches_the_oracle(sqlite_runs):
    assert [r.state for r in sqlite_runs["runs"]] == ["success", "success"]
    report = json.loads((sqlite_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    assert CONTRACT_KEYS <= set(report) and report["period"] == WEEK and report["as_of"] == "2021-09-26"
    expected = oracle(sqlite_runs["conns"]["dept_supervision"], dt.date(2021, 9, 26))
    assert {k: report[k] for k in CONTRACT_KEYS - {"period", "as_of"}} == expected
    # the demo week has every kind of work in it
    assert report["reminders"] and report["escalated"] and report["awaiting_verification"]
    assert report["due_soon"] and report["reported_rectified"] and report["data_problems"] == []
    assert [r["round"] for r in report["rounds"]] == ["2021-03", "2021-06"]  # 2021-09 is published 10-08
    assert len(report["indicators"]) == 21


def test_rerun_reproduces_the_report_and_sends_nothing_twice(sqlite_runs):
    e2e.assert_rerun_sends_nothing_new(sqlite_runs, sent=5)


def test_notices_reach_their_tags_once(sqlite_runs):
    from gxq.notify.outbox import rows

    report = json.loads((sqlite_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    notices = sqlite_runs["out"] / "_notices"
    for unit in report["reminders"]:
        [body] = [p.read_text(encoding="utf-8") for p in (notices / unit / DAG_ID / WEEK).glob("rectification_reminder*.md")]
        assert all(f["finding_id"] in body for f in report["findings_overdue"] if f["unit"] == unit)
        assert all(f["finding_id"] not in body for f in report["findings_overdue"] if f["unit"] != unit)
    office = notices / "office" / DAG_ID / WEEK
    [escalation] = [p.read_text(encoding="utf-8") for p in office.glob("rectification_escalation*.md")]
    assert all(fid in escalation for fid in report["escalated"])
    [reported] = [p.read_text(encoding="utf-8") for p in office.glob("rectification_reported*.md")]
    assert all(fid in reported for fid in report["reported_rectified"])
    details = {d["finding_id"]: d for d in report["finding_details"]}
    for fid in report["due_soon"]:
        [soon] = [p.read_text(encoding="utf-8")
                  for p in (notices / details[fid]["unit"] / DAG_ID / WEEK).glob("rectification_due_soon*.md")]
        assert fid in soon
    office_report = office / "rectification_report.md"
    assert {p.name for p in (office / "rectification_report.files").iterdir()} == {
        "rectification.docx", "rectification.html", "ledger.xlsx"}
    assert "整改通报" in office_report.read_text(encoding="utf-8")
    # the outbox holds each (recipient, kind) of the week once, sent, after two runs
    engine = e2e.engine_of(sqlite_runs["conns"]["gxq_ops"])
    try:
        outbox = rows(engine, DAG_ID, WEEK)
    finally:
        engine.dispose()
    keys = [(r["recipient"], r["kind"]) for r in outbox]
    assert len(keys) == len(set(keys)) and {r["status"] for r in outbox} == {"sent"}
    assert {(u, "rectification_reminder") for u in report["reminders"]} <= set(keys)


def test_documents_render(sqlite_runs):
    import docx
    import openpyxl

    folder = sqlite_runs["dir"]
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(folder / "ledger.xlsx")
    ledger = wb["整改台账"]
    header = [c.value for c in ledger[1]]
    assert {"评估轮次", "责任单位", "指标"} <= set(header)
    assert ledger.max_row == len(report["finding_details"]) + 1
    assert ledger.auto_filter.ref == f"A1:{ledger.cell(1, len(header)).column_letter}{ledger.max_row}"
    states = {ledger.cell(r, header.index(f"状态（截至{report['as_of']}）") + 1).value for r in range(2, ledger.max_row + 1)}
    assert {"逾期未整改", "已整改待验收", "已验收销号"} <= states
    document = docx.Document(str(folder / "rectification.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "营商环境评估问题整改通报" in text and "2021年第38周" in text
    assert len(document.inline_shapes) == 1 and len(document.tables) >= 4
    html = (folder / "rectification.html").read_text(encoding="utf-8")
    assert 'src="indicators.png"' in html and (folder / "indicators.png").stat().st_size > 20_000
    assert all(fid in html for fid in report["escalated"])


def test_postgres_run_matches_the_oracle(dagbag, demo_pg, env):
    mp, folder = env
    out = e2e.point(mp, folder / "pg", demo_pg)
    run = run_dag(dagbag, DAG_ID, D, {"dry_run": True})
    assert run.state == "success"
    report = json.loads((out / DAG_ID / WEEK / "report.json").read_text(encoding="utf-8"))
    expected = oracle(demo_pg["dept_supervision"], dt.date(2021, 9, 26))
    assert {k: report[k] for k in CONTRACT_KEYS - {"period", "as_of"}} == expected
    notices = json.loads((out / DAG_ID / WEEK / "notifications.json").read_text(encoding="utf-8"))
    assert notices["sent"] == 0 and notices["dry_run"] >= 5


def test_dashboard_section_reads_the_stored_report(sqlite_runs):
    report, data, page = e2e.dashboard_of(sqlite_runs, "assessment_section", dt.datetime(2021, 9, 28, 11))
    assert data["period"] == WEEK and data["as_of"] == report["as_of"]
    assert [(r["round"], r["closure_rate"]) for r in data["rounds"]] == [
        (r["round"], r["closure_rate"]) for r in report["rounds"]]
    overdue_units = {f["unit"] for f in report["findings_overdue"]}
    assert {u["unit"] for u in data["units"]} == overdue_units
    assert sum(u["overdue"] for u in data["units"]) == len(report["findings_overdue"])
    assert all(u["reminded"] for u in data["units"])
    below = {i["indicator_code"] for i in report["indicators"] if i["target_met"] is False}
    assert below and {i["indicator_code"] for i in data["below"]} == below
    assert 'id="assessment"' in page and "三轮评估 整改跟踪" in page and "第一轮（2021年3月）" in page
    assert all(code in page for code in below)
