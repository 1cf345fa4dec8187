"""Connections (数据源): the five department databases and the project's own ``gxq_ops`` store.

Resolution order for a conn id, the Airflow way:
1. ``AIRFLOW_CONN_<ID>`` in the environment (Airflow's JSON form or a URI);
2. a connection defined in Airflow (UI / secrets backend), when running inside Airflow;
3. the embedded default: one SQLite file per conn id under ``$GXQ_DATA_DIR``
   (``data/`` in the repository), so a fresh clone needs no manual step.

``dept_*`` engines are read-only: SQLite files are opened with ``mode=ro`` and PostgreSQL
sessions are set to ``default_transaction_read_only``. The project never writes to them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy import event

REPO_ROOT = Path(__file__).resolve().parents[2]

DEPT_CONN_IDS = ("dept_petitions", "dept_policy", "dept_innovation", "dept_publicity", "dept_supervision")
OPS_CONN_ID = "gxq_ops"
ALL_CONN_IDS = (*DEPT_CONN_IDS, OPS_CONN_ID)

# The demo's Airflow metadata database is SQLite (``airflow standalone``), written at once by the
# scheduler, the dag-processor, the triggerer and the api-server. sqlite3's default busy timeout
# (5 s) was exceeded on a loaded 2-core machine (load 12-17): "database is locked" stopped the
# scheduler mid-demo, twice. scripts/run.sh names this dict in
# AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS (SQLite only: psycopg2 has no ``timeout``).
AIRFLOW_SQLITE_CONNECT_ARGS = {"timeout": 60}


class ConnectionConfigError(RuntimeError):
    """A connection that cannot be turned into a database URL."""


@dataclass(frozen=True)
class ConnSpec:
    conn_id: str
    conn_type: str  # sqlite | postgres
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def read_only(self) -> bool:
        return self.conn_id.startswith("dept_")

    def sqlalchemy_url(self) -> str:
        if self.conn_type == "sqlite":
            if not self.host:
                raise ConnectionConfigError(f"{self.conn_id}: sqlite connection needs the file path in host")
            return f"sqlite:///{self.host}"
        if self.conn_type in ("postgres", "postgresql"):
            auth = ""
            if self.login:
                auth = quote(self.login, safe="")
                if self.password:
                    auth += ":" + quote(self.password, safe="")
                auth += "@"
            port = f":{self.port}" if self.port else ""
            return f"postgresql+psycopg2://{auth}{self.host or ''}{port}/{self.schema or ''}"
        raise ConnectionConfigError(
            f"{self.conn_id}: unsupported conn_type {self.conn_type!r} (use sqlite or postgres)"
        )

    def safe_description(self) -> str:
        """Where the connection points, never with its password."""
        if self.conn_type == "sqlite":
            return f"sqlite:{self.host}"
        return f"postgres://{self.login or ''}@{self.host}:{self.port or 5432}/{self.schema or ''}"


def data_dir() -> Path:
    return Path(os.environ.get("GXQ_DATA_DIR") or REPO_ROOT / "data")


def default_spec(conn_id: str) -> ConnSpec:
    return ConnSpec(conn_id, "sqlite", host=str(data_dir() / f"{conn_id}.db"))


def parse_conn_value(conn_id: str, value: str) -> ConnSpec:
    """Parse ``AIRFLOW_CONN_<ID>``: Airflow's JSON form or its URI form."""
    value = value.strip()
    if value.startswith("{"):
        try:
            d = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConnectionConfigError(f"{conn_id}: AIRFLOW_CONN_{conn_id.upper()} is not valid JSON: {exc}")
        extra = d.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        return ConnSpec(
            conn_id,
            (d.get("conn_type") or "").lower(),
            host=d.get("host"),
            port=int(d["port"]) if d.get("port") not in (None, "") else None,
            login=d.get("login"),
            password=d.get("password"),
            schema=d.get("schema"),
            extra=extra,
        )
    parts = urlsplit(value)
    scheme = parts.scheme.lower().replace("-", "_")
    if scheme in ("sqlite",):
        # Airflow URI for sqlite keeps the path in host: sqlite:////abs/path.db -> /abs/path.db
        path = unquote(parts.netloc + parts.path)
        if value.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        return ConnSpec(conn_id, "sqlite", host=path)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        return ConnSpec(
            conn_id,
            "postgres",
            host=parts.hostname,
            port=parts.port,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            schema=unquote(parts.path.lstrip("/")) or None,
            extra=dict(parse_qsl(parts.query)),
        )
    raise ConnectionConfigError(f"{conn_id}: cannot read connection URI scheme {parts.scheme!r}")


