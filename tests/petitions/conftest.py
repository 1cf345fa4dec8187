"""Hand-built ``dept_petitions`` databases (and ``gxq_ops`` stores) on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest

from tests import e2e
from tests.conftest import pg_url

_counter = itertools.count()


class PetitionsDB(e2e.DeptDB):
    """A ``dept_petitions`` database from the contract DDL, filled row by row by a test."""

    DATABASE = "dept_petitions"

    def __init__(self, url: str, conn_json: str | None = None):
        super().__init__(url, conn_json)
        self._n = itertools.count(1)

    def unit(self, code: str, name: str | None = None) -> PetitionsDB:
        return self.insert("units", {"unit_code": code, "unit_name": name or f"单位{code}"})

    def add(self, pid: str | None = None, *, received: str | None = "2021-03-02 10:00:00", kind: str = "求助",
            topic: str = "其他", status: str = "办理中", lead: str | list[str] | None = "U01",
            co: list[str] = (), dispatch_due: str | None = None, dispatched: str | None = None,
            feedback_due: str | None = None, feedback: str | None = None, satisfaction: str | None = None,
            revisited: str | None = None, phone: str = "13612340546", name: str = "张三",
            street: str | None = "黄泥川街道", urgent: bool = False) -> str:
        """One petition with its units; times are local wall clock text."""
        pid = pid or f"P{next(self._n):05d}"
        self.insert("petitions", {
            "petition_id": pid, "received_at": received, "channel": "8890热线", "kind": kind, "topic": topic,
            "street": street, "is_urgent": urgent, "citizen_name": name, "citizen_phone": phone,
            "content": f"市民{name}({phone})反映{topic}问题", "dispatch_due_at": dispatch_due,
            "dispatched_at": dispatched, "feedback_due_at": feedback_due, "feedback_at": feedback,
            "closed_at": None, "status": status, "satisfaction": satisfaction, "revisited_at": revisited,
        })
        leads = [lead] if isinstance(lead, str) else list(lead or [])
        for code in leads:
            self.insert("petition_units", {"petition_id": pid, "unit_code": code, "role": "lead"})
        for code in co:
            self.insert("petition_units", {"petition_id": pid, "unit_code": code, "role": "co"})
        return pid


@pytest.fixture(scope="session")
def _pg_petitions_db(pg):
    return pg.create("pet_dept")


@pytest.fixture(params=["sqlite", "postgresql"])
def dept(request, tmp_path):
    """A fresh empty ``dept_petitions`` database, once on SQLite and once on PostgreSQL."""
    with e2e.dept_database(request, tmp_path, PetitionsDB, pg_database="_pg_petitions_db") as db:
        yield db


@pytest.fixture(scope="session")
def _pg_ops_db(pg):
    return pg.create("pet_ops")


@pytest.fixture
def ops(request, dept, tmp_path):
    """A ``gxq_ops`` store of the same engine kind as ``dept``, migrated, with empty petitions tables."""
    import sqlalchemy as sa
    from gxq import store
    from gxq.petitions.tables import (
        petition_days,
        petition_topic_days,
        petition_unit_days,
        petition_weeks,
        supervised_items,
        supervised_states,
    )

    if dept.dialect == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'gxq_ops_{next(_counter)}.db'}",
                                  poolclass=sa.pool.NullPool)
    else:
        engine = sa.create_engine(pg_url(request.getfixturevalue("_pg_ops_db")), poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    with engine.begin() as conn:
        for table in (supervised_states, supervised_items, petition_weeks, petition_unit_days, petition_topic_days,
                      petition_days):
            conn.execute(table.delete())
    yield engine
    engine.dispose()
