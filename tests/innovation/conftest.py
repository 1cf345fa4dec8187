"""Hand-built ``dept_innovation`` databases on SQLite and PostgreSQL for the innovation tests."""

from __future__ import annotations

import pytest

from tests import e2e


class DeptDB(e2e.DeptDB):
    """A ``dept_innovation`` database built from the contract DDL, filled by the test."""

    DATABASE = "dept_innovation"

    def project(self, pid: str, unit: str | None = "U01", start: str | None = "2020-06-01", name: str | None = None):
        return self.insert("projects", {"project_id": pid, "name": name or f"项目{pid}", "responsible_unit": unit,
                                        "start_on": start})

    def progress(self, pid: str, month: str, plan, actual, reported_at: str | None = None):
        return self.insert("project_monthly", {"project_id": pid, "month": month, "plan_progress_pct": plan,
                                               "actual_progress_pct": actual,
                                               "reported_at": reported_at or f"{month}-28 10:00:00"})

    def indicator(self, code: str, weight, target, name: str | None = None):
        return self.insert("indicators", {"indicator_code": code, "name": name or f"指标{code}", "weight": weight,
                                          "annual_target": target})

    def value(self, code: str, month: str, value):
        return self.insert("indicator_monthly", {"indicator_code": code, "month": month, "value_ytd": value})


@pytest.fixture(params=["sqlite", "postgresql"])
def dept(request, tmp_path):
    """A fresh empty ``dept_innovation`` database, once on SQLite and once on PostgreSQL."""
    with e2e.dept_database(request, tmp_path, DeptDB, "inno") as db:
        yield db


@pytest.fixture
def read_engine(dept):
    """The project's own read-only engine on the test database (as the DAG would open it)."""
    from gxq.connections import engine_for, parse_conn_value

    return engine_for("dept_innovation", parse_conn_value("dept_innovation", dept.conn_json))
