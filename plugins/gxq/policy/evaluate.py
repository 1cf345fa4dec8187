"""Set-wise eligibility (资格核定) over dept_policy: one SQL statement per policy over every
enterprise (include/sql/policy/), never a query per enterprise.

The result is every *candidate* award whose basis (certification day, approval time) lies in
[programme start, end of the period): the ledger later decides which are new. Each candidate
carries the enterprise's status at run time and the reason it is withheld, if any (the first of
``unknown_enterprise``, ``dishonest``, ``abnormal``), and a trace of why it was granted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gxq import sql as gsql
from gxq.periods import Period
from gxq.policy.model import Candidate, Policy, money

WITHHOLD_REASONS = ("unknown_enterprise", "dishonest", "abnormal")  # checked in this order

# What the project reads from dept_policy (checked by name before any query).
REQUIRED_COLUMNS = {
    "enterprises": ("credit_code", "name", "abnormal", "dishonest"),
    "certifications": ("cert_id", "credit_code", "cert_type", "certified_on"),
    "applications": ("application_id", "credit_code", "policy_id", "submitted_at", "amount_requested",
                     "status", "approved_at"),
    "commitments": ("commitment_id", "credit_code", "kind", "promised_amount", "due_on", "fulfilled_amount"),
}


@dataclass
class Evaluation:
    period_key: str
    policy_ids: list[str]
    candidates: list[Candidate] = field(default_factory=list)
    data_problems: list[dict] = field(default_factory=list)
    shortfalls: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"period_key": self.period_key, "policy_ids": self.policy_ids,
                "candidates": [c.to_json() for c in self.candidates],
                "data_problems": self.data_problems, "shortfalls": self.shortfalls}

    @classmethod
    def from_json(cls, d: dict) -> Evaluation:
        return cls(d["period_key"], list(d["policy_ids"]), [Candidate.from_json(c) for c in d["candidates"]],
                   list(d["data_problems"]), list(d["shortfalls"]))


def check_columns(engine) -> None:
    for table, columns in REQUIRED_COLUMNS.items():
        gsql.require_columns(engine, table, columns)


def withhold_reason(row: dict) -> str | None:
    """The first withheld reason that applies (CONTRACT.md order), None when payable."""
    if row.get("known_code") in (None, ""):
        return "unknown_enterprise"
    if gsql.to_bool(row.get("dishonest")):
        return "dishonest"
    if gsql.to_bool(row.get("abnormal")):
        return "abnormal"
    return None


def _bounds(policy: Policy, period: Period) -> dict:
    pays_from = dt.date.fromisoformat(policy.pays_from)
    return {
        "pays_from_day": pays_from.isoformat(),
        "pays_from_ts": f"{pays_from.isoformat()} 00:00:00",
        "period_end_day": period.end.date().isoformat(),
        "period_end_ts": period.end_s,
    }


# The data problems of 申报类 policies: approved applications that cannot be paid, reported
# instead of dropped. Label of each ``problem`` code in the outputs.
PROBLEMS = {
    "approved_without_approved_at": "已批准但无批准时间",
    "approved_without_credit_code": "已批准但无统一社会信用代码",
    "negative_amount_requested": "申请金额为负数",
}


def _problem(policy: Policy, row: dict, problem: str) -> dict:
    key = "basis_id" if "basis_id" in row else "application_id"
    return {"policy_id": policy.id, "application_id": str(row[key]), "credit_code": gsql.to_text(row["credit_code"]),
            "problem": problem}


def candidates_for(engine, policy: Policy, period: Period) -> tuple[list[Candidate], list[dict]]:
    """Every candidate award of one policy with a basis up to the end of ``period``, and the
    rows found that cannot be paid (data problems, :data:`PROBLEMS`)."""
    rows = gsql.query(engine, policy.sql, {**policy.sql_params, **_bounds(policy, period)})
    out: list[Candidate] = []
    problems: list[dict] = []
    for row in rows:
        if policy.basis == "application":
            if money(row.get("amount_requested")) < 0:
                problems.append(_problem(policy, row, "negative_amount_requested"))
                continue
            at = gsql.to_dt(row["basis_at"])
            row["basis_at"] = at.strftime("%Y-%m-%d %H:%M:%S")
            row["basis_on"] = at.date().isoformat()
        else:
            row["basis_on"] = gsql.to_date(row["basis_on"]).isoformat()
        amount, trace = policy.award(row, policy)
        reason = withhold_reason(row)
        trace = {"policy": f"{policy.id} {policy.name}", **trace}
        if reason:
            trace["withheld"] = reason
        out.append(Candidate(
            policy_id=policy.id, credit_code=str(row["credit_code"]), basis_id=str(row["basis_id"]),
            basis_on=row["basis_on"], amount=money(amount), enterprise_name=gsql.to_text(row.get("enterprise_name")),
            withhold_reason=reason, trace=trace,
        ))
    return out, problems


def data_problems_for(engine, policy: Policy, period: Period) -> list[dict]:
    """Approved applications the award query cannot see: no approved_at, or no credit_code."""
    if policy.basis != "application":
        return []
    params = {"policy_id": policy.sql_params["policy_id"], **_bounds(policy, period)}
    out = []
    for problem, sql in (("approved_without_approved_at", "policy/approved_without_date"),
                         ("approved_without_credit_code", "policy/approved_without_credit_code")):
        out.extend(_problem(policy, r, problem) for r in gsql.query(engine, sql, params))
    return out


def commitment_shortfalls(engine, period: Period) -> list[dict]:
    """双承诺: commitments due in the period with fulfilled < promised, by commitment_id."""
    from gxq.policy.model import money_json

    rows = gsql.query(engine, "policy/commitment_shortfalls",
                      {"start_day": period.start.date().isoformat(), "end_day": period.end.date().isoformat()})
    out = [{
        "commitment_id": str(r["commitment_id"]), "credit_code": gsql.to_text(r["credit_code"]),
        "promised_amount": money_json(money(r["promised_amount"])),
        "fulfilled_amount": money_json(money(r["fulfilled_amount"])),
        "kind": gsql.to_text(r["kind"]), "due_on": gsql.to_date(r["due_on"]).isoformat(),
        "enterprise_name": gsql.to_text(r.get("enterprise_name")),
    } for r in rows]
    return sorted(out, key=lambda r: r["commitment_id"])


def evaluate(engine, period: Period, policies: list[Policy], with_commitments: bool) -> Evaluation:
    ev = Evaluation(period.key, sorted(p.id for p in policies))
    for policy in sorted(policies, key=lambda p: p.id):
        candidates, problems = candidates_for(engine, policy, period)
        ev.candidates.extend(candidates)
        ev.data_problems.extend(problems + data_problems_for(engine, policy, period))
    ev.candidates.sort(key=lambda c: c.key)
    ev.data_problems.sort(key=lambda d: (d["policy_id"], d["application_id"]))
    keys = [c.key for c in ev.candidates]
    if len(keys) != len(set(keys)):  # a duplicated cert_id / application_id in the department data
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"duplicate award identities in dept_policy (basis ids not unique): {dupes[:5]}")
    if with_commitments:
        ev.shortfalls = commitment_shortfalls(engine, period)
    return ev
