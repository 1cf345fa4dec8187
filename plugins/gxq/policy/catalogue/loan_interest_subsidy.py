"""中小企业贷款贴息 (loan_interest_subsidy) — INVENTED, 金融支持.

Not a rule of docs/reference.md: a plausible 申报类 rule invented on dept_policy.applications. 季兑现:
per application with policy_id ``loan_interest_subsidy``, approved with approved_at in or before
the period (on or after 2021-01-01): 50% of amount_requested (the interest paid), at most
200000 元 per application.
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import capped_request

POLICY = Policy(
    id="loan_interest_subsidy",
    name="中小企业贷款贴息",
    level="区",
    kind="申报类",
    category="金融支持",
    cadence="quarterly",
    source="(虚构 invented) 高新区金融支持实体经济发展若干措施 示例条款",
    competent_unit="U13",
    competent_unit_name="高新区营商环境建设局 (金融服务)",
    parameters={
        "ratio": DatedParameter("贴息比例", {"2021-01-01": "0.5"}, unit=""),
        "cap": DatedParameter("单笔贴息上限", {"2021-01-01": 200000}),
    },
    sql="policy/approved_applications",
    sql_params={"policy_id": "loan_interest_subsidy"},
    award=capped_request("cap", "贷款贴息: 按已付利息的比例贴息, 单笔封顶", ratio="ratio"),
    basis="application",
    invented=True,
)
