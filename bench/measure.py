"""One measurement in a fresh process: ``python -m bench.measure <name> [db]``.

Prints one JSON line ``{"seconds": ..., "rows": ...}``; the parent takes the peak RSS of this
process from ``os.wait4``. Modules are imported before the clock starts (their cost is what the
parse-time and year benchmarks measure); the clock covers connecting, querying and computing.

Subjects call exactly what the DAG tasks call; baselines are PostgreSQL's own COPY … TO STDOUT
of the rows the subject needs, written to /dev/null.
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench import common

# --- baselines: COPY (SELECT …) TO STDOUT into /dev/null ---------------------------------------------

# The rows the bulletin needs for week W = [:start, :end): every petition relevant to W (any of the
# four time columns in W) or in the 超期未反馈 backlog as of W's end, with the columns the report
# reads, and its units (lead / co). The backlog arm is stated like the backlog of
# include/sql/petitions/_rules.sql (withdrawn petitions are never in it), so that the same
# department indexes serve it: the partial B-tree ix_petitions_feedback_open and the GiST range
# index ix_petitions_feedback_backlog. The units are looked up per petition by the index on
# petition_units, as the bulletin looks up its leads: a LATERAL subquery that OFFSET 0 keeps from
# being flattened into a join. Flattened, PostgreSQL chose by table size: at 1M rows a parallel
# hash join over the whole of petition_units (1.15M rows, spilling to disk at work_mem 4 MB),
# 0.35 s, at 5M and 26M the index lookups, 0.15-0.24 s; so the 1M baseline was the slow one.
PETITIONS_BASELINE = """
COPY (
  SELECT p.petition_id, p.received_at, p.kind, p.topic, p.street, p.dispatch_due_at, p.dispatched_at,
         p.feedback_due_at, p.feedback_at, p.status, p.satisfaction, p.revisited_at, pu.unit_code, pu.role
  FROM petitions p
  LEFT JOIN LATERAL (SELECT u.unit_code, u.role FROM petition_units u WHERE u.petition_id = p.petition_id
                     OFFSET 0) pu ON true
  WHERE (p.received_at >= '{start}' AND p.received_at < '{end}')
     OR (p.dispatch_due_at >= '{start}' AND p.dispatch_due_at < '{end}')
     OR (p.feedback_due_at >= '{start}' AND p.feedback_due_at < '{end}')
     OR (p.revisited_at >= '{start}' AND p.revisited_at < '{end}')
     OR (p.feedback_due_at < '{end}' AND (p.feedback_at IS NULL OR p.feedback_at >= '{end}')
         AND (p.feedback_at IS NULL OR p.feedback_at > p.feedback_due_at)
         AND COALESCE(p.status, '') <> '已撤销'
         AND tsrange(p.feedback_due_at,
                     CASE WHEN p.feedback_at < p.feedback_due_at THEN p.feedback_due_at ELSE p.feedback_at END,
                     '(]') @> '{end}'::timestamp)
) TO STDOUT"""

POLICY_TABLES = ("enterprises", "certifications", "applications", "commitments")

# The month's rows of the evaluation: registries (projects, indicators) and the month's reports.
INNOVATION_BASELINE = (
    "COPY projects TO STDOUT",
    "COPY indicators TO STDOUT",
    "COPY (SELECT * FROM project_monthly WHERE month = '{month}') TO STDOUT",
    "COPY (SELECT * FROM indicator_monthly WHERE month = '{month}') TO STDOUT",
)


def _copy(db: str, statements) -> int:
    """The baseline: COPY ... TO STDOUT into /dev/null, with JIT off (at 26M rows the planner's
    estimate makes PostgreSQL spend ~0.5-2 s compiling the week's query, which is not the database
    handing over rows; the subjects' statements are cheap enough never to be JIT-compiled)."""
    conn = common.psycopg_connect(db)
    try:
        total = 0
        with open(os.devnull, "w") as sink, conn.cursor() as cur:
            cur.execute("SET jit = off")
            for stmt in statements:
                cur.copy_expert(stmt, sink)
                total += cur.rowcount
        return total
    finally:
        conn.close()


def _as_sent(db: str, queries) -> list[str]:
    """Each ``(include/sql file, params, list params)`` as the subject sends it, ready for COPY (which
    takes no parameters): SQLAlchemy and psycopg2 bind on the client, so the text psycopg2 sent
    for the statement's EXPLAIN (planned, not run), less ``EXPLAIN``, is the statement itself."""
    import sqlalchemy as sa
    from gxq import sql

    engine = sa.create_engine(common.PG_PREFIX + db, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            out = []
            for name, params, lists in queries:
                stmt = sa.text("EXPLAIN " + sql.render(name, "postgresql")).bindparams(
                    *(sa.bindparam(n, expanding=True) for n in lists))
                result = conn.execute(stmt, params)
                out.append(result.cursor.query.decode()[len("EXPLAIN "):])
                result.close()
            return out
    finally:
        engine.dispose()


def statements_by_copy(db: str, queries) -> list[str]:
    """``COPY (<statement>) TO STDOUT`` of each statement as sent (a statement may end in a comment)."""
    return [f"COPY ({text}\n) TO STDOUT" for text in _as_sent(db, queries)]


def _week():
    from gxq.periods import parse_key

    return parse_key(common.WEEK, ("week",))


def petitions_baseline(db: str):
    from gxq import sql

    week = _week()
    stmt = PETITIONS_BASELINE.format(start=sql.ts_text(week.start), end=sql.ts_text(week.end))
    return lambda: _copy(db, [stmt])


def petitions_statement(db: str):
    """week.sql alone, by COPY into /dev/null: the database's share of compute_week, no Python."""
    from gxq.petitions import compute

    stmts = statements_by_copy(db, [(compute.WEEK_SQL, compute.week_params(_week()), ())])
    return lambda: _copy(db, stmts)


def petitions_compute_week(db: str):
    from gxq.connections import engine_for
    from gxq.petitions import compute

    week = _week()

    def run():
        result = compute.compute_week(engine_for("dept_petitions"), week)
        return len(result["report"]["overdue_open"])
    return run


def petitions_compute_all(db: str):
    from gxq import carried
    from gxq.petitions import DAG_ID, pipeline

    def run():  # what the DAG's compute task calls (gxq.flow.compute): the week with its carried lines
        result = pipeline.compute_all(common.WEEK, lines=carried.lines(DAG_ID, _week()))
        return result["report"]["received"]
    return run


def policy_baseline(db: str):
    return lambda: _copy(db, [f"COPY {t} TO STDOUT" for t in POLICY_TABLES])


def _policy_run():
    from gxq.periods import parse_key
    from gxq.policy import catalogue

    return parse_key(common.QUARTER, ("quarter",)), list(catalogue.CATALOGUE.values())


def policy_statements(db: str):
    """The evaluation's statements alone (its rule statements and the 双承诺 check), by COPY into
    /dev/null: the database's share of evaluate, no Python."""
    from gxq.policy.evaluate import queries

    period, policies = _policy_run()
    stmts = statements_by_copy(db, queries(policies, period, with_commitments=True))
    return lambda: _copy(db, stmts)


def policy_evaluate(db: str):
    from gxq.connections import engine_for
    from gxq.policy.evaluate import evaluate

    period, policies = _policy_run()

    def run():  # every policy of the catalogue, with the 双承诺 check, as a quarterly batch does
        ev = evaluate(engine_for("dept_policy"), period, policies, with_commitments=True)
        return len(ev)
    return run


def innovation_baseline(db: str):
    return lambda: _copy(db, [s.format(month=common.MONTH) for s in INNOVATION_BASELINE])


def innovation_monthly(db: str):
    from gxq.innovation import pipeline
    from gxq.run import Run

    month = Run.for_period(pipeline.dag_for("month"), common.MONTH)

    def run():  # what the DAG's compute step calls
        report = pipeline.compute(month)
        return len(report["projects"])
    return run


PREIMPORT = {
    "petitions": ("gxq.petitions.compute", "gxq.petitions.rules", "gxq.petitions.pipeline", "gxq.connections",
                  "gxq.carried", "gxq.publicity.pipeline"),
    "policy": ("gxq.policy.evaluate", "gxq.policy.catalogue", "gxq.connections", "numpy"),
    "innovation": ("gxq.innovation.monthly", "gxq.innovation.rules", "gxq.innovation.source", "gxq.connections"),
}

SUBJECTS = {f.__name__: f for f in (petitions_baseline, petitions_statement, petitions_compute_week,
                                    petitions_compute_all, policy_baseline, policy_statements, policy_evaluate,
                                    innovation_baseline, innovation_monthly)}


def main(argv: list[str]) -> int:
    name, db = argv[0], argv[1]
    import logging

    logging.basicConfig(level=logging.ERROR)
    # What the subjects import lazily is imported before the clock: the clock measures the work.
    import jinja2  # noqa: F401
    import psycopg2
    import psycopg2.extras  # noqa: F401  (SQLAlchemy's psycopg2 dialect imports it with the first engine: ~6 ms)
    import sqlalchemy
    import sqlalchemy.dialects.postgresql.psycopg2  # noqa: F401

    for module in PREIMPORT.get(name.split("_")[0], ()):
        __import__(module)
    run = SUBJECTS[name](db)
    start = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
