"""Hand-built ``dept_supervision`` databases (SQLite and PostgreSQL) with the 三轮评估 tables."""

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

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: str, *rows: dict) -> DeptDB:
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            for row in rows:
                conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                                     f"({', '.join(':' + c for c in row)})"), row)
        return self

    def round(self, key: str, published: str | None):
        return self.insert("assessment_rounds", {"round": key, "published_on": published})

    def indicator(self, code: str, unit: str = "U01", name: str | None = None):
        return self.insert("assessment_indicators", {"indicator_code": code, "name": name or f"指标{code}",
                                                     "unit_code": unit})

    def score(self, key: str, code: str, score, rank=None, districts=None):
        return self.insert("assessment_scores", {"round": key, "indicator_code": code, "score": score,
                                                 "city_rank": rank, "districts": districts})

    def finding(self, fid: str, key: str = "2021-03", code: str = "A01", unit: str | None = "U01",
                due: str | None = "2021-05-31", rectified: str | None = None, verified: str | None = None):
        return self.insert("assessment_findings", {"finding_id": fid, "round": key, "indicator_code": code,
                                                   "unit_code": unit, "problem": f"问题{fid}", "due_on": due,
                                                   "rectified_on": rectified, "verified_on": verified})


@pytest.fixture(params=["sqlite", "postgresql"])
def dept(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / f"dept_supervision_{next(_counter)}.db"
        db = DeptDB(f"sqlite:///{path}", sqlite_conn_json(path))
    else:
        pg = request.getfixturevalue("pg")
        name = pg.create(f"asm{next(_counter)}")
        db = DeptDB(pg_url(name), pg_conn_json(name))
    yield db
    db.engine.dispose()
