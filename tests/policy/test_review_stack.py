"""审核后报财政 on a running Airflow (api-server, scheduler, dag-processor, triggerer; LocalExecutor
on a PostgreSQL metadata database), driven only through the REST API, as operators do.

- the documented ``hold`` list in the conf of a run triggered through ``POST /dags/{id}/dagRuns``:
  the batch is issued, the held award withheld as ``held_by_review``;
- a review waiting for a batch that another run (approved by param) issued meanwhile is closed by
  ``policy_review_watch`` through the same REST API a person uses, answered 已由其他运行出具 naming
  the issued batch: the waiting run issues nothing and ends, nothing is paid twice.
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

Q, M, WATCH = "policy_redemption_quarterly", "policy_redemption_monthly", "policy_review_watch"
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}
DAGS = {Q, M, WATCH}


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
    # the watch answers as the stack's admin (an approver: role admin, the default)
    st.extra_env["AIRFLOW_CONN_GXQ_AIRFLOW_API"] = json.dumps(
        {"conn_type": "http", "host": st.base_url, "login": st.username, "password": st.password})
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


def wait_task(st: AirflowStack, dag_id: str, run_id: str, task_id: str, state: str, timeout: float = 420) -> None:
    deadline = time.monotonic() + timeout
    while True:
        tis = {t["task_id"]: t["state"] for t in st.task_instances(dag_id, run_id)}
        if tis.get(task_id) == state:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{dag_id} {run_id}: {task_id} not {state} after {timeout:.0f}s: {tis}")
        time.sleep(3)


def test_watch_closes_a_review_whose_batch_another_run_issued(stack):
    st = stack
    waits = st.trigger(M, "2021-04-05T09:00:00+08:00", {}, run_id="rest__waits")  # 2021-03, nobody approved
    wait_task(st, M, waits, "review", "awaiting_input")
    issued = st.trigger(M, "2021-04-05T10:00:00+08:00", {"period": "2021-03", **APPROVED}, run_id="rest__approved")
    assert wait_run(st, M, issued)["state"] == "success"
    watch = st.trigger(WATCH, "2021-04-06T09:30:00+08:00", {}, run_id="rest__watch")
    assert wait_run(st, WATCH, watch)["state"] == "success"

    run = wait_run(st, M, waits)  # ends by itself: nobody answers it by hand
    tis = {t["task_id"]: t["state"] for t in st.task_instances(M, waits)}
    assert run["state"] == "success", tis
    assert tis["review"] == "success" and tis["issue_batch"] == "skipped", tis
    assert {tis[t] for t in ("render", "publish", "notify")} == {"skipped"}, tis
    hitl = st.api("GET", f"dags/{M}/dagRuns/{waits}/taskInstances/review/-1/hitlDetails")
    assert hitl["chosen_options"] == ["已由其他运行出具"] and hitl["responded_by_user"]["name"] == st.username
    note = hitl["params_input"]["note"]
    assert "monthly-2021-03" in note and issued in note and APPROVED["approved_by"] in note, note
    with st.ops.connect() as conn:
        row = conn.execute(sa.text("SELECT status, decided_at, decided_by, note, open_key FROM policy_reviews "
                                   "WHERE run_id = :r"), {"r": waits}).mappings().one()
        batches = conn.execute(sa.text("SELECT run_id FROM policy_batches WHERE batch_id = 'monthly-2021-03'")).all()
        ledger = conn.execute(sa.text("SELECT count(*) FROM policy_payment_ledger WHERE batch_id = 'monthly-2021-03'")).scalar()
        duplicates = conn.execute(sa.text("SELECT count(*) FROM (SELECT policy_id, credit_code, basis_id FROM "
                                          "policy_payment_ledger GROUP BY 1, 2, 3 HAVING count(*) > 1) d")).scalar()
    assert row["status"] == "superseded" and row["decided_at"] is not None and row["open_key"] is None
    assert row["decided_by"] == st.username and "monthly-2021-03" in row["note"]
    assert [tuple(b) for b in batches] == [(issued,)]
    report = json.loads((st.output_dir / M / "2021-03" / "report.json").read_text(encoding="utf-8"))
    assert ledger == len(report["items"]) and duplicates == 0
