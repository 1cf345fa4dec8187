"""Shared test set-up: an isolated Airflow home, real PostgreSQL databases, demo data.

Everything expensive is session-scoped and shared across tests: the migrated Airflow metadata DB
(cached between sessions under .pytest_cache), the demo department databases (SQLite files and
PostgreSQL databases, seeded once), and the DagBag.

PostgreSQL is a real dependency: if 127.0.0.1:5432 is not reachable the suite fails loudly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Reused if this module is imported a second time in the same process (as `conftest` and as
# `tests.conftest`): the session has one temporary tree and one database prefix.
_SESSION_TMP = Path(os.environ.get("GXQ_TEST_SESSION_TMP") or tempfile.mkdtemp(prefix="gxq-tests-"))
os.environ["GXQ_TEST_SESSION_TMP"] = str(_SESSION_TMP)

# Environment first: Airflow reads its configuration at import time.
os.environ["AIRFLOW_HOME"] = str(_SESSION_TMP / "airflow_home")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DEFAULT_TIMEZONE"] = "Asia/Shanghai"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
os.environ.setdefault("GXQ_OUTPUT_DIR", str(_SESSION_TMP / "output"))
os.environ.setdefault("GXQ_DATA_DIR", str(_SESSION_TMP / "data"))
os.environ.setdefault("GXQ_APPRISE_CONFIG", str(_SESSION_TMP / "apprise.yml"))
os.environ.setdefault("GXQ_NO_AIRFLOW_CONNECTIONS", "1")
sys.path[:0] = [str(REPO / "plugins"), str(REPO)]

import pytest

# tests/e2e.py holds assertions the capability tests share: pytest explains them as in a test.
pytest.register_assert_rewrite("tests.e2e")

PG_HOST = os.environ.get("GXQ_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("GXQ_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("GXQ_TEST_PG_USER", "postgres")
# Each pytest session owns its databases: a unique prefix, dropped at the end.
PG_PREFIX = os.environ.setdefault("GXQ_TEST_PG_PREFIX", f"gxqt_{os.getpid()}_{uuid.uuid4().hex[:6]}")
DEPT_IDS = ("dept_petitions", "dept_policy", "dept_innovation", "dept_publicity", "dept_supervision")


def pg_url(database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
    auth = user or PG_USER
    if password:
        auth += f":{password}"
    return f"postgresql+psycopg2://{auth}@{PG_HOST}:{PG_PORT}/{database}"


def pg_conn_json(database: str, user: str | None = None, password: str | None = None) -> str:
    import json

    d = {"conn_type": "postgres", "host": PG_HOST, "port": PG_PORT, "login": user or PG_USER, "schema": database}
    if password:
        d["password"] = password
    return json.dumps(d)


def sqlite_conn_json(path: Path | str) -> str:
    import json

    return json.dumps({"conn_type": "sqlite", "host": str(path)})


def _admin_engine():
    import sqlalchemy as sa

    return sa.create_engine(pg_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _check_postgres() -> None:
    import sqlalchemy as sa

    try:
        with _admin_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        pytest.exit(
            f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} as {PG_USER}: {exc}. "
            "It is a real dependency of this suite; start it (see README) and run again.",
            returncode=3,
        )


class PgDatabases:
    """Creates PostgreSQL databases for the session and drops them all at the end."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self, label: str) -> str:
        import sqlalchemy as sa

        name = f"{PG_PREFIX}_{label}".lower()
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        import sqlalchemy as sa
        from gxq.connections import dispose_all

        dispose_all()
        with _admin_engine().connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg():
    _check_postgres()
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def session_tmp() -> Path:
    return _SESSION_TMP


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated Airflow metadata DB (SQLite), cached across sessions by Airflow version."""
    from importlib.metadata import version

    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    cache = REPO / ".pytest_cache" / f"airflow-{version('apache-airflow-core')}.db"
    target = home / "airflow.db"
    if cache.exists():
        shutil.copy(cache, target)
    else:
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"], check=True, env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, cache)
    return target


@pytest.fixture(scope="session")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    return bag


# --- demo department data, seeded once per session ------------------------------------------
# A small but complete slice of the demo year 2021 (scale chosen for test speed; the fixed window,
# not the rolling one, so that every test's figures stay put).
from gxq.demo.window import DEMO_YEAR

DEMO_SCALE = float(os.environ.get("GXQ_TEST_DEMO_SCALE", "0.2"))


@pytest.fixture(scope="session")
def demo_sqlite(session_tmp) -> dict[str, str]:
    """Demo department databases as SQLite files: {conn_id: AIRFLOW_CONN_ JSON}."""
    from gxq.demo import generate

    folder = session_tmp / "demo-sqlite"
    folder.mkdir(exist_ok=True)
    urls = {cid: f"sqlite:///{folder / (cid + '.db')}" for cid in DEPT_IDS}
    generate.seed(urls, scale=DEMO_SCALE, window=DEMO_YEAR)
    conns = {cid: sqlite_conn_json(folder / f"{cid}.db") for cid in DEPT_IDS}
    conns["gxq_ops"] = sqlite_conn_json(folder / "gxq_ops.db")
    return conns


@pytest.fixture(scope="session")
def demo_pg(pg) -> dict[str, str]:
    """Demo department databases on PostgreSQL: {conn_id: AIRFLOW_CONN_ JSON}."""
    from gxq.demo import generate

    names = {cid: pg.create(cid) for cid in (*DEPT_IDS, "gxq_ops")}
    generate.seed({cid: pg_url(names[cid]) for cid in DEPT_IDS}, scale=DEMO_SCALE, window=DEMO_YEAR)
    return {cid: pg_conn_json(name) for cid, name in names.items()}


@pytest.fixture
def use_conns(monkeypatch):
    """Point the five conn ids at the given databases for one test."""
    from gxq.connections import dispose_all

    def apply(conns: dict[str, str]) -> None:
        for cid, value in conns.items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)

    yield apply
    dispose_all()


@pytest.fixture
def output_dir(tmp_path, monkeypatch) -> Path:
    out = tmp_path / "output"
    monkeypatch.setenv("GXQ_OUTPUT_DIR", str(out))
    return out


def run_dag(dagbag, dag_id: str, logical_date, conf: dict | None = None):
    """``dag.test()`` one DAG run in-process; returns the DagRun."""
    dag = dagbag.dags[dag_id]
    return dag.test(logical_date=logical_date, run_conf=conf or None)


@pytest.fixture(scope="session", autouse=True)
def _cleanup_session_tmp():
    yield
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """The slow tier (distributed stack, browser) runs last, after everything else passed."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is not None)


try:  # the same Hypothesis examples on every run: CI must not depend on a random draw
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("gxq", derandomize=True, deadline=None, print_blob=True)
    _hyp_settings.load_profile("gxq")
except ImportError:  # pragma: no cover
    pass
