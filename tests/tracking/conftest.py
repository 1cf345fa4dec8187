"""Hand-built ``dept_supervision`` databases (SQLite and PostgreSQL) for the data-problem tests."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import pg_conn_json, pg_url, sqlite_conn_json

_counter = itertools.count()


class DeptDB:
    def __init__(self, url: str, conn_json: str):
        import sqlalchemy as sa
        from gxq.demo import schema

        self.url, self.conn_json = url, conn_json
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        schema.create_all(self.engine, "dept_supervision")

    def insert(self, table: str, *rows: dict) -> DeptDB:
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            for row in rows:
                conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                                     f"({', '.join(':' + c for c in row)})"), row)
        return self

    def target(self, tid: str, unit="U01", value=365, start="2021-01-01", due="2021-12-31", curve="linear"):
        return self.insert("plan_targets", {"target_id": tid, "item": "实事一", "title": f"任务{tid}", "unit_code": unit,
                                            "measure": "场", "target_value": value, "start_on": start, "due_on": due,
                                            "curve": curve})

    def report(self, tid: str, day: str, value, note: str | None = None):
        return self.insert("plan_progress", {"target_id": tid, "reported_on": day, "value_cumulative": value,
                                             "note": note})

    def milestone(self, tid: str, day: str, value):
        return self.insert("plan_milestones", {"target_id": tid, "due_on": day, "value": value})


@pytest.fixture(params=["sqlite", "postgresql"])
def dept(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / f"dept_supervision_{next(_counter)}.db"
        db = DeptDB(f"sqlite:///{path}", sqlite_conn_json(path))
    else:
        pg = request.getfixturevalue("pg")
        name = pg.create(f"sup{next(_counter)}")
        db = DeptDB(pg_url(name), pg_conn_json(name))
    yield db
    db.engine.dispose()
