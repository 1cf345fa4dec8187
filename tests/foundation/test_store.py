"""gxq_ops is created and migrated by the project itself, on SQLite and PostgreSQL."""

import json
import threading

import pytest
import sqlalchemy as sa
from gxq import store
from gxq.connections import dispose_all

from tests.conftest import pg_conn_json


@pytest.fixture(params=["sqlite", "postgres"])
def ops_conn(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        value = json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "gxq_ops.db")})
    else:
        pg = request.getfixturevalue("pg")
        value = pg_conn_json(pg.create(f"ops_store_{len(pg.created)}"))
    monkeypatch.setenv("AIRFLOW_CONN_GXQ_OPS", value)
    store._migrated.clear()
    yield request.param
    dispose_all()
    store._migrated.clear()


def test_declared_heads_are_alembics():
    """A new revision updates store.HEADS: a run compares the stored revisions with it."""
    assert store.HEADS == store.heads(), f"set gxq.store.HEADS to {sorted(store.heads())}"


def test_empty_store_is_created_at_all_heads(ops_conn):
    engine = store.ops_engine()
    assert store.current_revisions(engine) == store.heads()
    assert sa.inspect(engine).has_table("gxq_reports")


def test_older_version_is_migrated(ops_conn):
    from alembic import command

    engine = store.ops_engine()
    with engine.begin() as conn:
        command.downgrade(store._alembic_config(conn), "base")
    assert not sa.inspect(engine).has_table("gxq_reports")
    store._migrated.clear()
    store.ensure_schema(engine)
    assert sa.inspect(engine).has_table("gxq_reports")
    assert store.current_revisions(engine) == store.heads()


def test_concurrent_first_runs_migrate_once(ops_conn):
    store._migrated.clear()
    errors = []

    def worker():
        try:
            store.ensure_schema()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.current_revisions(store.ops_engine()) == store.heads()


def test_store_at_the_heads_costs_one_read(ops_conn):
    """Every task checks gxq_ops at its start: a store already at the heads is one read of the
    version table, no lock and no catalogue queries (the urgent watch pays it 144 times a day)."""
    engine = store.ops_engine()
    store._migrated.clear()
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert store.ensure_schema(engine) is engine
    assert statements == ["SELECT version_num FROM gxq_schema_version"]


def test_a_failing_version_read_is_not_taken_for_an_empty_store(ops_conn):
    """A failing read of the version table is a missing table only when the catalogue says so."""
    engine = store.ops_engine()
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE gxq_schema_version RENAME COLUMN version_num TO v"))
    with pytest.raises(sa.exc.DBAPIError):
        store.current_revisions(engine)


def test_record_report_upserts(ops_conn):
    engine = store.ops_engine()
    store.record_report(engine, "d", "2021-W09", {"a": 1, "名": "值"}, run_id="r1")
    store.record_report(engine, "d", "2021-W09", {"a": 2}, run_id="r2")
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT report_json, run_id FROM gxq_reports")).all()
    assert len(rows) == 1 and json.loads(rows[0][0]) == {"a": 2} and rows[0][1] == "r2"


def _table_metadatas():
    """Every sa.MetaData of the project's gxq_ops tables (the code's idea of the schema)."""
    from gxq.notify import tables as notify_tables
    from gxq.petitions import tables as petitions_tables
    from gxq.policy import batches
    from gxq.store import tables as core_tables

    return [core_tables.metadata, notify_tables.metadata, petitions_tables.metadata, batches.metadata]


def test_table_objects_match_the_migrations(ops_conn):
    """The sa.Table objects the code reads and writes through and the schema the Alembic
    migrations build agree: same tables, columns, types and nullability (alembic's autogenerate
    comparison). The migrations are the only source of the indexes, unique keys and foreign keys,
    which the Table objects need not repeat: those differences are allowed, and the key that
    pays each award at most once is checked on its own."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = store.ops_engine()
    problems = []
    with engine.connect() as conn:
        for metadata in _table_metadatas():
            names = set(metadata.tables)
            assert names, metadata
            ctx = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_name": lambda name, type_, parent, names=names: type_ != "table" or name in names,
            })
            problems += [d for d in compare_metadata(ctx, metadata)
                         if not (isinstance(d, tuple) and d[0] in ("remove_index", "remove_constraint", "remove_fk"))]
        unique = {tuple(u["column_names"]) for u in sa.inspect(conn).get_unique_constraints("policy_payment_ledger")}
    assert problems == [], "\n".join(map(str, problems))
    assert ("policy_id", "credit_code", "basis_id") in unique
