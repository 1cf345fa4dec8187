"""Award formulas shared by catalogue entries (兑现金额计算). Each takes the basis of one candidate
award (a :class:`gxq.policy.model.Basis`: one row of the policy's rule statement) and its policy
and returns (amount, trace): how much, and why. The parameters are taken at the basis date, so a
new dated value applies to bases from its start on."""

from __future__ import annotations

from gxq.policy.model import Basis, Money, money


def basis_text(basis: Basis, policy) -> str:
    if policy.basis == "certification":
        return f"认定 {basis.basis_id}: {basis.cert_type or ''} 认定日期 {basis.basis_on}"
    return f"申请 {basis.basis_id}: 批准时间 {basis.basis_at or basis.basis_on}, 申请金额 {basis.amount_requested} 元"


def fixed_amount(param: str, rule: str):
    """A fixed amount per basis (每项认定奖励 N 元)."""

    def award(basis: Basis, policy) -> tuple[Money, dict]:
        day = basis.basis_on
        amount = money(policy.param(param, day))
        return amount, {"rule": rule, "basis": basis_text(basis, policy), "amount": policy.param_trace(param, day)}

    return award


def capped_request(cap: str, rule: str, ratio: str | None = None):
    """min(amount_requested × ratio, cap) per approved application (按比例, 最高 cap 元)."""

    def award(basis: Basis, policy) -> tuple[Money, dict]:
        day = basis.basis_on
        base = basis.amount_requested
        trace = {"rule": rule, "basis": basis_text(basis, policy)}
        if ratio:
            base = money(base * Money(str(policy.param(ratio, day))))
            trace["ratio"] = policy.param_trace(ratio, day)
        limit = money(policy.param(cap, day))
        amount = min(base, limit)
        trace["cap"] = policy.param_trace(cap, day)
        trace["amount"] = f"min({base}, {limit}) = {amount} 元" + (" (封顶)" if base > limit else "")
        return amount, trace

    return award
