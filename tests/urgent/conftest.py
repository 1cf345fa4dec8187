"""Hand-built ``dept_petitions`` databases with urgent petitions, and ``gxq_ops`` stores, on SQLite
and PostgreSQL (the petitions tests' builder; databases of their own)."""

from __future__ import annotations

import itertools

import pytest

from tests import e2e
from tests.conftest import pg_url
from tests.petitions.conftest import PetitionsDB

_counter = itertools.count()


@pytest.fixture(scope="session")
def _pg_urgent_dept(pg):
    return pg.create("urg_dept")


@pytest.fixture(scope="session")
def _pg_urgent_ops(pg):
    return pg.create("urg_ops")


@pytest.fixture(params=["sqlite", "postgresql"])
def dept(request, tmp_path):
    """A fresh empty ``dept_petitions`` database, once on SQLite and once on PostgreSQL."""
    with e2e.dept_database(request, tmp_path, PetitionsDB, pg_database="_pg_urgent_dept") as db:
        yield db


@pytest.fixture
def ops(request, dept, tmp_path):
    """A ``gxq_ops`` store of the same engine kind as ``dept``, migrated, its urgent tables emptied."""
    import sqlalchemy as sa
    from gxq import store
    from gxq.store.tables import reports

    if dept.dialect == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'gxq_ops_{next(_counter)}.db'}", poolclass=sa.pool.NullPool)
    else:
        engine = sa.create_engine(pg_url(request.getfixturevalue("_pg_urgent_ops")), poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    with engine.begin() as conn:
        for name in ("petition_urgent_notified", "gxq_notify_delivery", "gxq_notify_outbox"):
            if sa.inspect(conn).has_table(name):
                conn.execute(sa.text(f"DELETE FROM {name}"))
        conn.execute(reports.delete())
    yield engine
    engine.dispose()
