"""An invalid period (or ``as_of``) param fails the run at once, without retries, on every DAG
that takes one: the first task fails on its first try with an error naming the value, and no
department database is read."""

from __future__ import annotations

import pendulum
import pytest
from gxq import cadences

from tests.conftest import sqlite_conn_json

PERIOD_DAGS = sorted(c.dag_id for c in cadences.CADENCES if any(p.name == "period" for p in c.params))
BAD = {"week": "2021-W54", "month": "2021-13", "quarter": "2021-Q5"}


def _bad_period(dag_id: str) -> str:
    return BAD[cadences.get(dag_id).kinds[0]]


def test_every_dag_with_a_period_takes_only_period():
    assert len(PERIOD_DAGS) >= 6, PERIOD_DAGS
    for cadence in cadences.CADENCES:
        names = {p.name for p in cadence.params}
        assert not names & {"week", "month", "quarter"}, (cadence.dag_id, names)


@pytest.mark.parametrize("dag_id", PERIOD_DAGS)
def test_a_bad_period_fails_the_step_without_retry(dag_id):
    from airflow.sdk.exceptions import AirflowFailException
    from gxq import dagkit
    from gxq.run import Run, RunError

    @dagkit.fail_at_once
    def plan(params):
        return Run.from_context({"params": params, "logical_date": None, "dag_run": None}, dag_id)

    for bad in ("2021-W54", "2021-13", "2021-Q5", "2021-W09; DROP TABLE x", 202103):
        with pytest.raises(AirflowFailException) as err:
            plan({"period": bad})
        assert isinstance(err.value.__cause__, RunError)
        assert dag_id in str(err.value) and "invalid period param" in str(err.value)
        assert str(bad)[:8] in str(err.value)


@pytest.fixture
def empty_ops(use_conns, output_dir, tmp_path):
    # Department databases that do not exist: a run that reached a department query would fail
    # with a different error than the one asserted below.
    conns = {cid: sqlite_conn_json(tmp_path / "missing" / f"{cid}.db")
             for cid in ("dept_petitions", "dept_policy", "dept_innovation", "dept_publicity", "dept_supervision")}
    conns["gxq_ops"] = sqlite_conn_json(tmp_path / "gxq_ops.db")
    use_conns(conns)


@pytest.fixture
def private_dagbag(airflow_db):
    """A DagBag of this test's own: ``dag.test`` in-process leaves a run's conf in the DAG's params
    object, and the session's ``dagbag`` would hand the bad period to every later test."""
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    return DagBag(dag_folder=str(REPO / "dags"))


def _first_failed(dr):
    tis = [ti for ti in dr.get_task_instances() if ti.state == "failed"]
    assert len(tis) == 1, [(ti.task_id, ti.state) for ti in dr.get_task_instances()]
    return tis[0]


@pytest.mark.slow
def test_dag_runs_with_a_bad_period_fail_at_once(private_dagbag, empty_ops):
    """``dag.test`` of each DAG with a bad period: failed on its first try (``dag.test`` retries a
    task that may be retried: the run would end on try 3)."""
    when = pendulum.datetime(2021, 7, 12, 9, tz="Asia/Shanghai")
    for dag_id in PERIOD_DAGS:
        dr = private_dagbag.dags[dag_id].test(logical_date=when, run_conf={"period": _bad_period(dag_id)})
        assert dr.state == "failed", dag_id
        ti = _first_failed(dr)
        assert ti.try_number == 1 and ti.max_tries >= 1, (dag_id, ti.try_number, ti.max_tries)


@pytest.mark.slow
def test_publicity_bad_as_of_fails_at_once(private_dagbag, empty_ops):
    dr = private_dagbag.dags["publicity_cadence_reminder"].test(
        logical_date=pendulum.datetime(2021, 3, 3, 10, tz="Asia/Shanghai"), run_conf={"as_of": "2021-03-32T10:00"})
    assert dr.state == "failed"
    ti = _first_failed(dr)
    assert ti.task_id == "compute" and ti.try_number == 1
