"""Fixtures of the policy tests: small hand-built dept_policy databases on SQLite and PostgreSQL
and a fresh gxq_ops per test."""

from __future__ import annotations

import pytest

from tests import conftest as root


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def dbs(backend, tmp_path, pg, request, use_conns, output_dir):
    """(dept_policy engine, gxq_ops engine) on the backend; the conn ids point at them."""
    import uuid

    import sqlalchemy as sa
    from gxq.connections import dispose_all

    if backend == "sqlite":
        dept_path, ops_path = tmp_path / "dept_policy.db", tmp_path / "gxq_ops.db"
        dept = sa.create_engine(f"sqlite:///{dept_path}", poolclass=sa.pool.NullPool)
        ops = sa.create_engine(f"sqlite:///{ops_path}", poolclass=sa.pool.NullPool)
        use_conns({"dept_policy": root.sqlite_conn_json(dept_path), "gxq_ops": root.sqlite_conn_json(ops_path)})
    else:
        suffix = uuid.uuid4().hex[:6]
        dept_name, ops_name = pg.create(f"pol_dept_{suffix}"), pg.create(f"pol_ops_{suffix}")
        dept = sa.create_engine(root.pg_url(dept_name), poolclass=sa.pool.NullPool)
        ops = sa.create_engine(root.pg_url(ops_name), poolclass=sa.pool.NullPool)
        use_conns({"dept_policy": root.pg_conn_json(dept_name), "gxq_ops": root.pg_conn_json(ops_name)})
    yield dept, ops
    dept.dispose()
    ops.dispose()
    dispose_all()