def _airflow_spec(conn_id: str) -> ConnSpec | None:
    """A connection defined in Airflow itself (UI or secrets backend), if reachable."""
    if os.environ.get("GXQ_NO_AIRFLOW_CONNECTIONS"):
        return None
    try:
        from airflow.sdk import BaseHook  # imported lazily: DAG files never pay for this
    except Exception:  # noqa: BLE001 - Airflow absent: plain-Python use of the package
        return None
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - not defined, or not inside a task
        return None
    return spec_of(conn_id, conn)


def spec_of(conn_id: str, conn) -> ConnSpec:
    """The spec of an Airflow connection object (the Task SDK's or the server's ``Connection``)."""
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}
    return ConnSpec(
        conn_id,
        (conn.conn_type or "").lower(),
        host=conn.host,
        port=conn.port,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        extra=extra or {},
    )


def resolve(conn_id: str) -> ConnSpec:
    env = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if env:
        return parse_conn_value(conn_id, env)
    spec = _airflow_spec(conn_id)
    if spec is not None:
        return spec
    return default_spec(conn_id)


_engines: dict[tuple, object] = {}
_lock = threading.Lock()


def engine_for(conn_id: str, spec: ConnSpec | None = None):
    """A cached SQLAlchemy engine for a conn id (read-only for ``dept_*``)."""
    spec = spec or resolve(conn_id)
    url = spec.sqlalchemy_url()
    cache_key = (conn_id, url, os.getpid())
    with _lock:
        if cache_key in _engines:
            return _engines[cache_key]
        if spec.conn_type == "sqlite":
            path = Path(spec.host)
            if spec.read_only:
                if not path.exists():
                    raise ConnectionConfigError(
                        f"{conn_id}: SQLite database {path} does not exist "
                        "(seed the demo data with `python -m gxq.demo.generate` or set "
                        f"AIRFLOW_CONN_{conn_id.upper()})"
                    )

                def creator(p=path):
                    return sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=30, check_same_thread=False)

                engine = sa.create_engine("sqlite://", creator=creator, poolclass=sa.pool.NullPool)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(
                    url, connect_args={"timeout": 60, "check_same_thread": False}, poolclass=sa.pool.NullPool
                )

                @event.listens_for(engine, "connect")
                def _sqlite_pragmas(dbapi_conn, _record):
                    cur = dbapi_conn.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute("PRAGMA busy_timeout=60000")
                    cur.execute("PRAGMA foreign_keys=ON")
                    cur.close()
        else:
            connect_args = {"connect_timeout": 10, "application_name": f"gxq:{conn_id}"}
            # use_native_hstore=False: the project reads no hstore column, and SQLAlchemy would
            # otherwise look the type up in pg_type on every new connection (~1 ms of PostgreSQL's
            # CPU of a fresh backend's ~4-5 ms to connect; the monthly evaluation's benchmark).
            engine = sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True, pool_size=2,
                                      use_native_hstore=False)
            if spec.read_only:

                @event.listens_for(engine, "connect")
                def _read_only(dbapi_conn, _record):
                    cur = dbapi_conn.cursor()
                    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                    if getattr(dbapi_conn, "server_version", 0) >= 110000:
                        # The project's department reads are short, index-driven statements: on a
                        # large table the planner's estimates trigger JIT compilation, which costs
                        # more than it saves (0.29 s -> 0.16 s for the backlog at 26M rows,
                        # docs/benchmarks.md). A session setting any role may change.
                        cur.execute("SET jit = off")
                    cur.close()
                    dbapi_conn.commit()

        _engines[cache_key] = engine
        return engine


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
