"""Award formulas shared by catalogue entries (兑现金额计算). Each is an :class:`Award`: it gives
the amount of one evaluated basis and, separately, its trace (why and how much); the parameters
are taken at the basis date, so a new dated value applies to bases from its start on.

The evaluation asks every candidate's amount but formats the trace only when it is read
(rendered, stored, serialised): see :class:`gxq.policy.model.Candidate`.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable

from gxq.policy.model import CENT, Money, money

_HALF_UP = decimal.ROUND_HALF_UP


def basis_text(row: dict, policy) -> str:
    if policy.basis == "certification":
        return f"认定 {row['basis_id']}: {row.get('cert_type') or ''} 认定日期 {row['basis_on']}"
    return f"申请 {row['basis_id']}: 批准时间 {row.get('basis_at') or row['basis_on']}, 申请金额 {money(row.get('amount_requested'))} 元"


class Award:
    """An award formula. ``at(policy, day)`` is the formula in force on ``day`` (YYYY-MM-DD): a
    function of the amount requested (a cent-rounded Decimal, 0 for certifications) giving the
    award; ``explain(row, policy)`` is the trace of one basis. ``award(row, policy)`` gives both."""

    def at(self, policy, day: str) -> Callable[[Money], Money]:
        raise NotImplementedError

    def amount(self, policy, day: str, requested: Money) -> Money:
        return self.at(policy, day)(requested)

    def explain(self, row: dict, policy) -> dict:
        raise NotImplementedError

    def __call__(self, row: dict, policy) -> tuple[Money, dict]:
        return self.amount(policy, row["basis_on"], money(row.get("amount_requested"))), self.explain(row, policy)


class FixedAmount(Award):
    """A fixed amount per basis (每项认定奖励 N 元)."""

    def __init__(self, param: str, rule: str):
        self.param, self.rule = param, rule

    def at(self, policy, day: str) -> Callable[[Money], Money]:
        amount = policy.parameters[self.param].money_at(day)
        return lambda requested: amount

    def explain(self, row: dict, policy) -> dict:
        return {"rule": self.rule, "basis": basis_text(row, policy),
                "amount": policy.param_trace(self.param, row["basis_on"])}


class CappedRequest(Award):
    """min(amount_requested × ratio, cap) per approved application (按比例, 最高 cap 元)."""

    def __init__(self, cap: str, rule: str, ratio: str | None = None):
        self.cap, self.rule, self.ratio = cap, rule, ratio

    def _base_limit(self, policy, day: str, requested: Money) -> tuple[Money, Money]:
        base = requested
        if self.ratio:
            base = (requested * policy.parameters[self.ratio].decimal_at(day)).quantize(CENT, _HALF_UP)
        return base, policy.parameters[self.cap].money_at(day)

    def at(self, policy, day: str) -> Callable[[Money], Money]:
        limit = policy.parameters[self.cap].money_at(day)
        if not self.ratio:
            return lambda requested: min(requested, limit)
        rate = policy.parameters[self.ratio].decimal_at(day)
        return lambda requested: min((requested * rate).quantize(CENT, _HALF_UP), limit)

    def explain(self, row: dict, policy) -> dict:
        day = row["basis_on"]
        base, limit = self._base_limit(policy, day, money(row.get("amount_requested")))
        amount = min(base, limit)
        trace = {"rule": self.rule, "basis": basis_text(row, policy)}
        if self.ratio:
            trace["ratio"] = policy.param_trace(self.ratio, day)
        trace["cap"] = policy.param_trace(self.cap, day)
        trace["amount"] = f"min({base}, {limit}) = {amount} 元" + (" (封顶)" if base > limit else "")
        return trace


def fixed_amount(param: str, rule: str) -> FixedAmount:
    """A fixed amount per basis (每项认定奖励 N 元)."""
    return FixedAmount(param, rule)


def capped_request(cap: str, rule: str, ratio: str | None = None) -> CappedRequest:
    """min(amount_requested × ratio, cap) per approved application (按比例, 最高 cap 元)."""
    return CappedRequest(cap, rule, ratio)
