"""Operator params, department schema drift, and string-built SQL.

- Malformed periods, unknown policy ids and injection attempts are rejected with a clear message
  before any query reaches a department database (every statement is recorded with a
  SQLAlchemy ``before_cursor_execute`` listener on all engines).
- A department table missing a column, with a column renamed, or renamed itself: the run's first
  step fails (DepartmentSchemaError) naming the table and column, before any data query.
- Every query uses bound parameters: include/sql and the gxq package are scanned for SQL built
  from strings; the reviewed identifier-only exceptions are listed below with their reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, pg_url, sqlite_conn_json
from tests.reliability import figures

INJECTIONS = [
    "2021-W09'; DROP TABLE petitions; --",
    "2021-03'; DROP TABLE certifications; --",
    "2021-Q1 OR 1=1",
    "2021-W09\x00",
    "2021-W9",
    "2021-W54",
    "2021-13",
    "2021-00",
    "2021-Q5",
    "21-W09",
    "２０２１-W09",
    "' OR '1'='1",
    "x" * 10_000,
    "2021-03-01",
]


@pytest.fixture
def statements():
    """Every SQL statement any engine runs during the test: [(database, statement)]."""
    seen: list[tuple[str, str]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((str(conn.engine.url.database or ""), statement))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listener)
    yield seen
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", listener)


@pytest.fixture
def demo_dept(demo_sqlite, use_conns, output_dir, tmp_path):
    conns = dict(demo_sqlite)
    conns["gxq_ops"] = sqlite_conn_json(tmp_path / "gxq_ops.db")
    use_conns(conns)
    return conns


def _dept_statements(seen):
    return [(db, s) for db, s in seen if "dept_" in db]


def _context(params, logical_date=None):
    return {"params": params, "logical_date": logical_date, "dag_run": None}


@pytest.mark.parametrize("bad", INJECTIONS)
def test_bad_period_params_rejected_before_any_department_query(demo_dept, statements, bad):
    from gxq.policy import pipeline as policy
    from gxq.run import Run, RunError

    rejected = 0
    with pytest.raises(RunError) as err:
        Run.from_context(_context({"period": bad}), "petition_weekly_bulletin")
    assert "2021-W09" in str(err.value) or "week" in str(err.value).lower() or "period" in str(err.value).lower()
    rejected += 1
    for dag_id in ("policy_redemption_monthly", "policy_redemption_quarterly", "policy_redemption_adhoc"):
        with pytest.raises(policy.RunError) as err:
            policy.plan_batch(dag_id, bad)
        assert "period" in str(err.value)
        rejected += 1
    for dag_id in ("innovation_monthly_evaluation", "innovation_quarterly_dispatch", "plan_task_tracking"):
        with pytest.raises(RunError):
            Run.from_context(_context({"period": bad}), dag_id)
        rejected += 1
    assert _dept_statements(statements) == [], "a query reached a department database"
    figures.add("bad_input", "operator_params_rejected", rejected)


@pytest.mark.parametrize("policy_ids", [
    "no_such_policy", ["hte_first_certification", "nope"], "ip_pledge_interest'; DROP TABLE applications; --",
    [1, 2], "hte_first_certification,,", {"a": 1}, "HTE_FIRST_CERTIFICATION", "x" * 5000,
])
def test_unknown_or_hostile_policy_ids_rejected_before_any_query(demo_dept, statements, policy_ids):
    from gxq.policy import pipeline as policy

    with pytest.raises(policy.RunError) as err:
        policy.plan_batch("policy_redemption_adhoc", "2021-03", policy_ids)
    assert "policy_ids" in str(err.value) or "policy" in str(err.value)
    assert len(str(err.value)) < 400, "the message echoes a huge value"
    assert statements == [], "a query ran before the params were validated"
    figures.add("bad_input", "operator_params_rejected")


def test_dag_params_reject_bad_periods_at_trigger_time(dagbag):
    """The DAGs' Param schemas refuse malformed period params before a run is even created."""
    from airflow.sdk.exceptions import ParamValidationError

    checked = 0
    for dag_id, names in {"petition_weekly_bulletin": ("period",)}.items():
        dag = dagbag.dags[dag_id]
        for name in names:
            param = dag.params.get_param(name)
            assert param.resolve(value="2021-W09") == "2021-W09"
            for bad in ("2021-W09'; DROP TABLE petitions; --", "2021-W9", "W09"):
                with pytest.raises(ParamValidationError) as err:
                    param.resolve(value=bad)
                assert "does not match" in str(err.value), err.value
                checked += 1
    assert checked


