"""Helpers to run a policy's YAML test cases (政策测试用例) and to build small dept_policy databases.

A case file ``catalogue/<policy_id>.yaml``::

    policy: hte_first_certification
    cases:
      - name: what the case shows
        period: 2021-03                       # month or quarter key
        input:                                 # dept_policy rows; missing columns are NULL
          enterprises: [{credit_code: A, name: 甲, abnormal: false, dishonest: false}]
          certifications: [{cert_id: C1, credit_code: A, cert_type: 高新技术企业, certified_on: 2021-03-05}]
        expected:                              # every candidate award of the policy, any order
          - {credit_code: A, basis_id: C1, amount: 300000}             # payable
          - {credit_code: Z, basis_id: C9, amount: 300000, withheld: unknown_enterprise}
        data_problems: [P2]                    # optional: application ids reported, not paid

The expected awards are the policy's eligible awards up to the period's end before the ledger
takes out what earlier batches paid.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import yaml

from gxq.demo import schema
from gxq.periods import parse_key
from gxq.policy import catalogue
from gxq.policy.evaluate import evaluate
from gxq.policy.model import money

COLUMNS = {
    "enterprises": ("credit_code", "name", "street", "abnormal", "dishonest"),
    "certifications": ("cert_id", "credit_code", "cert_type", "certified_on", "expires_on"),
    "applications": ("application_id", "credit_code", "policy_id", "submitted_at", "amount_requested", "status",
                     "approved_at"),
    "commitments": ("commitment_id", "credit_code", "kind", "promised_amount", "due_on", "fulfilled_amount"),
}
_TEXT = {"credit_code", "name", "street", "cert_id", "cert_type", "application_id", "policy_id", "status",
         "commitment_id", "kind"}


def load_cases(policy_id: str) -> list[dict]:
    data = yaml.safe_load(catalogue.yaml_cases_path(policy_id).read_text(encoding="utf-8"))
    assert data["policy"] == policy_id, f"{policy_id}.yaml names policy {data['policy']!r}"
    return data["cases"]


def all_cases() -> list[tuple[str, int, dict]]:
    out = []
    for pid in sorted(catalogue.CATALOGUE):
        for i, case in enumerate(load_cases(pid)):
            out.append((pid, i, case))
    return out


def _value(col: str, value, dialect: str):
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
    if value == "" and col not in _TEXT and dialect != "sqlite":
        return None  # PostgreSQL has no '' timestamp; the contract reads '' as NULL anyway
    if isinstance(value, bool) and dialect == "sqlite":
        return int(value)
    return value


def build_dept_policy(engine, rows: dict[str, list[dict]]) -> None:
    """(Re)create dept_policy's tables on ``engine`` and insert ``rows`` (missing columns NULL)."""
    schema.create_all(engine, "dept_policy")
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for table, table_rows in (rows or {}).items():
            cols = COLUMNS[table]
            for row in table_rows:
                unknown = set(row) - set(cols)
                assert not unknown, f"{table}: unknown column(s) {unknown}"
            if not table_rows:
                continue
            sql = sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})")
            conn.execute(sql, [{c: _value(c, r.get(c), dialect) for c in cols} for r in table_rows])


def run_case(engine, policy_id: str, case: dict) -> tuple[list[dict], list[dict], list[str], list[str]]:
    """(actual, expected, actual data problems, expected data problems) for one case."""
    build_dept_policy(engine, case.get("input") or {})
    policy = catalogue.get(policy_id)
    period = parse_key(str(case["period"]), ("month", "quarter"))
    ev = evaluate(engine, period, [policy], with_commitments=False)
    actual = sorted(
        ({"credit_code": c.credit_code, "basis_id": c.basis_id, "amount": money(c.amount),
          **({"withheld": c.withhold_reason} if c.withhold_reason else {})} for c in ev.candidates),
        key=lambda a: (a["credit_code"], a["basis_id"]))
    expected = sorted(
        ({"credit_code": str(e["credit_code"]), "basis_id": str(e["basis_id"]), "amount": money(e["amount"]),
          **({"withheld": e["withheld"]} if e.get("withheld") else {})} for e in case.get("expected") or []),
        key=lambda a: (a["credit_code"], a["basis_id"]))
    problems = sorted(d["application_id"] for d in ev.data_problems)
    return actual, expected, problems, sorted(str(x) for x in case.get("data_problems") or [])
