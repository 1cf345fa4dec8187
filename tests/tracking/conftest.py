"""Hand-built ``dept_supervision`` databases (SQLite and PostgreSQL) for the data-problem tests."""

from __future__ import annotations

import pytest

from tests import e2e


class DeptDB(e2e.DeptDB):
    DATABASE = "dept_supervision"

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
    with e2e.dept_database(request, tmp_path, DeptDB, "sup") as db:
        yield db
