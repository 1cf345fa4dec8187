"""The set-wise evaluation itself (gxq.policy.evaluate), on SQLite and PostgreSQL: what each
candidate carries (amount, enterprise name, withheld reason, and the trace of why), the
data problems, the order of the candidates, and the duplicates that must raise."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
import sqlalchemy as sa
from gxq.periods import parse_key
from gxq.policy import catalogue
from gxq.policy.evaluate import COLUMNS, Evaluation, _sort_unique, _statements, evaluate
from gxq.policy.testing import build_dept_policy

ROWS = {
    "enterprises": [
        {"credit_code": "A", "name": "甲科技有限公司", "abnormal": False, "dishonest": False},
        {"credit_code": "D", "name": "丁", "abnormal": True, "dishonest": True},
        {"credit_code": "E", "name": "戊", "abnormal": True, "dishonest": None},
        {"credit_code": "N", "name": "", "abnormal": None, "dishonest": False},
    ],
    "certifications": [
        {"cert_id": "C0", "credit_code": "N", "cert_type": "高新技术企业", "certified_on": "2019-05-01"},
        {"cert_id": "C1", "credit_code": "A", "cert_type": "高新技术企业", "certified_on": "2021-03-05"},
        {"cert_id": "C2", "credit_code": "N", "cert_type": "高新技术企业", "certified_on": "2021-03-05"},
        {"cert_id": "C3", "credit_code": "E", "cert_type": "专精特新中小企业", "certified_on": "2021-09-30"},
        {"cert_id": "C4", "credit_code": "Z", "cert_type": "科技型中小企业", "certified_on": "2021-07-01"},
        {"cert_id": "C5", "credit_code": "Z", "cert_type": "科技型中小企业", "certified_on": "2021-08-01"},
        {"cert_id": "C6", "credit_code": "N", "cert_type": "专精特新中小企业", "certified_on": "2021-08-15"},
    ],
    "applications": [
        {"application_id": "L1", "credit_code": "D", "policy_id": "loan_interest_subsidy",
         "submitted_at": "2021-07-01 09:00:00", "amount_requested": "500000.5", "status": "approved",
         "approved_at": "2021-08-02 10:30:00"},
        {"application_id": "R1", "credit_code": "A", "policy_id": "rd_expense_subsidy",
         "submitted_at": "2021-06-01 09:00:00", "amount_requested": 3000000, "status": "approved",
         "approved_at": "2021-06-30 23:59:59"},
        {"application_id": "R2", "credit_code": "A", "policy_id": "rd_expense_subsidy",
         "submitted_at": "2021-06-01 09:00:00", "amount_requested": 3000000, "status": "approved",
         "approved_at": "2021-07-01 00:00:00"},
        {"application_id": "P1", "credit_code": "A", "policy_id": "ip_pledge_interest",
         "submitted_at": "2021-09-01 09:00:00", "amount_requested": 1000, "status": "approved", "approved_at": None},
        {"application_id": "P2", "credit_code": None, "policy_id": "ip_pledge_interest",
         "submitted_at": "2021-09-01 09:00:00", "amount_requested": 1000, "status": "approved",
         "approved_at": "2021-09-02 09:00:00"},
        {"application_id": "P3", "credit_code": "A", "policy_id": "ip_pledge_interest",
         "submitted_at": "2021-09-01 09:00:00", "amount_requested": -5, "status": "approved",
         "approved_at": "2021-09-02 09:00:00"},
        {"application_id": "P4", "credit_code": "A", "policy_id": "ip_pledge_interest",
         "submitted_at": "2021-09-01 09:00:00", "amount_requested": None, "status": "approved",
         "approved_at": "2021-09-03 09:00:00"},
        {"application_id": "P5", "credit_code": "A", "policy_id": "ip_pledge_interest",
         "submitted_at": "2021-09-01 09:00:00", "amount_requested": 1000, "status": "submitted",
         "approved_at": "2021-09-03 09:00:00"},
    ],
    "commitments": [
        {"commitment_id": "K1", "credit_code": "E", "kind": "投资", "promised_amount": 100, "due_on": "2021-08-01",
         "fulfilled_amount": 40},
        {"commitment_id": "K2", "credit_code": "Q", "kind": "就业", "promised_amount": 100, "due_on": "2021-08-01",
         "fulfilled_amount": None},
    ],
}


def _by_key(ev: Evaluation) -> dict:
    return {(c.policy_id, c.basis_id): c for c in ev.candidates}


def test_candidates_traces_and_problems_of_the_whole_catalogue(dbs):
    dept, _ = dbs
    build_dept_policy(dept, ROWS)
    ev = evaluate(dept, parse_key("2021-Q3"), list(catalogue.CATALOGUE.values()), with_commitments=True)
    got = _by_key(ev)
    assert sorted(got) == [
        ("hte_first_certification", "C1"),  # not C2: N has one from 2019 (before the programme, still earlier)
        ("ip_pledge_interest", "P4"), ("loan_interest_subsidy", "L1"),
        ("rd_expense_subsidy", "R1"), ("rd_expense_subsidy", "R2"),
        ("specialized_sme_certification", "C3"), ("specialized_sme_certification", "C6"),
        ("tech_sme_evaluation", "C4"),  # not C5: Z's second
    ]
    assert [c.key for c in ev.candidates] == sorted(c.key for c in ev.candidates)

    c1 = got["hte_first_certification", "C1"]
    assert (c1.credit_code, c1.basis_on, c1.amount, c1.enterprise_name, c1.withhold_reason) == (
        "A", "2021-03-05", Decimal("300000.00"), "甲科技有限公司", None)
    assert c1.trace == {
        "policy": "hte_first_certification 高新技术企业首次认定奖励",
        "rule": "高新技术企业首次认定: 该企业此前无更早的高新技术企业认定",
        "basis": "认定 C1: 高新技术企业 认定日期 2021-03-05",
        "amount": "首次认定奖励 = 300000 元 (自 2021-01-01 起施行)",
    }
    assert got["specialized_sme_certification", "C6"].enterprise_name is None  # '' is no name
    c3 = got["specialized_sme_certification", "C3"]
    assert (c3.withhold_reason, c3.trace["withheld"]) == ("abnormal", "abnormal")
    c4 = got["tech_sme_evaluation", "C4"]
    assert (c4.amount, c4.enterprise_name, c4.withhold_reason) == (Decimal("30000.00"), None, "unknown_enterprise")
    assert c4.trace["amount"] == "入库奖励 = 30000 元 (自 2021-07-01 起施行)"

    l1 = got["loan_interest_subsidy", "L1"]
    assert (l1.basis_on, l1.amount, l1.withhold_reason) == ("2021-08-02", Decimal("200000.00"), "dishonest")
    assert l1.trace == {
        "policy": "loan_interest_subsidy 中小企业贷款贴息",
        "rule": "贷款贴息: 按已付利息的比例贴息, 单笔封顶",
        "basis": "申请 L1: 批准时间 2021-08-02 10:30:00, 申请金额 500000.50 元",
        "ratio": "贴息比例 = 0.5  (自 2021-01-01 起施行)",
        "cap": "单笔贴息上限 = 200000 元 (自 2021-01-01 起施行)",
        "amount": "min(250000.25, 200000.00) = 200000.00 元 (封顶)",
        "withheld": "dishonest",
    }
    r1, r2 = got["rd_expense_subsidy", "R1"], got["rd_expense_subsidy", "R2"]  # the cap changes on 2021-07-01
    assert (r1.amount, r1.trace["amount"]) == (Decimal("200000.00"), "min(300000.00, 200000.00) = 200000.00 元 (封顶)")
    assert (r2.amount, r2.trace["amount"]) == (Decimal("300000.00"), "min(300000.00, 300000.00) = 300000.00 元")
    assert got["ip_pledge_interest", "P4"].amount == Decimal("0.00")

    assert ev.data_problems == [
        {"policy_id": "ip_pledge_interest", "application_id": "P1", "credit_code": "A",
         "problem": "approved_without_approved_at"},
        {"policy_id": "ip_pledge_interest", "application_id": "P2", "credit_code": None,
         "problem": "approved_without_credit_code"},
        {"policy_id": "ip_pledge_interest", "application_id": "P3", "credit_code": "A",
         "problem": "negative_amount_requested"},
    ]
    assert ev.shortfalls == [
        {"commitment_id": "K1", "credit_code": "E", "promised_amount": 100, "fulfilled_amount": 40, "kind": "投资",
         "due_on": "2021-08-01", "enterprise_name": "戊"},
        {"commitment_id": "K2", "credit_code": "Q", "promised_amount": 100, "fulfilled_amount": 0, "kind": "就业",
         "due_on": "2021-08-01", "enterprise_name": None},
    ]
    # what the DAG writes between its tasks: the same candidates, traces included
    again = Evaluation.from_json(ev.to_json())
    assert again.candidates == ev.candidates and again.to_json() == ev.to_json()


def test_one_statement_per_rule_file():
    stmts = _statements(list(catalogue.CATALOGUE.values()), parse_key("2021-Q4"))
    assert sorted((s.sql, tuple(s.params.get("cert_types") or s.params.get("policy_ids"))) for s in stmts) == [
        ("policy/approved_applications", ("employment_subsidy", "ip_pledge_interest", "loan_interest_subsidy",
                                          "rd_expense_subsidy", "talent_housing_subsidy")),
        ("policy/each_certification", ("专精特新中小企业",)),
        ("policy/first_certification", ("高新技术企业", "科技型中小企业")),
    ]


def _evaluation(keys) -> Evaluation:
    ev = Evaluation("2021-Q1", ["a", "b"])
    for p, c, b in keys:
        for name, value in zip(COLUMNS, (p, c, b, "2021-01-01", None, None, 0, 100, None, None)):
            ev.awards[name].append(value)
    return ev


def test_candidates_come_out_sorted_and_duplicates_raise():
    keys = [(p, c, b) for p in ("a", "b") for c in ("X", "Y", "é", "中") for b in ("1", "10", "2")]
    shuffled = list(keys)
    random.Random(7).shuffle(shuffled)
    ev = _evaluation(shuffled)
    _sort_unique(ev)
    assert ev.identities() == sorted(keys)
    with pytest.raises(ValueError, match="basis ids not unique"):
        _sort_unique(_evaluation([("a", "X", "1"), ("a", "Y", "1"), ("a", "X", "1")]))


def _no_keys_dept(tmp_path, enterprises, certifications, applications=()):
    """A dept_policy without primary keys (a department database that does not keep them)."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'nokeys.db'}", poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE enterprises (credit_code TEXT, name TEXT, street TEXT, abnormal INTEGER,"
                             " dishonest INTEGER)"))
        conn.execute(sa.text("CREATE TABLE certifications (cert_id TEXT, credit_code TEXT, cert_type TEXT,"
                             " certified_on TEXT, expires_on TEXT)"))
        conn.execute(sa.text("CREATE TABLE applications (application_id TEXT, credit_code TEXT, policy_id TEXT,"
                             " submitted_at TEXT, amount_requested NUMERIC, status TEXT, approved_at TEXT)"))
        conn.execute(sa.text("CREATE TABLE commitments (commitment_id TEXT, credit_code TEXT, kind TEXT,"
                             " promised_amount NUMERIC, due_on TEXT, fulfilled_amount NUMERIC)"))
        for table, rows in (("enterprises", enterprises), ("certifications", certifications),
                            ("applications", applications)):
            for row in rows:
                cols = list(row)
                conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                             row)
    return engine


