"""The bulletin's report is the same text whatever the department's database: the demo year's
weeks computed from SQLite and from PostgreSQL give byte-identical JSON (the contract report, its
extras, the backlog and the quarantine), each with its own fresh ``gxq_ops``. The weeks cover a
month's first bulletin (ranking), 突增 weeks, the year's first and last weeks and a backfill that
jumps back."""

from __future__ import annotations

import json

import sqlalchemy as sa
from gxq import store
from gxq.connections import engine_for, parse_conn_value
from gxq.petitions import pipeline

WEEKS = ["2021-W08", "2021-W09", "2021-W45", "2021-W01", "2021-W27", "2021-W52"]


def _texts(conns: dict, ops_path) -> list[bytes]:
    engine = engine_for("dept_petitions", parse_conn_value("dept_petitions", conns["dept_petitions"]))
    ops = store.ensure_schema(sa.create_engine(f"sqlite:///{ops_path}", poolclass=sa.pool.NullPool))
    out = []
    for week in WEEKS:
        computed = pipeline.compute_all(week, engine=engine, ops=ops)
        out.append(json.dumps(computed, ensure_ascii=False, sort_keys=False, indent=1).encode())
    ops.dispose()
    return out


def test_sqlite_and_postgresql_give_the_same_bytes(demo_sqlite, demo_pg, tmp_path, monkeypatch):
    monkeypatch.delenv("GXQ_PETITIONS_RECOUNT_WEEKS", raising=False)
    lite = _texts(demo_sqlite, tmp_path / "ops_sqlite.db")
    pg = _texts(demo_pg, tmp_path / "ops_pg.db")
    for week, a, b in zip(WEEKS, lite, pg):
        assert a == b, week
    reports = [json.loads(t)["report"] for t in lite]
    assert all(r["received"] > 0 for r in reports) and any(r["surges"] for r in reports)
    assert any(json.loads(t)["extras"]["monthly_ranking"] for t in lite)
