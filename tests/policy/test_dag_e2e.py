"""End to end: ``dag.test()`` of the three 政策兑现 DAGs over the demo data.

SQLite: monthly (D 2021-04-05 → 2021-03), quarterly (D 2021-04-10 → 2021-Q1), then the monthly
again (rerun: identical report, no new ledger row, no new notice). PostgreSQL: quarterly 2021-Q1 and
an adhoc run with params. Five dag.test() runs in all, shared by the tests of this module. The
department databases are the session's demo ones; gxq_ops is this module's own, fresh.
"""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest
import sqlalchemy as sa
from gxq.masking import find_unmasked

from tests.conftest import run_dag
from tests.notify.conftest import JsonSink

M, Q, A = "policy_redemption_monthly", "policy_redemption_quarterly", "policy_redemption_adhoc"
D_MONTH = pendulum.datetime(2021, 4, 5, 9, 0, tz="Asia/Shanghai")
D_QUARTER = pendulum.datetime(2021, 4, 10, 9, 0, tz="Asia/Shanghai")
CONTRACT_KEYS = ["period", "cadence", "batch_id", "approval", "items", "withheld", "total_amount", "commitment_shortfalls"]
# 审核后报财政: an approval given with the run (dag.test() would wait for Required Actions without it)
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}
# the period from the logical date, whatever an earlier dag.test() of the session's shared DagBag
# left as the DAG's param default (tests/dags/test_invalid_params.py runs a bad period first)
DERIVED = {"period": None, **APPROVED}
TAGS = ["finance", "office", "ops", "publicity"] + [f"U{i:02d}" for i in range(1, 21)]


def _ops(conns):
    from gxq.connections import parse_conn_value

    return sa.create_engine(parse_conn_value("gxq_ops", conns["gxq_ops"]).sqlalchemy_url(), poolclass=sa.pool.NullPool)


def _scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def _outbox(engine, dag_id, period):
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT recipient, kind, status FROM gxq_notify_outbox WHERE dag_id = :d AND period_key = :p"),
            {"d": dag_id, "p": period}))


