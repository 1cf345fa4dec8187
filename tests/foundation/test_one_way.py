"""One run, one way (read statically): only the run value reads a context's ``logical_date``, each DAG
id string is written in one module of ``plugins/gxq`` (the registry), and no two modules are called
``tasks``. Each check is also shown to fail on a small tree that breaks it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gxq import cadences

REPO = Path(__file__).resolve().parents[2]
RUN_MODULE = "gxq/run.py"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose, not values)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


# What a context (or the DAG run in it) holds of the run's moment, and the Jinja names Airflow fills from it.
CONTEXT_HOLDERS = {"context", "ctx", "dag_run", "dr", "ti", "task_instance"}
TEMPLATE_MOMENT = re.compile(r"\{\{[^}]*\b(logical_date|execution_date|data_interval_start|data_interval_end|ds|ds_nodash"
                             r"|ts_nodash|ts(?!\s*\())\b")


def _from_context(node: ast.AST) -> bool:
    """``context``, ``ti.dag_run``, ``context["dag_run"]``, ``get_current_context()[...]``: a context or
    what it holds (the run value itself is not one)."""
    if isinstance(node, ast.Name):
        return node.id in CONTEXT_HOLDERS
    if isinstance(node, ast.Attribute):
        return node.attr in CONTEXT_HOLDERS
    return isinstance(node, (ast.Subscript, ast.Call))


def logical_date_readers(files: dict[str, str]) -> list[str]:
    """Places reading ``logical_date`` from a context: ``x["logical_date"]``, ``x.get("logical_date")``,
    ``context.logical_date`` or ``context["dag_run"].logical_date`` (the DAG run's), a task parameter
    named ``logical_date`` (Airflow fills it from the context), or a Jinja template naming the moment
    (``{{ logical_date }}``, ``{{ ds }}``, ``{{ data_interval_start }}`` ...)."""
    found = []
    for name, text in files.items():
        tree = ast.parse(text)
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            hit = (
                (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                 and node.slice.value == "logical_date")
                or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "logical_date")
                or (isinstance(node, ast.Attribute) and node.attr == "logical_date" and _from_context(node.value))
                or (name.startswith("dags/") and isinstance(node, ast.arg) and node.arg == "logical_date")
                or (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and TEMPLATE_MOMENT.search(node.value) is not None)
            )
            if hit:
                found.append(f"{name}:{node.lineno}")
    return found


def dag_id_modules(files: dict[str, str], dag_ids: set[str]) -> dict[str, set[str]]:
    """DAG id -> the modules whose string values (not docstrings) name it."""
    word = re.compile(r"\b(" + "|".join(map(re.escape, sorted(dag_ids))) + r")\b")
    seen: dict[str, set[str]] = {}
    for name, text in files.items():
        tree = ast.parse(text)
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                for m in word.finditer(node.value):
                    seen.setdefault(m.group(1), set()).add(name)
    return seen


def modules_named(paths: list[str], stem: str) -> list[str]:
    return sorted(p for p in paths if Path(p).stem == stem or Path(p).parent.name == stem and Path(p).stem == "__init__")


def _tree(*roots: str) -> dict[str, str]:
    files = {}
    for root in roots:
        base = REPO / root
        for path in base.rglob("*.py"):
            files[str(path.relative_to(REPO / "plugins" if root.startswith("plugins") else REPO))] = \
                path.read_text(encoding="utf-8")
    return files


def test_only_the_run_value_reads_logical_date_from_a_context():
    files = {k: v for k, v in _tree("plugins/gxq", "dags").items() if k != RUN_MODULE}
    assert len(files) > 50 and any(k.startswith("dags/") for k in files)
    assert logical_date_readers(files) == []
    run = (REPO / "plugins" / RUN_MODULE).read_text(encoding="utf-8")
    assert logical_date_readers({RUN_MODULE: run}), "the scan no longer sees the run value's own reading"


def test_the_logical_date_scan_fails_on_a_reader():
    bad = {
        "gxq/a.py": 'def f(context):\n    return context.get("logical_date")\n',
        "gxq/b.py": 'def f(context):\n    return context["logical_date"]\n',
        "dags/c.py": "@task\ndef t(logical_date=None):\n    return logical_date\n",
        "gxq/ok.py": "def previous_week(logical_date):\n    return logical_date\n",  # a plain parameter
    }
    assert logical_date_readers(bad) == ["gxq/a.py:2", "gxq/b.py:2", "dags/c.py:2"]
    through_the_dag_run = {
        "gxq/d.py": 'def f(context):\n    return context["dag_run"].logical_date\n',
        "gxq/e.py": "def f():\n    return get_current_context()['dag_run'].logical_date\n",
        "gxq/f.py": "def f(ti, dag_run):\n    return ti.dag_run.logical_date or dag_run.logical_date\n",
        "dags/g.py": 'X = BashOperator(task_id="x", bash_command="report {{ ds }} {{data_interval_end}}")\n',
        "gxq/ok.py": '"""{{ ds }} in prose."""\nSQL = "{{ ts(\'received_at\') }}"\n\ndef f(run):\n    return run.logical_date\n',
    }
    assert sorted(logical_date_readers(through_the_dag_run)) == [
        "dags/g.py:1", "gxq/d.py:2", "gxq/e.py:2", "gxq/f.py:2", "gxq/f.py:2"]


def test_each_dag_id_is_written_in_the_registry_only():
    seen = dag_id_modules(_tree("plugins/gxq"), set(cadences.BY_ID))
    assert set(seen) == set(cadences.BY_ID)  # every id is in the registry, so the scan works
    elsewhere = {dag_id: sorted(m - {"gxq/cadences.py"}) for dag_id, m in seen.items() if m != {"gxq/cadences.py"}}
    assert elsewhere == {}, f"DAG ids written outside gxq/cadences.py (ask the registry): {elsewhere}"


def test_the_dag_id_scan_fails_on_a_copy():
    files = {
        "gxq/cadences.py": 'CADENCES = [dict(dag_id="x_weekly")]\n',
        "gxq/x/__init__.py": '"""The ``x_weekly`` DAG (prose is fine)."""\nDAG_ID = "x_weekly"\n',
        "gxq/y.py": 'NOTE = f"({1}) x_weekly 未运行"\n',
    }
    assert dag_id_modules(files, {"x_weekly"}) == {"x_weekly": {"gxq/cadences.py", "gxq/x/__init__.py", "gxq/y.py"}}


def test_no_two_modules_are_called_tasks():
    paths = [str(p.relative_to(REPO)) for p in (REPO / "plugins" / "gxq").rglob("*.py")]
    assert len(modules_named(paths, "tasks")) <= 1, modules_named(paths, "tasks")
    assert modules_named(["gxq/tasks/__init__.py", "gxq/policy/tasks.py", "gxq/tracking/x.py"], "tasks") == [
        "gxq/policy/tasks.py", "gxq/tasks/__init__.py"]
