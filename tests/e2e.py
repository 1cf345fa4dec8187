"""Scaffolding the capability tests share: hand-built department databases, and ``dag.test()`` runs
over the demo data pointed at a folder of their own.

- :class:`DeptDB` and :func:`dept_database`: a fresh empty department database from the contract
  DDL, once on SQLite and once on PostgreSQL; a conftest subclasses it with the rows its tests write.
- :func:`env_fixture`, :func:`point`, :func:`run_twice`: a module's end-to-end runs (output folder,
  Apprise file recipients, connections), the SQLite run done twice to check the rerun.
- :func:`engine_of`: an engine on a connection's JSON, for the tests' own reading of the rows;
  :func:`dashboard_of`: what the 看板 shows of a run's stored report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from tests.conftest import pg_conn_json, pg_url, run_dag, sqlite_conn_json

_counter = itertools.count()

# The demo's unit directory (gxq.demo.vocab.UNITS): every unit may be told something.
UNITS = tuple(f"U{i:02d}" for i in range(1, 24))


class DeptDB:
    """A department database (``DATABASE``) built from the contract DDL, filled by the test."""

    DATABASE = ""

    def __init__(self, url: str, conn_json: str | None = None):
        import sqlalchemy as sa
        from gxq.demo import schema

        self.url, self.conn_json = url, conn_json
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        schema.create_all(self.engine, self.DATABASE)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: str, *rows: dict):
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            for row in rows:
                cols = ", ".join(row)
                marks = ", ".join(f":{c}" for c in row)
                conn.execute(sa.text(f"INSERT INTO {table} ({cols}) VALUES ({marks})"), row)
        return self


@contextlib.contextmanager
def dept_database(request, tmp_path: Path, cls: type[DeptDB], pg_prefix: str = "", pg_database: str = ""):
    """A fresh empty ``cls`` database on ``request.param`` ("sqlite" or "postgresql"), disposed after.

    On PostgreSQL a new database named ``pg_prefix`` and a number, or the one the session fixture
    ``pg_database`` made (its tables dropped and made again)."""
    if request.param == "sqlite":
        path = tmp_path / f"{cls.DATABASE}_{next(_counter)}.db"
        db = cls(f"sqlite:///{path}", sqlite_conn_json(path))
    else:
        if pg_database:
            name = request.getfixturevalue(pg_database)
        else:
            name = request.getfixturevalue("pg").create(f"{pg_prefix}{next(_counter)}")
        db = cls(pg_url(name), pg_conn_json(name))
    try:
        yield db
    finally:
        db.engine.dispose()


def engine_of(conn_json: str):
    """A plain SQLAlchemy engine on an ``AIRFLOW_CONN_`` JSON value (SQLite or PostgreSQL)."""
    import sqlalchemy as sa

    d = json.loads(conn_json)
    if d["conn_type"] == "sqlite":
        return sa.create_engine(f"sqlite:///{d['host']}")
    return sa.create_engine(f"postgresql+psycopg2://{d['login']}@{d['host']}:{d['port']}/{d['schema']}")


def apprise_config(path: Path, tags=("office", "ops", *UNITS), notices: Path | None = None) -> Path:
    """An Apprise file writing every notice to files (under the output folder, or ``notices``)."""
    url = f"gxqfile://{notices or ''}"
    path.write_text(f'version: 1\nurls:\n  - "{url}":\n      - tag: {", ".join(tags)}\n', encoding="utf-8")
    return path


def point(mp: pytest.MonkeyPatch, folder: Path, conns: dict[str, str], **apprise) -> Path:
    """Point the runs at ``folder`` (output, Apprise file) and at ``conns``; the output folder."""
    from gxq.connections import dispose_all

    dispose_all()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "output"
    mp.setenv("GXQ_OUTPUT_DIR", str(out))
    mp.setenv("GXQ_APPRISE_CONFIG", str(apprise_config(folder / "apprise.yml", **apprise)))
    for cid, value in conns.items():
        mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
    return out


def env_fixture(name: str):
    """A module-scoped fixture ``env``: (MonkeyPatch, a fresh folder called ``name``), undone after."""

    @pytest.fixture(scope="module")
    def env(tmp_path_factory):
        from gxq.connections import dispose_all

        mp = pytest.MonkeyPatch()
        yield mp, tmp_path_factory.mktemp(name)
        mp.undo()
        dispose_all()

    return env


def run_twice(dagbag, env, dag_id: str, when, key: str, conns: dict[str, str], name: str = "sqlite") -> dict:
    """``dag.test()`` at ``when`` twice over ``conns``; the period folder's files after the first run
    (``first``, bytes), both runs, the output and period folders."""
    mp, folder = env
    out = point(mp, folder / name, conns)
    first = run_dag(dagbag, dag_id, when)
    period_dir = out / dag_id / key
    snapshot = {p.name: p.read_bytes() for p in period_dir.iterdir() if p.is_file()}
    second = run_dag(dagbag, dag_id, when)
    return {"runs": (first, second), "out": out, "dir": period_dir, "first": snapshot, "conns": conns}


def assert_rerun_sends_nothing_new(runs: dict, sent: int) -> None:
    """The second run of :func:`run_twice` wrote the same report and sent nothing; the first sent at
    least ``sent`` notices, none failed, none unrouted."""
    folder = runs["dir"]
    assert (folder / "report.json").read_bytes() == runs["first"]["report.json"]
    first = json.loads(runs["first"]["notifications.json"])
    second = json.loads((folder / "notifications.json").read_text(encoding="utf-8"))
    assert first["sent"] >= sent and first["failed"] == 0 and first["unrouted"] == []
    assert second["sent"] == 0 and second["skipped_already_sent"] == first["sent"]


def dashboard_of(runs: dict, section: str, now: dt.datetime) -> tuple[dict, dict, str]:
    """The stored report of :func:`run_twice`, the data of the 看板 section ``section`` (a function of
    ``gxq.dashboard.queries``) read from the runs' ``gxq_ops``, and the whole 看板 at ``now`` (naive
    Asia/Shanghai)."""
    from gxq.dashboard import queries
    from gxq.dashboard.render import render_dashboard

    report = json.loads((runs["dir"] / "report.json").read_text(encoding="utf-8"))
    engine = engine_of(runs["conns"]["gxq_ops"])
    try:
        data = getattr(queries, section)(engine).data
        sections = queries.dashboard_data(engine, now.replace(tzinfo=queries.TZ))
    finally:
        engine.dispose()
    return report, data, render_dashboard(sections, now=now)
