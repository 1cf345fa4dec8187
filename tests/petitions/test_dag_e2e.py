"""End to end: ``dag.test()`` of ``petition_weekly_bulletin`` over the demo data, on SQLite and on
PostgreSQL, with Apprise posting ``json://`` to a local HTTP server. Each backend runs the DAG
twice (the run, then a rerun of the same logical date), then once for a week with 突增 (2021-W45:
供暖 jumps as the heating season starts): six runs in all, shared by the tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pendulum
import pytest
from gxq.masking import find_unmasked

from tests.conftest import run_dag
from tests.notify.conftest import JsonSink

DAG_ID = "petition_weekly_bulletin"
D = pendulum.datetime(2021, 3, 8, 9, 0, tz="Asia/Shanghai")  # Monday 09:00 → 2021-W09
D_SURGE = pendulum.datetime(2021, 11, 15, 9, 0, tz="Asia/Shanghai")  # → 2021-W45
CONTRACT_KEYS = ["period", "start", "end", "received", "received_prev", "by_kind", "dispatch", "feedback",
                 "satisfaction", "top_topics", "overdue_open", "units", "excluded", "surges"]


def _unit_codes(conns: dict) -> list[str]:
    import sqlalchemy as sa
    from gxq.connections import engine_for, parse_conn_value

    engine = engine_for("dept_petitions", parse_conn_value("dept_petitions", conns["dept_petitions"]))
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT unit_code FROM units ORDER BY unit_code"))]


def _run_twice(dagbag, conns: dict, tmp: Path) -> dict:
    from gxq.connections import dispose_all

    sink = JsonSink().start()
    mp = pytest.MonkeyPatch()
    try:
        for cid, value in conns.items():
            mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
        out = tmp / "output"
        mp.setenv("GXQ_OUTPUT_DIR", str(out))
        mp.setenv("GXQ_NOTIFY_RETRY_DELAY", "0.05")
        tags = ["office", "ops", *_unit_codes(conns)]
        config = tmp / "apprise.yml"
        config.write_text(f'version: 1\nurls:\n  - "{sink.url}":\n      - tag: {", ".join(tags)}\n', encoding="utf-8")
        mp.setenv("GXQ_APPRISE_CONFIG", str(config))
        first = run_dag(dagbag, DAG_ID, D)
        folder = out / DAG_ID / "2021-W09"
        report1 = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        messages1 = list(sink.messages)
        second = run_dag(dagbag, DAG_ID, D)
        report2 = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        messages2 = list(sink.messages)
        third = run_dag(dagbag, DAG_ID, D_SURGE)
        surge_folder = out / DAG_ID / "2021-W45"
        return {"runs": [first, second, third], "report": report1, "rerun_report": report2, "messages": messages1,
                "messages_after_rerun": messages2, "folder": folder, "unit_codes": tags[2:],
                "surge_report": json.loads((surge_folder / "report.json").read_text(encoding="utf-8")),
                "surge_folder": surge_folder, "conns": conns}
    finally:
        sink.stop()
        mp.undo()
        dispose_all()


@pytest.fixture(scope="module")
def run_sqlite(dagbag, demo_sqlite, tmp_path_factory):
    return _run_twice(dagbag, demo_sqlite, tmp_path_factory.mktemp("pet_e2e_sqlite"))


@pytest.fixture(scope="module")
def run_pg(dagbag, demo_pg, tmp_path_factory):
    return _run_twice(dagbag, demo_pg, tmp_path_factory.mktemp("pet_e2e_pg"))


BACKENDS = ["run_sqlite", "run_pg"]


@pytest.fixture(params=BACKENDS)
def run(request):
    return request.getfixturevalue(request.param)


def test_runs_succeed(run):
    assert [str(r.state) for r in run["runs"]] == ["success", "success", "success"]


def test_the_dag_carries_the_publicity_line_of_its_week(run):
    """附: 宣传工作: the step layer (gxq.carried) hands the publicity capability's line to the bulletin."""
    line = run["report"]["publicity"]
    assert line["period"] == "2021-W09" and line["text"].startswith("宣传工作（2021-W09）")
    assert list(run["report"])[-2:] == ["publicity", "supervised_items"]
    assert set(line) == {"period", "wechat_updates", "wechat_posts", "info_submissions", "targets", "behind", "text"}
    assert line["text"] in (run["folder"] / "bulletin.html").read_text(encoding="utf-8")


