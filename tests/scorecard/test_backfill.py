"""The scorecard can be backfilled over 2021 although Airflow schedules it on its inputs' assets
(docs/reference.md §5.8): ``airflow backfill create`` in a subprocess, as an operator types it,
creates one run per month, each carrying its month as partition key, and the run derives that month
as its period (gxq.run), as for a run the assets created."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "unit_performance_scorecard"
MONTHS = [f"2021-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def backfilled(airflow_db, tmp_path_factory):
    """A fresh AIRFLOW_HOME under ``source scripts/env.sh``, the DAGs serialised, then the runbook's
    backfill of 2021 (a dry run first, then the backfill itself)."""
    home = tmp_path_factory.mktemp("scorecard_backfill")
    shutil.copy(airflow_db, home / "airflow.db")
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "GXQ_", "PYTEST_")) and k != "AIRFLOW_HOME"}
    env = keep | {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}
    backfill = (f"airflow backfill create --dag-id {DAG_ID} "
                "--from-date 2021-01-01T00:00:00+08:00 --to-date 2021-12-31T23:59:59+08:00")

    def run(cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", f"source scripts/env.sh && {cmd}"], cwd=REPO, env=env, text=True,
                              capture_output=True, timeout=300, check=False)

    steps = {"reserialize": run("airflow dags reserialize"), "dry_run": run(backfill + " --dry-run"),
             "backfill": run(backfill), "again": run(backfill)}
    with sqlite3.connect(home / "airflow.db") as db:
        # the session's metadata database also holds other tests' runs of the DAG (dag.test(), manual)
        runs = db.execute("SELECT run_id, run_type, logical_date, partition_key, run_after, triggered_by FROM dag_run "
                          "WHERE dag_id = ? AND run_id LIKE 'backfill%' ORDER BY partition_key",
                          (DAG_ID,)).fetchall()
    return steps, runs


def test_backfill_of_2021_is_accepted_one_run_per_month(backfilled):
    steps, runs = backfilled
    for name in ("reserialize", "dry_run", "backfill"):
        assert steps[name].returncode == 0, (name, steps[name].stderr[-3000:])
    assert "DagNonPeriodicScheduleException" not in steps["backfill"].stderr
    assert all(month in steps["dry_run"].stdout for month in MONTHS)
    assert [r[3] for r in runs] == MONTHS  # one run per month, keyed by its month
    assert {(r[1], r[5]) for r in runs} == {("backfill", "BACKFILL")}
    assert all(r[2] is None for r in runs)  # a partitioned run has no logical date: its month is its key
    # the same backfill again adds no run: each month has its run already (--reprocess-behavior none)
    assert len(runs) == len(MONTHS)


def test_each_backfilled_run_scores_its_month(backfilled):
    import pendulum
    from gxq.run import Run

    _, runs = backfilled
    for run_id, run_type, _, key, run_after, _ in runs:
        dag_run = SimpleNamespace(run_id=run_id, run_type=run_type, partition_key=key,
                                  run_after=pendulum.parse(run_after), triggering_user_name=None)
        run = Run.from_context({"params": {}, "dag_run": dag_run}, DAG_ID)
        assert run.key == key and run.period.key == key and run.triggered_by == "回填"


def test_a_time_run_scores_the_month_before_its_logical_date():
    """A test run or a trigger with a logical date D (no partition): the month before D."""
    import pendulum
    from gxq.run import Run

    dag_run = SimpleNamespace(run_id="manual__x", run_type="manual", partition_key=None,
                              run_after=pendulum.datetime(2021, 7, 8, 2), triggering_user_name="admin")
    context = {"params": {}, "dag_run": dag_run, "logical_date": pendulum.datetime(2021, 7, 8, 2)}
    assert Run.from_context(context, DAG_ID).key == "2021-06"
