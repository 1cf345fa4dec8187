"""研发费用加计扣除配套补助 (rd_expense_subsidy) — INVENTED, 税收优惠.

Not a rule of docs/reference.md: a plausible 申报类 rule invented on dept_policy.applications. 季兑现:
per application with policy_id ``rd_expense_subsidy`` (amount_requested = the R&D expense
deducted under 加计扣除), approved with approved_at in or before the period (on or after
2021-01-01): 10% of it, at most 200000 元; from 2021-07-01 at most 300000 元 (a new dated value).
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import capped_request

POLICY = Policy(
    id="rd_expense_subsidy",
    name="研发费用加计扣除配套补助",
    level="区",
    kind="申报类",
    category="税收优惠",
    cadence="quarterly",
    source="(虚构 invented) 高新区落实研发费用加计扣除政策配套奖励办法 示例条款",
    competent_unit="U14",
    competent_unit_name="高新区科技和工业信息化局",
    parameters={
        "ratio": DatedParameter("奖励比例", {"2021-01-01": "0.1"}, unit=""),
        "cap": DatedParameter("单笔奖励上限", {"2021-01-01": 200000, "2021-07-01": 300000}),
    },
    sql="policy/approved_applications",
    sql_params={"policy_id": "rd_expense_subsidy"},
    award=capped_request("cap", "研发费用加计扣除配套: 按加计扣除额的比例奖励, 单笔封顶", ratio="ratio"),
    basis="application",
    invented=True,
)
