"""What people read and who is told what, on a small hand-built department database (no Airflow run):
scorecard HTML/Excel with charts, agenda Word/HTML, 督办函, notices, period validation."""

from __future__ import annotations

import json

import pytest
from gxq.innovation import notices, pipeline, render
from gxq.run import Run, RunError

MONTHLY, QUARTERLY = pipeline.dag_for("month"), pipeline.dag_for("quarter")


def _run(period: str) -> Run:
    return Run.for_period(QUARTERLY if "Q" in period else MONTHLY, period)

from .conftest import DeptDB


@pytest.fixture
def small_zone(tmp_path, use_conns, output_dir):
    """Four projects over Q1 2021 in two units (and one without), two indicators; gxq_ops on SQLite."""
    from tests.conftest import sqlite_conn_json

    db = DeptDB(f"sqlite:///{tmp_path / 'inn.db'}", sqlite_conn_json(tmp_path / "inn.db"))
    db.project("XM1", unit="U01", name="软件园扩建项目").project("XM2", unit="U02", name="洁净能源项目")
    db.project("XM3", unit="U02", name="加速器项目", start="2021-02-10").project("XM4", unit=None, name="无主项目")
    for m in ("2021-01", "2021-02", "2021-03"):
        db.progress("XM1", m, 80, 10)        # red all quarter: supervision letter
    db.progress("XM2", "2021-01", 50, 15).progress("XM2", "2021-03", 40, 20)   # red, unreported, yellow
    db.progress("XM3", "2021-03", 30, 29)
    db.progress("XM4", "2021-03", 10, 0)
    db.progress("XM4", "2021-03", 10, 2, "2021-03-29 10:00:00")  # reported twice
    db.indicator("GDP", 3, 1200, name="地区生产总值（亿元）").indicator("RD", 1, 12, name="研发投入（亿元）")
    for m, gdp, rd in (("2021-01", 90, 1.5), ("2021-02", 210, 2), ("2021-03", 330, 3.3)):
        db.value("GDP", m, gdp).value("RD", m, rd)
    use_conns({"dept_innovation": db.conn_json, "gxq_ops": sqlite_conn_json(tmp_path / "gxq_ops.db")})
    return output_dir


def test_scorecard_files(small_zone):
    import openpyxl

    report = pipeline.compute(_run("2021-03"))
    paths = pipeline.render(_run("2021-03"), report)
    html = render.read_text(paths["scorecard_html"])
    assert "自创区重大项目月评价记分卡（2021年3月）" in html
    assert html.count('class="light red"') >= 1 and "软件园扩建项目" in html
    assert html.count("data:image/png;base64,") == 2                 # both charts embedded
    assert "同一项目同月多次报送" in html and "（未明确）" in html      # data problem, unit-less project
    for chart in ("trend_chart", "units_chart"):
        with open(paths[chart], "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"

    wb = openpyxl.load_workbook(paths["scorecard_xlsx"])
    assert wb.sheetnames == ["红黄绿灯", "单位排名", "指标完成率", "综合得分", "数据问题"]
    ws = wb["红黄绿灯"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3)}
    assert rows["XM1"][6].value == "红灯" and rows["XM1"][6].fill.fgColor.rgb.endswith("D62F2F")
    assert rows["XM2"][6].value == "黄灯" and rows["XM3"][6].value == "绿灯"
    assert len(wb["综合得分"]._images) == 2
    trend = [(r[0].value, r[1].value) for r in wb["综合得分"].iter_rows(min_row=3)]
    assert trend == [(p["period"], p["composite_score"]) for p in report["composite_trend"]]


def test_charts_use_a_cjk_font():
    from gxq import office

    assert office.cjk_font() in office.CHART_FONTS


def test_monthly_notices(small_zone):
    report = pipeline.compute(_run("2021-03"))
    paths = pipeline.render(_run("2021-03"), report)
    batch = notices.monthly_notices(MONTHLY, report, paths)
    by_key = {(n.recipient, n.kind): n for n in batch}
    assert set(by_key) == {("office", "innovation_scorecard"), ("U01", "innovation_monthly"),
                           ("U02", "innovation_monthly"), ("office", "innovation_monthly_unassigned"),
                           ("ops", "innovation_data_problems")}
    office = by_key[("office", "innovation_scorecard")]
    assert office.attachments == [paths["scorecard_html"], paths["scorecard_xlsx"]]
    u02 = by_key[("U02", "innovation_monthly")].body
    assert "XM2" in u02 and "XM3" in u02 and "XM1" not in u02       # each unit only its own projects
    assert "XM4" in by_key[("office", "innovation_monthly_unassigned")].body
    assert "duplicate_month" in by_key[("ops", "innovation_data_problems")].body


