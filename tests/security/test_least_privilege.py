"""Least privilege on PostgreSQL: every dept_* database read through a SELECT-only role, gxq_ops
through its own read/write role. The DAGs' steps all run; nothing is written to a department
database (statements recorded, table checksums compared); the role password appears in no log,
report, notice or outbox row."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT_IDS, PG_HOST, PG_PORT, PG_PREFIX, _admin_engine, pg_url
from tests.reliability import figures
from tests.security.runs import run_everything

pytestmark = pytest.mark.slow

READ_WORDS = ("SELECT", "WITH", "SHOW", "BEGIN", "ROLLBACK", "COMMIT")


def _first_word(statement: str) -> str:
    import re

    text = re.sub(r"--[^\n]*", " ", statement)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL).strip().lstrip("(").strip()
    return (text.split(None, 1) or [""])[0].upper()


def _dbname(conn_json: str) -> str:
    return json.loads(conn_json)["schema"]


def _checksums(database: str) -> dict[str, str]:
    from gxq.demo import schema

    eng = sa.create_engine(pg_url(database), poolclass=sa.pool.NullPool)
    conn_id = next(c for c in DEPT_IDS if database.endswith(c))
    out = {}
    with eng.connect() as conn:
        for table in schema.TABLES[conn_id]:  # fixed contract table names
            out[table] = conn.execute(sa.text(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t"
            )).scalar_one()
    eng.dispose()
    return out


@pytest.fixture
def roles(demo_pg, pg):
    """A SELECT-only role on every dept_* database and a read/write role owning a fresh gxq_ops."""
    ro, rw = f"{PG_PREFIX}_reader", f"{PG_PREFIX}_ops"
    password = "Pw-" + secrets.token_hex(12)
    dept_dbs = {cid: _dbname(demo_pg[cid]) for cid in DEPT_IDS}
    ops_db = pg.create("ops_roles")
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{ro}" LOGIN PASSWORD :p'), {"p": password})
        conn.execute(sa.text(f'CREATE ROLE "{rw}" LOGIN PASSWORD :p'), {"p": password})
        conn.execute(sa.text(f'ALTER DATABASE "{ops_db}" OWNER TO "{rw}"'))
        for db in dept_dbs.values():
            conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{db}" FROM PUBLIC'))
            conn.execute(sa.text(f'GRANT CONNECT ON DATABASE "{db}" TO "{ro}"'))
    for db in dept_dbs.values():
        eng = sa.create_engine(pg_url(db), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with eng.connect() as conn:
            conn.execute(sa.text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
            conn.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{ro}"'))
            conn.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{ro}"'))
        eng.dispose()
    conns = {cid: json.dumps({"conn_type": "postgres", "host": PG_HOST, "port": PG_PORT, "login": ro,
                              "password": password, "schema": db}) for cid, db in dept_dbs.items()}
    conns["gxq_ops"] = json.dumps({"conn_type": "postgres", "host": PG_HOST, "port": PG_PORT, "login": rw,
                                   "password": password, "schema": ops_db})
    yield {"conns": conns, "password": password, "dept_dbs": dept_dbs, "ops_db": ops_db, "ro": ro, "rw": rw}
    from gxq.connections import dispose_all

    dispose_all()
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{ops_db}" OWNER TO postgres'))
    for db in [*dept_dbs.values(), ops_db]:
        eng = sa.create_engine(pg_url(db), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{ro}", "{rw}"'))
        eng.dispose()
    with admin.connect() as conn:
        for db in dept_dbs.values():
            conn.execute(sa.text(f'GRANT CONNECT ON DATABASE "{db}" TO PUBLIC'))
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{ro}"'))
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{rw}"'))


def test_select_only_roles_run_every_dag_and_nothing_is_written(roles, use_conns, output_dir, monkeypatch, capfd):
    from gxq.notify.outbox import rows as outbox_rows
    from gxq.store import ops_engine

    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)  # the demo channel: notices as files
    use_conns(roles["conns"])
    before = {db: _checksums(db) for db in roles["dept_dbs"].values()}

    # the roles really are read-only: a write is refused by PostgreSQL itself
    ro = sa.create_engine(pg_url(roles["dept_dbs"]["dept_publicity"], roles["ro"], roles["password"]),
                          poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), ro.begin() as conn:
        conn.execute(sa.text("DELETE FROM wechat_posts"))
    ro.dispose()
    ro = sa.create_engine(pg_url(roles["dept_dbs"]["dept_supervision"], roles["ro"], roles["password"]),
                          poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), ro.begin() as conn:
        conn.execute(sa.text("UPDATE plan_progress SET value_cumulative = 0"))
    ro.dispose()

    seen: list[tuple[str, str]] = []
    lines: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((str(conn.engine.url.database or ""), statement))

    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda rec: lines.append(f"{rec.getMessage()} {rec.exc_text or ''}")
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listener)
    try:
        reports = run_everything()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listener)
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(reports) >= 8  # every DAG with a report.json

    dept_names = set(roles["dept_dbs"].values())
    dept_statements = [s for db, s in seen if db in dept_names]
    assert dept_statements, "no department read recorded"
    writes = [s[:200] for s in dept_statements if _first_word(s) not in READ_WORDS]
    assert writes == [], writes
    after = {db: _checksums(db) for db in roles["dept_dbs"].values()}
    assert after == before, "a department database changed"
    assert any(db == roles["ops_db"] and s.lstrip().upper().startswith("INSERT") for db, s in seen)

    # the password is nowhere the project prints or writes
    captured = capfd.readouterr()
    texts = {"logs": "\n".join(lines), "stdout": captured.out, "stderr": captured.err}
    for path in output_dir.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    texts["outbox"] = json.dumps(outbox_rows(ops_engine()), ensure_ascii=False, default=str)
    leaks = [where for where, text in texts.items() if roles["password"] in text]
    assert leaks == []
    assert len(texts) > 20
    figures.record("security", "dept_statements_checked", len(dept_statements))
    figures.record("security", "dept_writes", len(writes))
    figures.record("security", "password_leaks_in_logs_and_outputs", len(leaks))
    figures.record("security", "files_and_logs_scanned_for_password", len(texts))
