"""Award formulas shared by catalogue entries (兑现金额计算). Each takes one evaluated row and its
policy and returns (amount, trace); the parameters are taken at the row's basis date, so a new
dated value applies to bases from its start on."""

from __future__ import annotations

from gxq.policy.model import Money, money


def basis_text(row: dict, policy) -> str:
    if policy.basis == "certification":
        return f"认定 {row['basis_id']}: {row.get('cert_type') or ''} 认定日期 {row['basis_on']}"
    return f"申请 {row['basis_id']}: 批准时间 {row.get('basis_at') or row['basis_on']}, 申请金额 {money(row.get('amount_requested'))} 元"


def fixed_amount(param: str, rule: str):
    """A fixed amount per basis (每项认定奖励 N 元)."""

    def award(row: dict, policy) -> tuple[Money, dict]:
        amount = money(policy.param(param, row["basis_on"]))
        return amount, {"rule": rule, "basis": basis_text(row, policy), "amount": policy.param_trace(param, row["basis_on"])}

    return award


def capped_request(cap: str, rule: str, ratio: str | None = None):
    """min(amount_requested × ratio, cap) per approved application (按比例, 最高 cap 元)."""

    def award(row: dict, policy) -> tuple[Money, dict]:
        day = row["basis_on"]
        requested = money(row.get("amount_requested"))
        base = requested
        trace = {"rule": rule, "basis": basis_text(row, policy)}
        if ratio:
            rate = Money(str(policy.param(ratio, day)))
            base = money(requested * rate)
            trace["ratio"] = policy.param_trace(ratio, day)
        limit = money(policy.param(cap, day))
        amount = min(base, limit)
        trace["cap"] = policy.param_trace(cap, day)
        trace["amount"] = f"min({base}, {limit}) = {amount} 元" + (" (封顶)" if base > limit else "")
        return amount, trace

    return award
