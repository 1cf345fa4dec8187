"""Department text with control characters all the way to the files people read: the policy
workbook, the innovation scorecard and the bulletin's docx/xlsx used to crash on them (openpyxl /
lxml refuse XML-illegal characters); now the runs complete and the characters are dropped."""

from __future__ import annotations

import zipfile

import pytest
import sqlalchemy as sa

from tests.conftest import sqlite_conn_json
from tests.reliability import figures

pytestmark = pytest.mark.slow  # three full pipeline runs with Office files

CTRL = "\x01\x07\x0b\x1b"


@pytest.fixture
def dept(tmp_path, use_conns, output_dir, monkeypatch):
    from gxq.demo import schema

    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)
    conns = {"gxq_ops": sqlite_conn_json(tmp_path / "ops.db")}

    def make(conn_id, statements):
        path = tmp_path / f"{conn_id}.db"
        eng = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
        schema.create_all(eng, conn_id)
        with eng.begin() as conn:
            for stmt, params in statements:
                conn.execute(sa.text(stmt), params)
        eng.dispose()
        conns[conn_id] = sqlite_conn_json(path)
        use_conns(conns)

    return make


def _office_text(folder):
    out = []
    for p in folder.rglob("*"):
        if p.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(p) as zf:
                out += [zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml")]
    return out


def test_policy_workbook_with_control_characters(dept, output_dir):
    from gxq.policy import pipeline

    dept("dept_policy", [
        ("INSERT INTO enterprises VALUES ('C1', :n, :s, 0, 0)", {"n": f"大连{CTRL}科技有限公司", "s": f"街道{CTRL}"}),
        ("INSERT INTO certifications VALUES ('X1', 'C1', '高新技术企业', '2021-03-05', '2024-03-05')", {}),
    ])
    report = pipeline.run("policy_redemption_monthly", "2021-03", approved_by="测试审核人", approval_ref="测试〔2021〕1号")
    assert report["total_amount"] == 300000
    texts = _office_text(output_dir)
    assert texts and not any(c in t for t in texts for c in CTRL)
    figures.add("bad_input", "control_char_render_cases")


def test_innovation_scorecard_with_control_characters(dept, output_dir):
    from gxq.innovation import pipeline

    dept("dept_innovation", [
        ("INSERT INTO projects VALUES ('J1', :n, :u, '2021-01-01')", {"n": f"项目{CTRL}一", "u": f"U01{CTRL}"}),
        ("INSERT INTO project_monthly VALUES ('J1', '2021-03', 50, 10, '2021-03-30 10:00:00')", {}),
        ("INSERT INTO indicators VALUES ('I1', :n, 1, 100)", {"n": f"指标{CTRL}"}),
        ("INSERT INTO indicator_monthly VALUES ('I1', '2021-03', 30)", {}),
    ])
    from gxq.run import Run

    report = pipeline.run_all(Run.for_period("innovation_monthly_evaluation", "2021-03", dry_run=False))
    assert report["counts"]["red"] == 1
    assert _office_text(output_dir)
    figures.add("bad_input", "control_char_render_cases")


def test_bulletin_files_with_control_characters(dept, output_dir):
    from gxq.petitions import pipeline

    row = {"pid": "P1", "t": f"供暖{CTRL}\x00", "c": f"内容{CTRL} 13612340546"}
    dept("dept_petitions", [
        (("INSERT INTO petitions (petition_id, received_at, kind, topic, content, status, dispatch_due_at, "
          "dispatched_at) VALUES (:pid, '2021-03-02 08:00:00', '投诉', :t, :c, '办理中', '2021-03-02 10:00:00', "
          "'2021-03-02 09:00:00')"), row),
        ("INSERT INTO petition_units VALUES ('P1', :u, 'lead')", {"u": f"U01{CTRL}"}),
        ("INSERT INTO units VALUES (:u, :n)", {"u": f"U01{CTRL}", "n": f"供热办{CTRL}"}),
    ])
    report = pipeline.run_week("2021-W09", dry_run=False)
    assert report["received"] == 1
    assert len(_office_text(output_dir)) >= 2
    figures.add("bad_input", "control_char_render_cases")