def test_a_basis_id_twice_raises(tmp_path):
    app = {"application_id": "A1", "credit_code": "A", "policy_id": "ip_pledge_interest", "amount_requested": 5,
           "status": "approved", "approved_at": "2021-02-01 10:00:00"}
    engine = _no_keys_dept(tmp_path, [{"credit_code": "A", "name": "甲", "abnormal": 0, "dishonest": 0}], [],
                           [app, dict(app)])
    with pytest.raises(ValueError, match="basis ids not unique"):
        evaluate(engine, parse_key("2021-Q1"), [catalogue.get("ip_pledge_interest")], with_commitments=False)
    engine.dispose()


def test_an_enterprise_twice_raises_for_its_awards_only(tmp_path):
    enterprises = [{"credit_code": "A", "name": "甲", "abnormal": 0, "dishonest": 0},
                   {"credit_code": "A", "name": "甲", "abnormal": 0, "dishonest": 1},
                   {"credit_code": "B", "name": "乙", "abnormal": 0, "dishonest": 0}]
    cert = {"cert_id": "C1", "credit_code": "B", "cert_type": "专精特新中小企业", "certified_on": "2021-02-01"}
    policy = catalogue.get("specialized_sme_certification")
    engine = _no_keys_dept(tmp_path, enterprises, [cert])
    ev = evaluate(engine, parse_key("2021-Q1"), [policy], with_commitments=False)
    assert [(c.credit_code, c.withhold_reason) for c in ev.candidates] == [("B", None)]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE certifications SET credit_code = 'A'"))
    with pytest.raises(ValueError, match="credit_code not unique"):
        evaluate(engine, parse_key("2021-Q1"), [policy], with_commitments=False)
    engine.dispose()