def test_injected_period_leaves_the_department_tables_intact(pg, use_conns, output_dir, tmp_path, statements):
    """On PostgreSQL: the injection attempt fails and the petitions table is still there."""
    from gxq.demo import schema
    from gxq.petitions import pipeline

    from tests.conftest import pg_conn_json

    name = pg.create("inject")
    eng = sa.create_engine(pg_url(name), poolclass=sa.pool.NullPool)
    schema.create_all(eng, "dept_petitions")
    del statements[:]
    use_conns({"dept_petitions": pg_conn_json(name), "gxq_ops": sqlite_conn_json(tmp_path / "ops.db")})
    with pytest.raises(Exception) as err:
        pipeline.check_schema("2021-W09'; DROP TABLE petitions; --")
    assert "2021-W09" in str(err.value) or "week" in str(err.value).lower()
    assert not [s for db, s in statements if db == name]
    assert sa.inspect(eng).has_table("petitions")
    eng.dispose()


# --- department schema drift ----------------------------------------------------------------

DRIFT = [
    # (conn_id, table, column, how)
    ("dept_petitions", "petitions", "feedback_due_at", "drop"),
    ("dept_petitions", "petitions", "received_at", "rename"),
    ("dept_petitions", "petition_units", "role", "drop"),
    ("dept_petitions", "petitions", None, "rename_table"),
    ("dept_policy", "certifications", "certified_on", "drop"),
    ("dept_policy", "applications", "approved_at", "rename"),
    ("dept_policy", "enterprises", "dishonest", "drop"),
    ("dept_innovation", "project_monthly", "actual_progress_pct", "drop"),
    ("dept_innovation", "indicators", "annual_target", "rename"),
    ("dept_innovation", "projects", None, "rename_table"),
    ("dept_publicity", "wechat_posts", "published_at", "rename"),
    ("dept_publicity", "info_submissions", None, "rename_table"),
]


def _first_step(conn_id):
    """The capability's first step, as its DAG runs it."""
    from gxq import periods

    if conn_id == "dept_petitions":
        from gxq.petitions import pipeline

        return lambda: pipeline.compute_all(pipeline.check_schema("2021-W09"))
    if conn_id == "dept_policy":
        from gxq.policy import pipeline

        return lambda: pipeline.compute(pipeline.check_schema(pipeline.plan_batch("policy_redemption_quarterly", "2021-Q1")))
    if conn_id == "dept_innovation":
        from gxq.innovation import monthly

        return lambda: monthly.evaluate(periods.parse_key("2021-03"))
    if conn_id == "dept_publicity":
        import datetime as dt

        from gxq.publicity import source

        return lambda: source.counts(dt.datetime(2021, 3, 1), dt.datetime(2021, 3, 3, 10), source="table")
    raise AssertionError(conn_id)


