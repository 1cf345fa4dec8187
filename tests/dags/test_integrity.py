"""DAG integrity: every DAG file imports cleanly and follows the project's rules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_FILES = sorted(p for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_"))
CONTRACT_DAG_IDS = {
    "petition_weekly_bulletin",
    "policy_redemption_monthly",
    "policy_redemption_quarterly",
    "policy_redemption_adhoc",
    "innovation_monthly_evaluation",
    "innovation_quarterly_dispatch",
    "publicity_cadence_reminder",
    "plan_task_tracking",
}
HEAVY = ("pandas", "sqlalchemy", "apprise", "openpyxl", "docx", "matplotlib", "psycopg2", "requests")


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}, dagbag.import_errors


def test_contract_dag_ids_present(dagbag):
    assert CONTRACT_DAG_IDS <= set(dagbag.dags), sorted(CONTRACT_DAG_IDS - set(dagbag.dags))


@pytest.fixture(scope="module")
def dags(dagbag):
    return list(dagbag.dags.values())


def test_tags_owner_retries_failure_alert(dags):
    for dag in dags:
        assert dag.tags, f"{dag.dag_id} has no tags"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag.dag_id}.{task.task_id} has no owner"
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert any(cb is not None for cb in callbacks), f"{dag.dag_id}.{task.task_id} has no ops alert"


def test_doc_md_in_chinese_and_english(dags):
    for dag in dags:
        doc = dag.doc_md or ""
        assert any("\u4e00" <= ch <= "\u9fff" for ch in doc), f"{dag.dag_id}: doc_md has no Chinese"
        assert sum(ch.isascii() and ch.isalpha() for ch in doc) > 80, f"{dag.dag_id}: doc_md has no English"


def test_schedule_in_shanghai_and_start_date(dags):
    import datetime as dt

    for dag in dags:
        assert str(dag.timezone.name) == "Asia/Shanghai", dag.dag_id
        assert dag.start_date <= dt.datetime(2021, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), dag.dag_id
        assert dag.catchup is False, dag.dag_id
        tt = dag.timetable
        tz = getattr(tt, "_timezone", None) or getattr(tt, "timezone", None)
        if tz is not None and dag.dag_id != "policy_redemption_adhoc":
            assert "Shanghai" in str(getattr(tz, "name", tz)), f"{dag.dag_id}: timetable zone {tz}"


def test_every_dag_has_dry_run_and_resend_params(dags):
    for dag in dags:
        assert {"dry_run", "resend"} <= set(dag.params.keys()), dag.dag_id


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_no_heavy_imports_at_module_level(path):
    """A DAG file parses fast: no pandas, SQLAlchemy, Apprise, openpyxl ... at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:  # module level only; task bodies may import what they need
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in HEAVY, f"{path.name} imports {name} at module level"


def test_parsing_dag_files_loads_no_heavy_module():
    """Parse every DAG file in a fresh interpreter and check what got imported."""
    code = (
        "import sys, runpy\n"
        f"sys.path[:0] = [{str(REPO / 'plugins')!r}]\n"
        "import airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"for f in {[str(p) for p in DAG_FILES]!r}:\n"
        "    runpy.run_path(f)\n"
        f"heavy = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in {HEAVY!r})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = [m for m in out.stdout.strip().splitlines()[-1].split(",") if m] if out.stdout.strip() else []
    assert loaded == [], f"DAG parsing imported heavy modules: {loaded}"