def test_dates_and_times_that_are_not_on_sqlite(tmp_path):
    """SQLite text that is no date or time (issue 22.6): listed as a data problem, never paid, never
    compared as text, no crash; a bad certification blocks its enterprise's "first" until fixed."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'dept_policy_text.db'}")
    rows = {
        "enterprises": [{"credit_code": "A", "name": "甲", "abnormal": False, "dishonest": False},
                        {"credit_code": "B", "name": "乙", "abnormal": False, "dishonest": False}],
        "certifications": [
            {"cert_id": "C1", "credit_code": "A", "cert_type": "高新技术企业", "certified_on": "2021-06-0x"},
            {"cert_id": "C2", "credit_code": "A", "cert_type": "高新技术企业", "certified_on": "2021-07-05"},
            {"cert_id": "C3", "credit_code": "B", "cert_type": "高新技术企业", "certified_on": "2021-07-06"},
            {"cert_id": "C4", "credit_code": "B", "cert_type": "专精特新中小企业", "certified_on": "2021-02-30"},
        ],
        "applications": [
            {"application_id": "P1", "credit_code": "A", "policy_id": "ip_pledge_interest",
             "submitted_at": "2021-09-01 09:00:00", "amount_requested": 1000, "status": "approved",
             "approved_at": "2021-09-0x 09:00:00"},
            {"application_id": "P2", "credit_code": "A", "policy_id": "ip_pledge_interest",
             "submitted_at": "2021-09-01 09:00:00", "amount_requested": 1000, "status": "approved",
             "approved_at": "2021-09-02 09:00:00"},
        ],
        "commitments": [
            {"commitment_id": "K1", "credit_code": "A", "kind": "投资", "promised_amount": 100,
             "due_on": "2021-08-3x", "fulfilled_amount": 40},
            {"commitment_id": "K2", "credit_code": "B", "kind": "投资", "promised_amount": 100,
             "due_on": "2021-08-01", "fulfilled_amount": 40},
        ],
    }
    build_dept_policy(engine, rows)
    policies = [catalogue.get(p) for p in ("hte_first_certification", "specialized_sme_certification",
                                           "ip_pledge_interest")]
    ev = evaluate(engine, parse_key("2021-Q3"), policies, with_commitments=True)
    engine.dispose()
    # C2 is not paid as A's first: A's C1 may be earlier; C3 is B's first; P2 only
    assert sorted(_by_key(ev)) == [("hte_first_certification", "C3"), ("ip_pledge_interest", "P2")]
    assert [(d["policy_id"], d["application_id"], d["problem"]) for d in ev.data_problems] == [
        ("hte_first_certification", "C1", "certified_on_not_a_date"),
        ("ip_pledge_interest", "P1", "approved_without_approved_at"),
        ("specialized_sme_certification", "C4", "certified_on_not_a_date"),
        ("双承诺", "K1", "commitment_due_on_not_a_date"),
    ]
    assert [s["commitment_id"] for s in ev.shortfalls] == ["K2"]


def test_first_certification_is_a_hash_anti_join_on_postgresql(pg):
    """The 'no earlier certification' check must stay a join: under an OR, PostgreSQL runs it as a
    correlated subplan, one index probe per certification (2x the statement's time at 118,000)."""
    from gxq import sql as gsql

    from tests import conftest as root

    dept = sa.create_engine(root.pg_url(pg.create("pol_plan")), poolclass=sa.pool.NullPool)
    build_dept_policy(dept, ROWS)
    policies = [catalogue.get(p) for p in catalogue.CATALOGUE]
    [stmt] = [s for s in _statements(policies, parse_key("2021-Q3", ("quarter",)))
              if s.sql == "policy/first_certification"]
    text = sa.text("EXPLAIN " + gsql.render(stmt.sql, "postgresql")).bindparams(
        *(sa.bindparam(n, expanding=True) for n in stmt.lists))
    with dept.connect() as conn:
        plan = "\n".join(r[0] for r in conn.execute(text, stmt.params))
    dept.dispose()
    assert "Anti Join" in plan and "SubPlan" not in plan, plan
