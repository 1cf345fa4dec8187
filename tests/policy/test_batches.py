"""Contract rules of the redemption batches, on SQLite and PostgreSQL (hand-built dept_policy).

Each test runs the pipeline steps without Airflow (gxq.policy.pipeline.run) against the `dbs`
fixture: a fresh dept_policy and gxq_ops per test, on both backends.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from gxq import output
from gxq.policy import batches, pipeline
from gxq.policy.testing import build_dept_policy

M, Q, A = "policy_redemption_monthly", "policy_redemption_quarterly", "policy_redemption_adhoc"


def ent(code, abnormal=False, dishonest=False, name=None):
    return {"credit_code": code, "name": name or f"{code}科技有限公司", "street": "凌水街道",
            "abnormal": abnormal, "dishonest": dishonest}


def cert(cid, code, day, ctype="高新技术企业"):
    return {"cert_id": cid, "credit_code": code, "cert_type": ctype, "certified_on": day}


def app(aid, code, amount, approved_at, status="approved", policy="ip_pledge_interest"):
    return {"application_id": aid, "credit_code": code, "policy_id": policy, "submitted_at": "2021-01-04 09:00:00",
            "amount_requested": amount, "status": status, "approved_at": approved_at}


def run(dag_id, period, **kw):
    kw.setdefault("send", False)
    kw.setdefault("approved_by", "测试审核人")  # 审核后报财政: an approval given with the run
    kw.setdefault("approval_ref", "测试〔2021〕1号")
    return pipeline.run(dag_id, period, **kw)


def keys(rows):
    return [(r["policy_id"], r["credit_code"], r["basis_id"]) for r in rows]


def ledger_rows(ops):
    with ops.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(
            batches.ledger.c.policy_id, batches.ledger.c.credit_code, batches.ledger.c.basis_id,
            batches.ledger.c.batch_id)))


def execute(engine, sql, **params):
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def test_first_certification_vs_repeat_and_pre_2021(dbs):
    dept, _ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("A"), ent("B"), ent("C")],
        "certifications": [
            cert("H1", "A", "2021-03-02"), cert("H2", "A", "2021-03-20"),      # repeat in the same month
            cert("H0", "B", "2020-06-01"), cert("H3", "B", "2021-03-03"),      # earlier cert before 2021
            cert("Hb", "C", "2021-03-04"), cert("HA", "C", "2021-03-04"),      # same day: HA < Hb
        ],
    })
    report = run(M, "2021-03")
    assert report["items"] == [
        {"policy_id": "hte_first_certification", "credit_code": "A", "basis_id": "H1", "amount": 300000},
        {"policy_id": "hte_first_certification", "credit_code": "C", "basis_id": "HA", "amount": 300000},
    ]
    assert report["total_amount"] == 600000
    assert report["cadence"] == "monthly" and report["period"] == "2021-03"
    assert report["batch_id"] == "monthly-2021-03"
    assert report["commitment_shortfalls"] == []


def test_catch_up_of_late_data_and_frozen_rerun(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {"enterprises": [ent("A"), ent("B")], "certifications": [cert("H1", "A", "2021-03-05")]})
    march = run(M, "2021-03")
    assert keys(march["items"]) == [("hte_first_certification", "A", "H1")]
    # a February certification reaches the department database only in April
    execute(dept, "INSERT INTO certifications (cert_id, credit_code, cert_type, certified_on) "
                  "VALUES ('H2', 'B', '高新技术企业', '2021-02-10')")
    march_again = run(M, "2021-03")
    assert march_again == march  # frozen: the rerun reproduces the batch as issued
    april = run(M, "2021-04")
    assert keys(april["items"]) == [("hte_first_certification", "B", "H2")]  # caught up, paid once
    assert ledger_rows(ops) == [("hte_first_certification", "A", "H1", "monthly-2021-03"),
                                ("hte_first_certification", "B", "H2", "monthly-2021-04")]
    may = run(M, "2021-05")
    assert may["items"] == [] and may["total_amount"] == 0


def test_withheld_reasons_in_order_and_released_once_cleared(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("D", abnormal=True, dishonest=True), ent("E", abnormal=True), ent("F")],
        "certifications": [cert("H1", "D", "2021-03-01"), cert("H2", "E", "2021-03-02"),
                           cert("H3", "F", "2021-03-03"), cert("H4", "Z", "2021-03-04")],
    })
    march = run(M, "2021-03")
    assert march["withheld"] == [
        {"policy_id": "hte_first_certification", "credit_code": "D", "basis_id": "H1", "reason": "dishonest"},
        {"policy_id": "hte_first_certification", "credit_code": "E", "basis_id": "H2", "reason": "abnormal"},
        {"policy_id": "hte_first_certification", "credit_code": "Z", "basis_id": "H4", "reason": "unknown_enterprise"},
    ]
    assert keys(march["items"]) == [("hte_first_certification", "F", "H3")]
    # D stays listed while dishonest, even when only abnormal is cleared
    execute(dept, "UPDATE enterprises SET abnormal = :f WHERE credit_code = 'D'", f=False)
    april = run(M, "2021-04")
    assert [(w["credit_code"], w["reason"]) for w in april["withheld"]] == [("D", "dishonest"), ("E", "abnormal"),
                                                                            ("Z", "unknown_enterprise")]
    assert april["items"] == []
    # cleared: D and E paid in the next batch; Z registers and is paid too
    execute(dept, "UPDATE enterprises SET dishonest = :f, abnormal = :f", f=False)
    execute(dept, "INSERT INTO enterprises (credit_code, name, abnormal, dishonest) VALUES ('Z', 'Z公司', :f, :f)", f=False)
    may = run(M, "2021-05")
    assert keys(may["items"]) == [("hte_first_certification", c, b) for c, b in (("D", "H1"), ("E", "H2"), ("Z", "H4"))]
    assert may["withheld"] == [] and may["total_amount"] == 900000
    # the March and April batches still say what they said
    assert run(M, "2021-03") == march and run(M, "2021-04") == april
    assert run(M, "2021-06")["items"] == []
    assert len(ledger_rows(ops)) == 4 and batches.ledger_duplicates(ops) == 0


def test_ip_pledge_cap_null_amount_and_missing_approved_at(dbs):
    dept, _ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("A"), ent("B")],
        "applications": [app("P1", "A", 800000, "2021-02-01 10:00:00"), app("P2", "B", None, "2021-03-01 10:00:00"),
                         app("P3", "A", 300000, None), app("P4", "A", 99.5, "2021-03-31 23:59:59"),
                         app("P5", "A", 100000, "2021-04-01 00:00:00")],
    })
    report = run(Q, "2021-Q1")
    by_id = {i["basis_id"]: i["amount"] for i in report["items"] if i["policy_id"] == "ip_pledge_interest"}
    assert by_id == {"P1": 500000, "P2": 0, "P4": 99.5}
    assert report["total_amount"] == 500099.5
    assert report["data_problems"] == [{"policy_id": "ip_pledge_interest", "application_id": "P3", "credit_code": "A",
                                        "problem": "approved_without_approved_at"}]
    q2 = run(Q, "2021-Q2")
    assert keys(q2["items"]) == [("ip_pledge_interest", "A", "P5")]


def test_commitment_shortfalls_quarterly_only(dbs):
    dept, _ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("A")],
        "commitments": [
            {"commitment_id": "K2", "credit_code": "A", "kind": "产值", "promised_amount": 1000, "due_on": "2021-03-31", "fulfilled_amount": 999},
            {"commitment_id": "K1", "credit_code": "A", "kind": "就业", "promised_amount": 50, "due_on": "2021-01-01", "fulfilled_amount": None},
            {"commitment_id": "K3", "credit_code": "A", "kind": "税收", "promised_amount": 100, "due_on": "2021-02-01", "fulfilled_amount": 100},
            {"commitment_id": "K4", "credit_code": "A", "kind": "税收", "promised_amount": 100, "due_on": "2021-04-01", "fulfilled_amount": 0},
            {"commitment_id": "K0", "credit_code": "A", "kind": "税收", "promised_amount": 100, "due_on": "2020-12-31", "fulfilled_amount": 0},
        ],
    })
    report = run(Q, "2021-Q1")
    assert [(s["commitment_id"], s["promised_amount"], s["fulfilled_amount"]) for s in report["commitment_shortfalls"]] == [
        ("K1", 50, 0), ("K2", 1000, 999)]
    assert run(M, "2021-03")["commitment_shortfalls"] == []
    notices = pipeline.render(pipeline.plan_batch(Q, "2021-Q1"), None, str(output.period_dir(Q, "2021-Q1") / "batch.json"))["notices"]
    shortfall = {n["recipient"]: n for n in notices if n["kind"].startswith("commitment_shortfalls")}
    assert set(shortfall) == {"U04", "U14"}  # 就业 -> 人社局, 产值 -> 科工局
    assert "K2" in shortfall["U14"]["body"] and "K1" in shortfall["U04"]["body"]


def test_adhoc_shares_the_ledger_and_is_identified_by_period_and_sorted_ids(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("A"), ent("B")],
        "certifications": [cert("H1", "A", "2021-03-05"), cert("S1", "B", "2021-03-06", "专精特新中小企业")],
    })
    adhoc = run(A, "2021-03", policy_ids=["specialized_sme_certification", "hte_first_certification"])
    assert keys(adhoc["items"]) == [("hte_first_certification", "A", "H1"),
                                    ("specialized_sme_certification", "B", "S1")]
    assert adhoc["cadence"] == "adhoc"
    again = run(A, "2021-03", policy_ids="hte_first_certification, specialized_sme_certification")
    assert again == adhoc  # same period and sorted ids: the same frozen batch
    other = run(A, "2021-03", policy_ids=["hte_first_certification"])
    assert other["batch_id"] != adhoc["batch_id"] and other["items"] == []
    assert run(M, "2021-03")["items"] == []          # already paid by the adhoc batch
    assert run(Q, "2021-Q1")["items"] == []
    default = pipeline.plan_batch(A, "2021-03")            # default: every 认定类 policy but the examples
    assert default["policy_ids"] == ["hte_first_certification", "specialized_sme_certification"]
    assert batches.ledger_duplicates(ops) == 0 and len(ledger_rows(ops)) == 2


def test_dry_run_renders_without_issuing(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {"enterprises": [ent("A")], "certifications": [cert("H1", "A", "2021-03-05")]})
    dry = run(M, "2021-03", dry_run=True)
    assert dry["status"] == "dry_run" and keys(dry["items"]) == [("hte_first_certification", "A", "H1")]
    folder = output.period_dir(M, "2021-03")
    assert (folder / "dry_run" / "report.json").exists() and (folder / "dry_run" / "publicity.html").exists()
    assert not (folder / "report.json").exists()
    with ops.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(batches.batches)).scalar_one() == 0
    assert ledger_rows(ops) == []
    real = run(M, "2021-03")
    assert real["status"] == "issued" and real["items"] == dry["items"]


def test_ledger_unique_key_refuses_a_second_payment(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {"enterprises": [ent("A")], "certifications": [cert("H1", "A", "2021-03-05")]})
    run(M, "2021-03")
    with pytest.raises(sa.exc.IntegrityError), ops.begin() as conn:
        conn.execute(batches.ledger.insert().values(
            policy_id="hte_first_certification", credit_code="A", basis_id="H1", amount=1,
            batch_id="monthly-2021-03", recorded_at=sa.func.now()))


@pytest.mark.parametrize("period,policy_ids,message", [
    ("2021-13", None, "month must be 01..12"),
    ("2021-3", None, "invalid period"),
    ("2021-03'; DROP TABLE enterprises; --", None, "invalid period"),
    ("2021-W09", None, "invalid period"),
    ("2021-03", ["no_such_policy"], "unknown policy id(s) no_such_policy"),
    ("2021-03", ["hte_first_certification', 'x"], "is not a policy id"),
    ("2021-03", "hte_first_certification;DELETE FROM applications", "is not a policy id"),
    ("2021-03", [1], "is not a policy id"),
    ("2021-Q5", None, "invalid period"),
])
def test_adhoc_params_are_validated_before_any_query(monkeypatch, period, policy_ids, message):
    # the department connection points nowhere: a query would fail differently
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_POLICY", '{"conn_type": "sqlite", "host": "/nonexistent/dept.db"}')
    with pytest.raises(pipeline.RunError, match=None) as err:
        pipeline.plan_batch(A, period, policy_ids)
    assert message in str(err.value)


def test_scheduled_runs_refuse_adhoc_params_and_wrong_period_kinds():
    with pytest.raises(pipeline.RunError, match="invalid period"):
        pipeline.plan_batch(M, "2021-Q1")
    with pytest.raises(pipeline.RunError, match="invalid period"):
        pipeline.plan_batch(Q, "2021-03")
    with pytest.raises(pipeline.RunError, match="adhoc"):
        pipeline.plan_batch(M, "2021-03", ["hte_first_certification"])


def test_workbook_summary_adds_up_and_publicity_lists_items(dbs):
    from openpyxl import load_workbook

    dept, _ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("A", name="甲科技有限公司"), ent("B", dishonest=True)],
        "certifications": [cert("S1", "A", "2021-02-05", "专精特新中小企业"), cert("S2", "B", "2021-02-06", "专精特新中小企业")],
        "applications": [app("P1", "A", 700000, "2021-03-01 10:00:00"), app("P2", "A", 1000, "2021-03-02 10:00:00")],
    })
    report = run(Q, "2021-Q1")
    folder = output.period_dir(Q, "2021-Q1")
    wb = load_workbook(folder / f"finance_batch_{report['batch_id']}.xlsx")
    assert set(report["policy_ids"]) <= set(wb.sheetnames) and "汇总" in wb.sheetnames
    summary = {r[0]: r for r in wb["汇总"].iter_rows(min_row=5, values_only=True) if r[0]}
    per_sheet = {}
    for pid in report["policy_ids"]:
        rows = [r for r in wb[pid].iter_rows(min_row=3, values_only=True) if r[0] and r[0] != "合计"]
        per_sheet[pid] = sum(r[4] for r in rows)
        assert summary[pid][5] == per_sheet[pid] and summary[pid][4] == len(rows)
    assert summary["合计"][5] == sum(per_sheet.values()) == report["total_amount"] == 601000
    assert summary["合计"][6] == 1  # B withheld
    html = (folder / "publicity.html").read_text(encoding="utf-8")
    assert "甲科技有限公司" in html and "专精特新中小企业认定奖励" in html and "601,000.00" in html
    assert "B科技有限公司" not in html  # withheld awards are not published as paid
    report_file = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report_file == report
    assert report["items"] == sorted(report["items"], key=lambda i: (i["policy_id"], i["credit_code"], i["basis_id"]))


def test_issued_batches_and_ledger_are_append_only(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {"enterprises": [ent("A"), ent("B", dishonest=True)],
                             "certifications": [cert("H1", "A", "2021-03-05"), cert("H2", "B", "2021-03-06")]})
    report = run(M, "2021-03")
    assert report["items"] and report["withheld"]
    for sql in ("UPDATE policy_payment_ledger SET amount = 1", "DELETE FROM policy_payment_ledger",
                "UPDATE policy_batch_items SET amount = 1", "DELETE FROM policy_batch_withheld",
                "UPDATE policy_batches SET status = 'void'", "DELETE FROM policy_batches"):
        with pytest.raises(sa.exc.DatabaseError, match="frozen"):
            execute(ops, sql)
    assert run(M, "2021-03") == report
