"""The bench's floor rows (issue 24) COPY exactly the statements the subjects send: the policy
evaluation's rule statements and 双承诺 check, and the bulletin's week.sql, their params bound as
psycopg2 binds them. A statement bound differently would copy other rows than the subject reads."""

from __future__ import annotations

import io
import json

import psycopg2
import pytest
import sqlalchemy as sa
from gxq import sql as gsql
from gxq.periods import parse_key
from gxq.petitions import compute
from gxq.policy import catalogue
from gxq.policy.evaluate import queries
from gxq.policy.testing import build_dept_policy

from bench import common, measure
from tests import conftest as root
from tests.policy.test_evaluate import ROWS


@pytest.fixture
def bench_server(monkeypatch):
    """The bench's PostgreSQL is the suite's."""
    monkeypatch.setattr(common, "PG_PREFIX", root.pg_url("").rsplit("/", 1)[0] + "/")


def _copied(db: str, statement: str) -> list[list[str]]:
    """The rows a COPY ... TO STDOUT gives, each split into its text columns."""
    conn = psycopg2.connect(host=root.PG_HOST, port=root.PG_PORT, user=root.PG_USER, dbname=db)
    try:
        out = io.StringIO()
        with conn.cursor() as cur:
            cur.copy_expert(statement, out)
        return [line.split("\t") for line in out.getvalue().splitlines()]
    finally:
        conn.close()


def test_the_policy_statements_copied_are_the_rows_the_evaluation_reads(pg, bench_server):
    db = pg.create("bench_policy_copy")
    dept = sa.create_engine(root.pg_url(db), poolclass=sa.pool.NullPool)
    build_dept_policy(dept, ROWS)
    sent = queries(list(catalogue.CATALOGUE.values()), parse_key("2021-Q3"), with_commitments=True)
    assert [name for name, _, _ in sent][-1] == "policy/commitment_shortfalls"
    copies = measure.statements_by_copy(db, sent)
    assert len(copies) == len(sent)
    with dept.connect() as conn:
        for (name, params, lists), copy in zip(sent, copies):
            assert ":pays_from" not in copy and "%(" not in copy and "POSTCOMPILE" not in copy, copy
            _, rows = gsql.tuples(conn, name, params, lists)
            copied = _copied(db, copy)
            assert rows, name  # every statement finds rows in ROWS: an empty pair would prove nothing
            # the same rows in the same order: their first column (the basis or commitment id)
            assert [r[0] for r in copied] == [str(r[0]) for r in rows], name
    dept.dispose()


def test_the_week_statement_copied_is_the_one_the_bulletin_reads(demo_pg, bench_server):
    db = json.loads(demo_pg["dept_petitions"])["schema"]
    week = parse_key("2021-W22", ("week",))
    [copy] = measure.statements_by_copy(db, [(compute.WEEK_SQL, compute.week_params(week), ())])
    [row] = _copied(db, copy)
    engine = sa.create_engine(root.pg_url(db), poolclass=sa.pool.NullPool)
    answers = compute.read_week(engine, week)
    engine.dispose()
    assert answers["unit_days"]["n"], "the demo week has no rows: the comparison would prove nothing"
    # week.sql's columns in order: unit_days, kinds, received_prev, ...
    assert json.loads(row[0]) == answers["unit_days"]
    assert json.loads(row[1]) == answers["kinds"]
    assert int(row[2]) == answers["received_prev"]