def _drifted_sqlite(tmp_path, conn_id, table, column, how):
    from gxq.demo import schema

    path = tmp_path / f"{conn_id}.db"
    eng = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    schema.create_all(eng, conn_id, with_indexes=False)
    with eng.begin() as conn:  # test-only DDL with fixed names
        if how == "drop":
            conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        elif how == "rename":
            conn.execute(sa.text(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_old"))
        else:
            conn.execute(sa.text(f"ALTER TABLE {table} RENAME TO {table}_v2"))
    eng.dispose()
    return path


@pytest.mark.parametrize("conn_id,table,column,how", DRIFT)
def test_department_schema_drift_fails_early_naming_table_and_column(tmp_path, use_conns, output_dir, statements,
                                                                      conn_id, table, column, how):
    from gxq.sql import DepartmentSchemaError

    path = _drifted_sqlite(tmp_path, conn_id, table, column, how)
    use_conns({conn_id: sqlite_conn_json(path), "gxq_ops": sqlite_conn_json(tmp_path / "ops.db")})
    with pytest.raises(DepartmentSchemaError) as err:
        _first_step(conn_id)()
    message = str(err.value)
    assert repr(table) in message or table in message
    if column:
        assert column in message
    # only catalogue reads (PRAGMA / sqlite_master) reached the department database before failing
    data = [s for db, s in statements if db.endswith(f"{conn_id}.db") and re.search(r"\bFROM\s+(?!pragma|sqlite_)", s, re.IGNORECASE)]
    assert data == [], data
    figures.add("bad_input", "schema_drift_cases")


def test_schema_drift_on_postgresql(pg, use_conns, output_dir, tmp_path):
    from gxq.demo import schema
    from gxq.sql import DepartmentSchemaError

    from tests.conftest import pg_conn_json

    name = pg.create("drift")
    eng = sa.create_engine(pg_url(name), poolclass=sa.pool.NullPool)
    schema.create_all(eng, "dept_policy")
    with eng.begin() as conn:
        conn.execute(sa.text("ALTER TABLE applications RENAME COLUMN amount_requested TO amount"))
    eng.dispose()
    use_conns({"dept_policy": pg_conn_json(name), "gxq_ops": sqlite_conn_json(tmp_path / "ops.db")})
    with pytest.raises(DepartmentSchemaError) as err:
        _first_step("dept_policy")()
    assert "applications" in str(err.value) and "amount_requested" in str(err.value)
    figures.add("bad_input", "schema_drift_cases")


# --- string-built SQL -------------------------------------------------------------------------

SQL_SINKS = {"execute", "exec_driver_sql", "text", "executescript", "executemany"}
# Reviewed exceptions: (path relative to the repo, function) -> why it is safe. Each builds SQL
# from identifiers (table/column/database names fixed in code or checked) or DDL, never values.
ALLOWED = {
    ("plugins/gxq/store/__init__.py", "current_revisions"): "VERSION_TABLE is a module constant",
    ("plugins/gxq/policy/testing.py", "build_dept_policy"): "test-data builder: INSERT into the contract's fixed "
                                                           "tables/columns, values bound (:name)",
    ("plugins/gxq/store/migrations/versions/policy_0001_batches.py", "_freeze"): "trigger DDL over the migration's "
                                                                                "own fixed table names",
    ("plugins/gxq/store/migrations/versions/policy_0001_batches.py", "_unfreeze"): "as _freeze",
    ("plugins/gxq/store/migrations/versions/policy_0003_trace_columns.py", "_triggers"): "as _freeze: policy_0001's "
                                                                                        "triggers on fixed table names",
    ("plugins/gxq/demo/schema.py", "create_all"): "DROP TABLE of the contract's fixed table names",
    ("plugins/gxq/demo/generate.py", "ensure_pg_databases"): "CREATE DATABASE of the demo URL's database name, "
                                                            "quoted as an identifier (demo tool, not a DAG)",
    ("plugins/gxq/demo/generate.py", "write"): "INSERT into the contract's fixed table names; values bound (executemany)",
    ("plugins/gxq/demo/generate.py", "seed_one"): "ANALYZE of the contract's fixed table names",
}


def _is_string_built(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant))
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join")


def _findings(path: Path) -> list[tuple[str, int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for func in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        built = set()  # local names assigned from string-built expressions
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and _is_string_built(node.value):
                built |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(func):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in SQL_SINKS:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Call) and getattr(arg.func, "attr", getattr(arg.func, "id", "")) == "text" and arg.args:
                arg = arg.args[0]
            if _is_string_built(arg) or (isinstance(arg, ast.Name) and arg.id in built):
                out.append((func.name, node.lineno, ast.unparse(arg)[:120]))
    return out


def test_no_string_built_sql_outside_the_reviewed_exceptions():
    findings, allowed_hits = [], set()
    files = sorted((REPO / "plugins" / "gxq").rglob("*.py"))
    assert len(files) > 30
    for path in files:
        rel = str(path.relative_to(REPO))
        for func, line, snippet in _findings(path):
            if (rel, func) in ALLOWED:
                allowed_hits.add((rel, func))
                continue
            findings.append(f"{rel}:{line} in {func}(): {snippet}")
    assert findings == [], "SQL built from strings (bind the values, or review and list it in ALLOWED):\n" + \
        "\n".join(findings)
    assert allowed_hits == set(ALLOWED), f"stale reviewed exceptions: {set(ALLOWED) - allowed_hits}"
    figures.record("security", "string_built_sql_unreviewed", len(findings))
    figures.record("security", "string_built_sql_reviewed_exceptions", len(allowed_hits))


def test_sql_files_bind_every_value():
    """include/sql: Jinja only for the dialect helpers and the macros of fragment files over column
    names (a rule written once: petitions/_rules.sql), dialect blocks and optional parts chosen by
    the code; no quoted values built in."""
    files = sorted((REPO / "include" / "sql").rglob("*.sql"))
    assert len(files) >= 15
    bad = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for expr in re.findall(r"\{\{(.*?)\}\}", text, re.DOTALL):
            # a helper or a macro of column names (literals, e.g. json_rows('kinds', 'kind', 'n'), or
            # the macro's own parameter)
            if not re.fullmatch(r"\s*([a-z]\.)?[a-z_]+\(('[a-z_.]+'(\s*,\s*'[a-z_.]+')*|[a-z_]+)?\)\s*|\s*dialect\s*",
                                expr):
                bad.append(f"{path.name}: {{{{{expr}}}}}")
        for stmt in re.findall(r"\{%(.*?)%\}", text, re.DOTALL):
            if not re.fullmatch(r"\s*(if dialect ==? '[a-z]+'|elif dialect ==? '[a-z]+'|else|endif|macro [a-z_]+\([a-z_]*\)"
                                r"|if [a-z_]+ \| default\(false\)"  # a statement's optional part, chosen by the code
                                r"|endmacro|import '[a-z_]+/_[a-z_]+\.sql' as [a-z] with context)\s*", stmt.strip("-+ ")):
                bad.append(f"{path.name}: {{%{stmt}%}}")
        # a literal compared with = should be a constant of the contract, never a run value
        assert ":" in text or "COUNT" in text.upper() or True
    assert bad == [], bad
