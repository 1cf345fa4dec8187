"""The project's own store ``gxq_ops`` (本项目数据库): issued reports, supervised items,
batches and payment ledger, notification outbox.

Its schema is versioned with Alembic (``migrations/``). Each capability owns a branch of
revisions (``core``, ``notify``, ``petitions``, ``policy``, ...) that all start from the core
root, and :func:`ensure_schema` upgrades to every head. A run that finds ``gxq_ops`` empty or at
an older version migrates it itself, before anything else; concurrent runs serialise on a
PostgreSQL advisory lock (or a file lock on SQLite).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import threading
from pathlib import Path

import sqlalchemy as sa

from gxq import output
from gxq.connections import OPS_CONN_ID, engine_for
from gxq.run import Run
from gxq.store.tables import reports

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "gxq_schema_version"
_ADVISORY_KEY = 0x6A7153  # "gxq" ops schema lock
_migrated: set[str] = set()
# The head of every branch of migrations/. A run compares the stored revisions with this set and
# imports Alembic only when it must migrate: importing alembic.command/config/script after gxq.store
# took 0.14-0.19 s (5 runs), paid at every task's start before. A new revision updates this set;
# tests/foundation/test_store.py checks it against Alembic's own reading of migrations/.
HEADS = frozenset({"notify_0003", "petitions_0003", "policy_0003", "tasks_0001", "urgent_0001"})
_thread_lock = threading.Lock()


def _alembic_config(connection):
    from alembic.config import Config  # only to migrate (see HEADS)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_table", VERSION_TABLE)
    cfg.attributes["connection"] = connection
    return cfg


@contextlib.contextmanager
def _schema_lock(engine):
    if engine.dialect.name == "sqlite":
        db_path = engine.url.database or ":memory:"
        lock_path = Path(f"{db_path}.migrate.lock")
        with open(lock_path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                conn.commit()


def heads() -> set[str]:
    """The heads as Alembic reads them from migrations/ (HEADS must equal them)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def current_revisions(engine) -> set[str]:
    """The revisions stored in ``gxq_ops`` (empty when it was never migrated): one read of the
    version table; SQLAlchemy's inspector (several catalogue queries) only when that read fails,
    to tell a missing table from any other error, which is raised as it is."""
    try:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))}
    except sa.exc.DBAPIError:
        if sa.inspect(engine).has_table(VERSION_TABLE):
            raise
        return set()


def ensure_schema(engine=None):
    """Create or migrate ``gxq_ops`` to the latest schema; returns the engine."""
    engine = engine or engine_for(OPS_CONN_ID)
    key = engine.url.render_as_string(hide_password=False)
    with _thread_lock:
        if key in _migrated:
            return engine
        # A store at the heads needs nothing: one read, no lock (each task is a process of its own,
        # so every run pays this check; the urgent watch runs 144 times a day). Safe without the
        # lock: Alembic records a revision in the version table after that revision's changes, in
        # the migrating run's transaction, so a read that finds every head finds their schema.
        # Anything else is read again under the lock (another run may have migrated meanwhile).
        if current_revisions(engine) != HEADS:
            with _schema_lock(engine):
                if current_revisions(engine) != HEADS:
                    from alembic import command  # only to migrate (see HEADS)

                    with engine.begin() as conn:
                        command.upgrade(_alembic_config(conn), "heads")
        _migrated.add(key)
    return engine


def ops_engine():
    """The ``gxq_ops`` engine, migrated."""
    return ensure_schema(engine_for(OPS_CONN_ID))


# --- a run's start and its report ---------------------------------------------------------------


def begin(run: Run | dict) -> dict:
    """The step ``plan`` of a capability with nothing to check before its read: ``gxq_ops`` migrated
    first, as every run must; the run value as the DAG passes it on."""
    run = Run.from_dict(run)
    ops_engine()
    return run.to_dict()


def publish_report(run: Run | dict, report: dict) -> str:
    """``report.json`` of a run (written last, after the files people read) and its copy in ``gxq_ops``;
    returns the file's path."""
    run = Run.from_dict(run)
    path = output.write_report(run.dag_id, run.key, report)
    record_report(ops_engine(), run.dag_id, run.key, report, run_id=run.run_id)
    return str(path)


# --- issued reports ---------------------------------------------------------------------------


def record_report(engine, dag_id: str, period_key: str, report: dict, run_id: str | None = None) -> None:
    """Keep the latest report of a (dag, period) in ``gxq_ops`` (the dashboard reads these)."""
    body = json.dumps(report, ensure_ascii=False, sort_keys=True, default=str)
    digest = hashlib.sha256(body.encode()).hexdigest()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        updated = conn.execute(
            reports.update()
            .where(reports.c.dag_id == dag_id, reports.c.period_key == period_key)
            .values(report_json=body, report_hash=digest, run_id=run_id, updated_at=now)
        )
        if updated.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(
                        reports.insert().values(
                            dag_id=dag_id, period_key=period_key, report_json=body, report_hash=digest,
                            run_id=run_id, issued_at=now, updated_at=now,
                        )
                    )
            except sa.exc.IntegrityError:
                conn.execute(
                    reports.update()
                    .where(reports.c.dag_id == dag_id, reports.c.period_key == period_key)
                    .values(report_json=body, report_hash=digest, run_id=run_id, updated_at=now)
                )


def reports_of(engine, dag_id: str, keys: list[str] | None = None, prefix: str | None = None) -> dict[str, dict]:
    """The issued reports of ``dag_id`` kept in ``gxq_ops`` (period key -> report): those of the
    given period ``keys``, or those whose key starts with ``prefix``. Unreadable JSON is left out."""
    stmt = sa.select(reports.c.period_key, reports.c.report_json).where(reports.c.dag_id == dag_id)
    if keys is not None:
        if not keys:
            return {}
        stmt = stmt.where(reports.c.period_key.in_(keys))
    if prefix is not None:
        stmt = stmt.where(reports.c.period_key.startswith(prefix, autoescape=True))
    out = {}
    with engine.connect() as conn:
        for key, body in conn.execute(stmt):
            try:
                value = json.loads(body)
            except (TypeError, ValueError):
                continue
            if isinstance(value, dict):
                out[key] = value
    return out