class Env:
    def __init__(self, conns, tmp: Path):
        self.conns, self.tmp = conns, tmp
        self.out = tmp / "output"

    def __enter__(self):
        self.sink = JsonSink().start()
        self.mp = pytest.MonkeyPatch()
        for cid, value in self.conns.items():
            self.mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
        self.mp.setenv("GXQ_OUTPUT_DIR", str(self.out))
        config = self.tmp / "apprise.yml"
        config.write_text(f'version: 1\nurls:\n  - "{self.sink.url}":\n      - tag: {", ".join(TAGS)}\n', encoding="utf-8")
        self.mp.setenv("GXQ_APPRISE_CONFIG", str(config))
        return self

    def __exit__(self, *exc):
        from gxq.connections import dispose_all

        self.sink.stop()
        self.mp.undo()
        dispose_all()

    def report(self, dag_id, period):
        return json.loads((self.out / dag_id / period / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sqlite_runs(dagbag, demo_sqlite, tmp_path_factory):
    from tests.conftest import sqlite_conn_json

    tmp = tmp_path_factory.mktemp("policy_e2e_sqlite")
    conns = {**demo_sqlite, "gxq_ops": sqlite_conn_json(tmp / "gxq_ops.db")}  # a store of our own
    with Env(conns, tmp) as env:
        ops = _ops(conns)
        res = {"env": env, "ops": ops}
        res["monthly_run"] = run_dag(dagbag, M, D_MONTH, conf=DERIVED)
        res["monthly"] = env.report(M, "2021-03")
        res["quarterly_run"] = run_dag(dagbag, Q, D_QUARTER, conf=DERIVED)
        res["quarterly"] = env.report(Q, "2021-Q1")
        res["ledger_before_rerun"] = _scalar(ops, "SELECT count(*) FROM policy_payment_ledger")
        res["outbox_before_rerun"] = _outbox(ops, M, "2021-03")
        res["messages_before_rerun"] = len(env.sink.messages)
        res["rerun"] = run_dag(dagbag, M, D_MONTH, conf={"period": None})  # no params: an issued batch asks nobody again
        res["monthly_rerun"] = env.report(M, "2021-03")
        res["ledger_after_rerun"] = _scalar(ops, "SELECT count(*) FROM policy_payment_ledger")
        res["outbox_after_rerun"] = _outbox(ops, M, "2021-03")
        res["messages_after_rerun"] = len(env.sink.messages)
        res["titles"] = env.sink.titles()
        # January's monthly run pays December 2020, before the programme's first rule is in force
        res["before_programme"] = run_dag(dagbag, M, pendulum.datetime(2021, 1, 6, 9, 0, tz="Asia/Shanghai"),
                                          conf=DERIVED)
        res["bad_run"] = run_dag(dagbag, A, D_MONTH, conf={"period": "2021-03", "policy_ids": ["no_such_policy"]})
        res["batches_after_bad_run"] = _scalar(ops, "SELECT count(*) FROM policy_batches")
        yield res
        ops.dispose()


@pytest.fixture(scope="module")
def pg_runs(dagbag, demo_pg, pg, tmp_path_factory):
    from tests.conftest import pg_conn_json

    conns = {**demo_pg, "gxq_ops": pg_conn_json(pg.create("policy_e2e_ops"))}  # a store of our own
    with Env(conns, tmp_path_factory.mktemp("policy_e2e_pg")) as env:
        ops = _ops(conns)
        res = {"env": env, "ops": ops}
        res["quarterly_run"] = run_dag(dagbag, Q, D_QUARTER, conf=DERIVED)
        res["quarterly"] = env.report(Q, "2021-Q1")
        res["adhoc_run"] = run_dag(dagbag, A, pendulum.datetime(2021, 7, 20, 15, 0, tz="Asia/Shanghai"),
                                   conf={"period": "2021-06", "policy_ids": ["hte_first_certification"], **APPROVED})
        res["adhoc"] = env.report(A, "2021-06")
        res["duplicates"] = _scalar(ops, "SELECT count(*) FROM (SELECT 1 FROM policy_payment_ledger GROUP BY "
                                         "policy_id, credit_code, basis_id HAVING count(*) > 1) d")
        yield res
        ops.dispose()


def _check_report(report, cadence):
    assert list(report)[:len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert report["cadence"] == cadence
    key = lambda r: (r["policy_id"], r["credit_code"], r["basis_id"])
    assert report["items"] == sorted(report["items"], key=key)
    assert report["withheld"] == sorted(report["withheld"], key=key)
    assert abs(report["total_amount"] - sum(i["amount"] for i in report["items"])) < 0.005
    assert all(isinstance(i["amount"], (int, float)) for i in report["items"])
    assert {w["reason"] for w in report["withheld"]} <= {"unknown_enterprise", "dishonest", "abnormal", "held_by_review"}
    assert not ({key(i) for i in report["items"]} & {key(w) for w in report["withheld"]})


def test_sqlite_runs_succeed_with_contract_reports(sqlite_runs):
    for name in ("monthly_run", "quarterly_run", "rerun"):
        assert sqlite_runs[name].state == "success", name
    monthly, quarterly = sqlite_runs["monthly"], sqlite_runs["quarterly"]
    _check_report(monthly, "monthly")
    _check_report(quarterly, "quarterly")
    assert monthly["period"] == "2021-03" and monthly["batch_id"] == "monthly-2021-03"
    assert monthly["approval"] == quarterly["approval"] == {"by": "王某某", "ref": "高新财审〔2021〕12号", "via": "param"}
    assert quarterly["period"] == "2021-Q1" and quarterly["batch_id"] == "quarterly-2021-Q1"
    # the demo year has first certifications by March and Q1 awards; the monthly run catches up Jan and Feb
    assert {i["policy_id"] for i in monthly["items"]} >= {"hte_first_certification"}
    assert {i["policy_id"] for i in quarterly["items"]} >= {"specialized_sme_certification", "ip_pledge_interest"}
    assert all(i["amount"] == 300000 for i in monthly["items"] if i["policy_id"] == "hte_first_certification")
    assert all(0 <= i["amount"] <= 500000 for i in quarterly["items"] if i["policy_id"] == "ip_pledge_interest")
    assert monthly["commitment_shortfalls"] == [] and quarterly["commitment_shortfalls"]
    cids = [s["commitment_id"] for s in quarterly["commitment_shortfalls"]]
    assert cids == sorted(cids)
    assert all(s["fulfilled_amount"] < s["promised_amount"] for s in quarterly["commitment_shortfalls"])
    # the demo data holds approved ip_pledge_interest applications without approved_at
    assert any(d["problem"] == "approved_without_approved_at" for d in quarterly["data_problems"])


def test_rerun_reproduces_the_batch_and_pays_nothing_new(sqlite_runs):
    assert sqlite_runs["monthly_rerun"] == sqlite_runs["monthly"]
    assert sqlite_runs["ledger_after_rerun"] == sqlite_runs["ledger_before_rerun"]
    assert sqlite_runs["ledger_before_rerun"] == len(sqlite_runs["monthly"]["items"]) + len(sqlite_runs["quarterly"]["items"])
    assert sqlite_runs["messages_after_rerun"] == sqlite_runs["messages_before_rerun"]
    assert [r[:2] for r in sqlite_runs["outbox_after_rerun"]] == [r[:2] for r in sqlite_runs["outbox_before_rerun"]]


def test_files_and_notices(sqlite_runs):
    from openpyxl import load_workbook

    env, monthly = sqlite_runs["env"], sqlite_runs["monthly"]
    folder = env.out / M / "2021-03"
    wb = load_workbook(folder / "finance_batch_monthly-2021-03.xlsx")
    assert {"汇总", *monthly["policy_ids"]} <= set(wb.sheetnames)
    total_row = next(r for r in wb["汇总"].iter_rows(values_only=True) if r[0] == "合计")
    assert abs(total_row[5] - monthly["total_amount"]) < 0.005
    html = (folder / "publicity.html").read_text(encoding="utf-8")
    assert html.count("<tr><td>") == len(monthly["items"]) or not monthly["items"]
    for path in folder.rglob("*"):
        if path.suffix in (".html", ".md"):
            assert not find_unmasked(path.read_text(encoding="utf-8")), path
    sent = sqlite_runs["outbox_before_rerun"]
    recipients = {r[0] for r in sent}
    assert "finance" in recipients and "U14" in recipients  # 科工局 is the competent unit of hte_first_certification
    assert all(status == "sent" for *_, status in sent)
    quarterly_out = _outbox(sqlite_runs["ops"], Q, "2021-Q1")
    assert any(kind.startswith("commitment_shortfalls") for _, kind, _ in quarterly_out)
    assert any("政策兑现" in t and "monthly-2021-03" in t for t in sqlite_runs["titles"])


def test_postgresql_same_batch_as_sqlite_and_adhoc(pg_runs, sqlite_runs):
    assert pg_runs["quarterly_run"].state == "success" and pg_runs["adhoc_run"].state == "success"
    pgq, sq = pg_runs["quarterly"], sqlite_runs["quarterly"]
    _check_report(pgq, "quarterly")
    for key in ("items", "withheld", "total_amount", "commitment_shortfalls", "data_problems"):
        assert pgq[key] == sq[key], key
    adhoc = pg_runs["adhoc"]
    _check_report(adhoc, "adhoc")
    assert adhoc["policy_ids"] == ["hte_first_certification"] and adhoc["batch_id"].startswith("adhoc-2021-06-")
    # no monthly batch ran on PostgreSQL: the adhoc batch pays every first certification up to June
    assert adhoc["items"] and {i["policy_id"] for i in adhoc["items"]} == {"hte_first_certification"}
    assert pg_runs["duplicates"] == 0
    batch_copy = pg_runs["env"].out / A / "2021-06" / adhoc["batch_id"] / "report.json"
    assert json.loads(batch_copy.read_text(encoding="utf-8")) == adhoc
    assert (batch_copy.parent / f"finance_batch_{adhoc['batch_id']}.xlsx").exists()


def test_a_month_before_any_rule_is_in_force_ends_green_and_issues_nothing(sqlite_runs):
    run = sqlite_runs["before_programme"]
    assert run.state == "success"  # not red in the backfill of the plan year
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states and set(states.values()) == {"skipped"}, states
    assert not (sqlite_runs["env"].out / M / "2020-12").exists()
    assert _outbox(sqlite_runs["ops"], M, "2020-12") == []


def test_a_quarter_before_any_rule_is_in_force_is_nothing_to_do_but_adhoc_fails():
    from gxq.policy import pipeline
    from gxq.run import NothingToDo, RunError

    with pytest.raises(NothingToDo, match="2020-Q4"):
        pipeline.plan_batch(Q, "2020-Q4")
    with pytest.raises(RunError, match="no rule to pay"):
        pipeline.plan_batch(A, "2020-12")


def test_bad_adhoc_params_fail_the_run_before_anything_is_issued(sqlite_runs):
    assert sqlite_runs["bad_run"].state == "failed"
    assert sqlite_runs["batches_after_bad_run"] == 2  # the monthly and quarterly batches only
    assert not (sqlite_runs["env"].out / A).exists()
