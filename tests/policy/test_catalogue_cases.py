"""Every policy's YAML test cases (catalogue/<policy_id>.yaml), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from gxq.policy import catalogue, testing

from tests import conftest as root

CASES = testing.all_cases()


def test_every_policy_ships_cases():
    for pid in catalogue.CATALOGUE:
        assert testing.load_cases(pid), f"{pid} has no test cases"


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pg):
    sqlite = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('cases') / 'dept_policy.db'}")
    pgname = pg.create("policy_cases")
    pgeng = sa.create_engine(root.pg_url(pgname), poolclass=sa.pool.NullPool)
    yield {"sqlite": sqlite, "postgresql": pgeng}
    sqlite.dispose()
    pgeng.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("policy_id,index,case", CASES, ids=[f"{p}-{i}" for p, i, _ in CASES])
def test_policy_case(engines, backend, policy_id, index, case):
    actual, expected, problems, expected_problems = testing.run_case(engines[backend], policy_id, case)
    assert actual == expected, case["name"]
    assert problems == expected_problems, case["name"]