def test_agenda_letters_and_quarterly_notices(small_zone):
    import docx

    report = pipeline.compute(_run("2021-Q1"))
    assert [d["project_id"] for d in report["dispatch"]] == ["XM1", "XM2", "XM4"]
    assert report["dispatch"][1]["statuses"] == {"2021-01": "red", "2021-02": "unreported", "2021-03": "yellow"}
    paths = pipeline.render(_run("2021-Q1"), report)
    document = docx.Document(paths["agenda_docx"])
    text = "\n".join(p.text for p in document.paragraphs)
    assert "自创区重大项目季度调度会议程（2021年第一季度）" in text
    assert "U01" in text and "U02" in text and "未明确责任单位" in text
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    xm1 = next(r for r in cells if r[0] == "XM1")
    assert xm1[2:5] == ["红灯（差70.00）"] * 3 and xm1[-1] == "发督办函"
    html = render.read_text(paths["agenda_html"])
    assert 'class="light-cell red"' in html and "洁净能源项目" in html
    letter = docx.Document(paths["letter:XM1"])
    letter_text = "\n".join(p.text for p in letter.paragraphs)
    assert "XM1 软件园扩建项目（U01）：全季度红灯" in text
    assert "督 办 函" in letter_text and "软件园扩建项目" in letter_text and letter_text.startswith("督 办 函")

    batch = notices.quarterly_notices(QUARTERLY, report, paths)
    keys = {(n.recipient, n.kind) for n in batch}
    assert {("office", "innovation_agenda"), ("U01", "innovation_dispatch"), ("U02", "innovation_dispatch"),
            ("office", "innovation_dispatch_unassigned"), ("U01", "supervision_letter:XM1")} <= keys
    u02 = next(n for n in batch if n.recipient == "U02").body
    assert "XM2" in u02 and "XM1" not in u02


def test_run_without_airflow_writes_report_last_and_is_reproducible(small_zone):
    first = pipeline.run_all(_run("2021-03"))
    path = small_zone / MONTHLY / "2021-03" / "report.json"
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == first
    pipeline.run_all(_run("2021-03"))
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("dag_id", "value"), [(MONTHLY, "2021-Q1"), (MONTHLY, "2021-13"),
                                               (QUARTERLY, "2021-03"), (QUARTERLY, "Q1")])
def test_period_param_is_validated(dag_id, value):
    with pytest.raises(RunError, match="invalid period param"):
        Run.from_context({"params": {"period": value}, "logical_date": None}, dag_id)


def test_period_from_logical_date():
    import pendulum

    # 2021-04-01 00:30 in Shanghai is still 2021-03-31 in UTC: the period is local
    d = pendulum.datetime(2021, 4, 1, 0, 30, tz="Asia/Shanghai")
    assert Run.from_context({"params": {}, "logical_date": d}, MONTHLY).key == "2021-03"
    assert Run.from_context({"params": {}, "logical_date": d}, QUARTERLY).key == "2021-Q1"
    assert Run.from_context({"params": {"period": "2021-06"}, "logical_date": None}, MONTHLY).key == "2021-06"


def test_empty_department_database_still_reports(tmp_path, use_conns, output_dir):
    """No project and no indicator yet (the start of the programme): empty report, files rendered."""
    import openpyxl

    from tests.conftest import sqlite_conn_json

    db = DeptDB(f"sqlite:///{tmp_path / 'empty.db'}", sqlite_conn_json(tmp_path / "empty.db"))
    use_conns({"dept_innovation": db.conn_json, "gxq_ops": sqlite_conn_json(tmp_path / "gxq_ops.db")})
    report = pipeline.run_all(_run("2021-01"))
    assert {k: report[k] for k in ("projects", "indicators", "composite_score", "units")} == {
        "projects": [], "indicators": [], "composite_score": None, "units": []}
    assert report["counts"] == {"green": 0, "yellow": 0, "red": 0, "unreported": 0}
    folder = output_dir / MONTHLY / "2021-01"
    assert "本月无在建重大项目" in (folder / "scorecard.html").read_text(encoding="utf-8")
    assert openpyxl.load_workbook(folder / "scorecard.xlsx").sheetnames[0] == "红黄绿灯"
    quarter = pipeline.run_all(_run("2021-Q1"))
    assert quarter["dispatch"] == [] and quarter["supervision_letters"] == []
    assert (output_dir / QUARTERLY / "2021-Q1" / "agenda.docx").is_file()
