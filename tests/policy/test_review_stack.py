"""审核后报财政 on a running Airflow (api-server, scheduler, dag-processor, triggerer; LocalExecutor
on a PostgreSQL metadata database), driven only through the REST API, as operators do.

- the documented ``hold`` list in the conf of a run triggered through ``POST /dags/{id}/dagRuns``:
  the batch is issued, the held award withheld as ``held_by_review``.
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from tests import conftest
from tests.integration.stack import AirflowStack
from tests.policy.test_hold_cli import first_award

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.timeout(900)]

Q = "policy_redemption_quarterly"
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}
DAGS = {Q}


@pytest.fixture(scope="module")
def stack(pg, demo_pg, tmp_path_factory):
    meta_db = pg.create("review_meta")
    ops_db = pg.create("review_ops")
    conns = {f"AIRFLOW_CONN_{cid.upper()}": value for cid, value in demo_pg.items()}
    conns["AIRFLOW_CONN_GXQ_OPS"] = conftest.pg_conn_json(ops_db)
    st = AirflowStack(
        workdir=tmp_path_factory.mktemp("review-stack"), metadata_url=conftest.pg_url(meta_db), workers=0,
        extra_env={**conns, "AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__CORE__PARALLELISM": "2"},
    )
    st.ops = sa.create_engine(conftest.pg_url(ops_db), poolclass=sa.pool.NullPool)
    try:
        st.migrate()
        st.start()
        st.wait_ready(workers=False)
        st.wait_for_dags(DAGS)
        for dag_id in DAGS:
            st.unpause(dag_id)
        yield st
    finally:
        st.stop()
        st.ops.dispose()


def wait_run(st: AirflowStack, dag_id: str, run_id: str, states=("success", "failed"), timeout: float = 420) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st.check_alive()
        run = st.api("GET", f"dags/{dag_id}/dagRuns/{run_id}")
        if run["state"] in states:
            return run
        if time.monotonic() > deadline:
            tis = {t["task_id"]: t["state"] for t in st.task_instances(dag_id, run_id)}
            raise AssertionError(f"{dag_id} {run_id}: {run['state']} after {timeout:.0f}s; tasks {tis}\n{st.tails(20)}")
        time.sleep(3)


def test_rest_api_run_with_the_documented_hold_list(stack, demo_pg, tmp_path):
    st = stack
    award = first_award(demo_pg, tmp_path)
    hold = {k: award[k] for k in ("policy_id", "credit_code", "basis_id")} | {"note": "待核实认定证书"}
    run_id = st.trigger(Q, "2021-04-10T09:00:00+08:00", {"period": "2021-Q1", **APPROVED, "hold": [hold]},
                        run_id="rest__hold_list")
    run = wait_run(st, Q, run_id)
    tis = {t["task_id"]: t["state"] for t in st.task_instances(Q, run_id)}
    assert run["state"] == "success", tis
    report = json.loads((st.output_dir / Q / "2021-Q1" / "report.json").read_text(encoding="utf-8"))
    key = (hold["policy_id"], hold["credit_code"], hold["basis_id"])
    assert key not in {(i["policy_id"], i["credit_code"], i["basis_id"]) for i in report["items"]}
    assert [w["reason"] for w in report["withheld"] if (w["policy_id"], w["credit_code"], w["basis_id"]) == key] \
        == ["held_by_review"]
    with st.ops.connect() as conn:
        ledger = {tuple(r) for r in conn.execute(sa.text(
            "SELECT policy_id, credit_code, basis_id FROM policy_payment_ledger WHERE batch_id = 'quarterly-2021-Q1'"))}
    assert key not in ledger and len(ledger) == len(report["items"])
