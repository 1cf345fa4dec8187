import json

import pytest
import sqlalchemy as sa
from gxq import connections
from gxq.connections import ConnectionConfigError

from tests.conftest import pg_conn_json


def test_json_forms_of_the_contract():
    spec = connections.parse_conn_value("dept_petitions", '{"conn_type": "sqlite", "host": "/abs/p.db"}')
    assert spec.sqlalchemy_url() == "sqlite:////abs/p.db" and spec.read_only
    spec = connections.parse_conn_value(
        "gxq_ops",
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "u", "password": "p@ss",
                    "schema": "ops"}),
    )
    assert spec.sqlalchemy_url() == "postgresql+psycopg2://u:p%40ss@127.0.0.1:5432/ops"
    assert "p@ss" not in spec.safe_description() and "p@ss" not in repr(spec)


def test_uri_forms():
    spec = connections.parse_conn_value("dept_policy", "postgresql://u:secret@db:5433/policy")
    assert (spec.host, spec.port, spec.login, spec.password, spec.schema) == ("db", 5433, "u", "secret", "policy")
    assert connections.parse_conn_value("x", "sqlite:////tmp/a.db").host == "/tmp/a.db"
    with pytest.raises(ConnectionConfigError, match="scheme"):
        connections.parse_conn_value("x", "mysql://u@h/db")
    with pytest.raises(ConnectionConfigError, match="not valid JSON"):
        connections.parse_conn_value("x", "{bad")


def test_embedded_default_is_one_sqlite_file_per_conn(monkeypatch, tmp_path):
    monkeypatch.setenv("GXQ_DATA_DIR", str(tmp_path))
    for cid in connections.ALL_CONN_IDS:
        monkeypatch.delenv(f"AIRFLOW_CONN_{cid.upper()}", raising=False)
        spec = connections.resolve(cid)
        assert spec.conn_type == "sqlite" and spec.host == str(tmp_path / f"{cid}.db")


def test_env_overrides_default(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_POLICY", '{"conn_type": "sqlite", "host": "/elsewhere.db"}')
    assert connections.resolve("dept_policy").host == "/elsewhere.db"


def test_dept_sqlite_is_read_only(monkeypatch, tmp_path):
    path = tmp_path / "dept_publicity.db"
    sa.create_engine(f"sqlite:///{path}").connect().close()
    with sa.create_engine(f"sqlite:///{path}").begin() as c:
        c.execute(sa.text("CREATE TABLE t (x int)"))
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_PUBLICITY", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    engine = connections.engine_for("dept_publicity")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM t")).scalar() == 0
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            c.execute(sa.text("INSERT INTO t VALUES (1)"))
    connections.dispose_all()


def test_missing_dept_sqlite_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_POLICY", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "no.db")}))
    with pytest.raises(ConnectionConfigError, match="does not exist"):
        connections.engine_for("dept_policy")


def test_dept_postgres_is_read_only(pg, monkeypatch):
    name = pg.create("conn_ro")
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_INNOVATION", pg_conn_json(name))
    engine = connections.engine_for("dept_innovation")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT 1")).scalar() == 1
        with pytest.raises(sa.exc.InternalError, match="read-only"):
            c.execute(sa.text("CREATE TABLE t (x int)"))
    connections.dispose_all()
