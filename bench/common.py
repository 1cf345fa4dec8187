"""Shared settings of the benchmarks: where PostgreSQL is, database names, the benchmarked periods."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "plugins"
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
WORK = Path(os.environ.get("GXQBENCH_WORK", "/tmp/gxqbench"))

PG_HOST = os.environ.get("GXQBENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("GXQBENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("GXQBENCH_PG_USER", "postgres")
PG_PREFIX = f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/"
DB_PREFIX = "gxqbench_"  # every database the bench creates starts with this

# Benchmarked periods: an ordinary week in the middle of the demo year (its bulletin is the
# first of June, so it also ranks May), the last month and quarter of the year.
WEEK = os.environ.get("GXQBENCH_WEEK", "2021-W22")
MONTH = os.environ.get("GXQBENCH_MONTH", "2021-12")
QUARTER = os.environ.get("GXQBENCH_QUARTER", "2021-Q4")

# Petition table sizes (million rows) -> database. 1M is the demo generator at scale 40; the
# larger ones add earlier years (the generator's 2021 shifted back by whole years) to it.
PETITION_SCALE = float(os.environ.get("GXQBENCH_PETITION_SCALE", "40"))
POLICY_SCALE = float(os.environ.get("GXQBENCH_POLICY_SCALE", "100"))  # 2,000 enterprises per unit
INNOVATION_PROJECTS = 5000
INNOVATION_INDICATORS = 200


def petitions_db(millions: int) -> str:
    return f"{DB_PREFIX}p{millions}m_dept_petitions"


POLICY_DB = f"{DB_PREFIX}dept_policy"
INNOVATION_DB = f"{DB_PREFIX}dept_innovation"
DEMO_PREFIX = f"{DB_PREFIX}demo_"  # scale-1 demo databases of the year backfill
AIRFLOW_DB = f"{DB_PREFIX}airflow"
OPS_DB = f"{DB_PREFIX}ops"


def url(db: str) -> str:
    return PG_PREFIX + db


def conn_json(db: str) -> str:
    return json.dumps({"conn_type": "postgres", "host": PG_HOST, "port": PG_PORT, "login": PG_USER, "schema": db})


def psycopg_connect(db: str, autocommit: bool = False):
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db)
    conn.autocommit = autocommit
    return conn


def admin_exec(*statements: str) -> None:
    conn = psycopg_connect("postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            for stmt in statements:
                cur.execute(stmt)
    finally:
        conn.close()


def databases() -> set[str]:
    conn = psycopg_connect("postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database")
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()


def drop_database(name: str) -> None:
    if not name.startswith(DB_PREFIX):  # never drop what the bench did not create
        raise ValueError(f"refusing to drop {name!r}: not a {DB_PREFIX} database")
    admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), str(REPO)])
    env.setdefault("GXQ_NO_AIRFLOW_CONNECTIONS", "1")
    env["GXQ_OUTPUT_DIR"] = str(WORK / "output")  # never the repository's output/ and data/
    env["GXQ_DATA_DIR"] = str(WORK / "data")
    env.update(extra)
    return env
