"""Hand-built ``dept_supervision`` databases (SQLite and PostgreSQL) with the 三轮评估 tables."""

from __future__ import annotations

import pytest

from tests import e2e


class DeptDB(e2e.DeptDB):
    DATABASE = "dept_supervision"

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
    with e2e.dept_database(request, tmp_path, DeptDB, "asm") as db:
        yield db
