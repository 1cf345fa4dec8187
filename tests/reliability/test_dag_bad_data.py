"""End to end: one ``dag.test()`` of the weekly bulletin over a hostile department database (every
invalid-row reason, control characters, 10,000-character strings, personal data in free text,
unknown and duplicated unit links). The run succeeds, quarantines what is invalid in report.json
``excluded`` and leaves no unmasked personal data in any file."""

from __future__ import annotations

import json

import pendulum
import pytest
import sqlalchemy as sa

from tests.conftest import run_dag, sqlite_conn_json
from tests.reliability import figures

pytestmark = pytest.mark.slow  # one dag.test() (~20-60 s on the shared machine)

D = pendulum.datetime(2021, 3, 8, 9, tz="Asia/Shanghai")
NASTY = "控制\x01\x02\x1b[31m\u202e" + "长" * 10_000 + " 13612340546 210203199001011234"


def _row(pid, received, **kw):
    base = {"petition_id": pid, "received_at": received, "channel": "8890热线", "kind": "投诉", "topic": "供暖",
            "street": "黄泥川街道", "is_urgent": 0, "citizen_name": "张三", "citizen_phone": "13612340546",
            "content": NASTY, "dispatch_due_at": "2021-03-02 10:00:00", "dispatched_at": "2021-03-02 09:00:00",
            "feedback_due_at": "2021-03-05 10:00:00", "feedback_at": "2021-03-04 10:00:00", "closed_at": None,
            "status": "已办结", "satisfaction": "满意", "revisited_at": "2021-03-06 10:00:00"}
    base.update(kw)
    return base


@pytest.fixture(scope="module")
def hostile_run(dagbag, tmp_path_factory):
    from gxq.connections import dispose_all
    from gxq.demo import schema

    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "dept_petitions.db"
    eng = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    schema.create_all(eng, "dept_petitions")
    rows = [
        _row("P001", "2021-03-01 08:00:00"),
        _row("P002", "2021-03-02 08:00:00", topic="噪音扰民\x00\x07" + "x" * 10_000),
        _row("P003", None),                                                   # missing_received_at
        _row("P004", "2021-03-03 08:00:00", dispatched_at="2021-03-01 08:00:00"),  # dispatched_before_received
        _row("P005", "2021-03-03 08:00:00", dispatched_at="2021-03-03 09:00:00", feedback_at="2021-03-02 08:00:00"),    # feedback_before_received
        _row("P006", "2021-03-03 08:00:00", dispatched_at="2021-03-03 09:00:00", satisfaction="很满意\x1b"),             # bad_satisfaction
        _row("P007", "9999-12-31 23:59:59", dispatched_at=None, feedback_at=None),  # far future, due in W
        _row("P008", "2021-03-04 08:00:00", status="已撤销"),
        _row("P009", "", kind=None, citizen_name="\x00" * 50),                  # '' timestamp = NULL
        _row("P010", "2021-06-0x"),                                           # bad_timestamp (SQLite text)
        _row("P011", "2021-03-03 08:00:00", feedback_at="2021-03-0x 10:00:00"),  # bad_timestamp
    ]
    links = [{"petition_id": p, "unit_code": u, "role": r} for p, u, r in [
        ("P001", "U01", "lead"), ("P001", "U01", "lead"), ("P001", "U02", "lead"), ("P002", "ZZ9", "lead"),
        ("P002", "U01", "co"), ("P404", "U01", "lead"), ("P007", "U03\x01", "lead")]]
    with eng.begin() as conn:
        cols = list(rows[0])
        conn.execute(sa.text(f"INSERT INTO petitions ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                     rows)
        conn.execute(sa.text("INSERT INTO petition_units VALUES (:petition_id, :unit_code, :role)"), links)
        conn.execute(sa.text("INSERT INTO units VALUES ('U01', '供热办'), ('U02', '城管局\x01')"))
    eng.dispose()
    mp = pytest.MonkeyPatch()
    out = tmp / "output"
    try:
        mp.setenv("AIRFLOW_CONN_DEPT_PETITIONS", sqlite_conn_json(path))
        mp.setenv("AIRFLOW_CONN_GXQ_OPS", sqlite_conn_json(tmp / "gxq_ops.db"))
        mp.setenv("AIRFLOW_CONN_DEPT_PUBLICITY", sqlite_conn_json(tmp / "missing_publicity.db"))
        mp.setenv("GXQ_OUTPUT_DIR", str(out))
        mp.delenv("GXQ_APPRISE_CONFIG", raising=False)  # demo channel: notices as files
        dr = run_dag(dagbag, "petition_weekly_bulletin", D)
        yield {"run": dr, "out": out}
    finally:
        mp.undo()
        dispose_all()


def test_hostile_rows_quarantined_and_the_run_succeeds(hostile_run):
    assert str(hostile_run["run"].state) == "success"
    report = json.loads((hostile_run["out"] / "petition_weekly_bulletin" / "2021-W09" / "report.json")
                        .read_text(encoding="utf-8"))
    assert report["excluded"] == {"bad_timestamp": 2, "missing_received_at": 2, "dispatched_before_received": 1,
                                  "feedback_before_received": 1, "bad_satisfaction": 1}
    assert next(iter(report["excluded"])) == "bad_timestamp"  # checked first
    # reported to ops like the other reasons
    [notice] = (hostile_run["out"] / "_notices" / "ops").rglob("*quarantine*")
    text = notice.read_text(encoding="utf-8")
    assert "bad_timestamp" in text and "P010" in text and "P011" in text
    assert report["received"] == 2  # P001, P002 (P007 far future, P008 withdrawn, the rest invalid)
    assert report["dispatch"]["due"] == 3  # P001, P002, P007
    figures.add("bad_input", "dag_test_runs_on_hostile_data")


def test_hostile_run_leaks_no_personal_data(hostile_run):
    from gxq.masking import scan_tree

    files = [p for p in hostile_run["out"].rglob("*") if p.is_file()]
    assert any(p.suffix == ".docx" for p in files) and any("_notices" in str(p) for p in files)
    assert scan_tree(hostile_run["out"]) == {}