def test_report_has_the_contract_keys_first_and_consistent_figures(run):
    r = run["report"]
    assert list(r)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert (r["period"], r["start"], r["end"]) == ("2021-W09", "2021-03-01", "2021-03-07")
    assert r["received"] > 0 and r["received_prev"] > 0
    assert sum(r["by_kind"].values()) == r["received"]
    for block, (num, den) in (("dispatch", ("on_time", "due")), ("feedback", ("on_time", "due")),
                              ("satisfaction", ("satisfied", "surveyed"))):
        b = r[block]
        assert b["rate"] == (round(b[num] / b[den], 4) if b[den] else None)
    assert 1 <= len(r["top_topics"]) <= 10
    counts = [t["complaints"] for t in r["top_topics"]]
    assert counts == sorted(counts, reverse=True)
    assert all(t["complaints"] >= 2 for t in r["top_topics"][5:])
    assert r["overdue_open"] == sorted(r["overdue_open"])
    assert [u["unit"] for u in r["units"]] == sorted(u["unit"] for u in r["units"])
    assert sum(u["overdue_open"] for u in r["units"]) <= len(r["overdue_open"])
    assert sum(u["feedback_due"] for u in r["units"]) <= r["feedback"]["due"]
    assert all(v > 0 for v in r["excluded"].values())
    # supervised items: every top topic is one, as of this week
    assert {t["topic"] for t in r["top_topics"]} <= {s["topic"] for s in r["supervised_items"]}
    assert len(r["trend"]) == 8 and r["trend"][-1]["period"] == "2021-W09"
    assert r["trend"][-1]["received"] == r["received"]
    # 突增: every surging topic is supervised (under 挂牌督办, as 突增 when outside the top list)
    top = {t["topic"] for t in r["top_topics"]}
    items = {s["topic"]: s for s in r["supervised_items"]}
    for s in r["surges"]:
        assert s["complaints"] >= 5 and s["complaints"] > s["threshold"]
        assert items[s["topic"]]["surge"] is True
        assert items[s["topic"]]["opened_as"] == ("top" if s["topic"] in top else "surge") \
            or items[s["topic"]]["state"] != "new"
    assert [d["topic"] for d in r["surge_details"]] == [s["topic"] for s in r["surges"]]


def test_surges_equal_the_independent_reading(run):
    from gxq.connections import engine_for, parse_conn_value

    from tests.petitions.test_surges_oracle import oracle_surges, read_complaints

    conns = run["conns"]
    engine = engine_for("dept_petitions", parse_conn_value("dept_petitions", conns["dept_petitions"]))
    complaints = read_complaints(engine)
    for report in (run["report"], run["surge_report"]):
        week = report["period"]
        assert report["surges"] == oracle_surges(complaints, week), week
        assert report["street_surges"] == oracle_surges(complaints, week, by_street=True), week


def test_a_week_with_surges_supervises_them_and_shows_them(run):
    r = run["surge_report"]
    assert list(r)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert "供暖" in [s["topic"] for s in r["surges"]] and r["street_surges"]
    items = {s["topic"]: s for s in r["supervised_items"]}
    assert all(items[s["topic"]]["surge"] is True for s in r["surges"])
    folder = run["surge_folder"]
    assert (folder / "surge_1.png").read_bytes()[:4] == b"\x89PNG"
    html = (folder / "bulletin.html").read_text(encoding="utf-8")
    assert 'src="surge_1.png"' in html and "本周无突增事项" not in html and "本周无街道突增" not in html
    from docx import Document

    doc = Document(str(folder / "bulletin.docx"))
    assert len(doc.inline_shapes) == 2 + min(len(r["surges"]), 6)


def test_same_report_on_sqlite_and_postgresql(run_sqlite, run_pg):
    a, b = run_sqlite["report"], run_pg["report"]
    assert a == b


def test_rerun_same_report_and_no_new_notice(run):
    assert run["rerun_report"] == run["report"]
    assert len(run["messages_after_rerun"]) == len(run["messages"])


def test_files_exist_and_hold_no_unmasked_personal_data(run):
    folder = run["folder"]
    for name in ("bulletin.html", "bulletin.docx", "bulletin.xlsx", "trend_received.png", "trend_rates.png"):
        assert (folder / name).stat().st_size > 0, name
    html = (folder / "bulletin.html").read_text(encoding="utf-8")
    assert "市民服务平台情况通报" in html and "挂牌督办" in html and "超期未反馈" in html
    assert "五、突增事项" in html and "街道突增" in html
    assert find_unmasked(html) == []
    for name in ("bulletin.docx", "bulletin.xlsx"):
        with zipfile.ZipFile(folder / name) as z:
            xml = "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml"))
        assert "市民服务平台" in xml or name.endswith("xlsx")
        assert find_unmasked(xml) == [], name
    from docx import Document

    doc = Document(str(folder / "bulletin.docx"))
    surges = len(run["report"]["surges"])
    assert len(doc.inline_shapes) == 2 + min(surges, 6)  # the two trend charts, one per surging topic
    for i in range(1, min(surges, 6) + 1):
        assert (folder / f"surge_{i}.png").stat().st_size > 0
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "一、总体情况" in text and "四、高频投诉事项及挂牌督办" in text
    from openpyxl import load_workbook

    wb = load_workbook(folder / "bulletin.xlsx")
    assert {"概要", "各承办单位", "高频投诉事项", "挂牌督办", "突增事项", "街道突增", "超期未反馈", "数据质量"} \
        <= set(wb.sheetnames)
    assert wb["超期未反馈"].max_row == len(run["report"]["overdue_open"]) + 1


def test_notices_office_units_and_quarantine(run):
    msgs = run["messages"]
    titles = [m.get("title", "") for m in msgs]
    bodies = "\n".join(m.get("message", "") for m in msgs)
    assert any(t.startswith("市民服务平台情况通报 2021年第9期") and "本单位" not in t for t in titles)
    unit_notices = [t for t in titles if "本单位" in t]
    assert len(unit_notices) >= len(run["report"]["units"])  # split messages may add parts
    assert ("数据质量提示" in " ".join(titles)) == bool(run["report"]["excluded"])
    if any(s["escalated"] for s in run["report"]["supervised_items"]):
        assert any("提级督办" in t for t in titles)
    assert find_unmasked(bodies) == [] and find_unmasked("\n".join(titles)) == []
