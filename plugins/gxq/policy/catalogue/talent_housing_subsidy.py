"""高层次人才安家补贴 (talent_housing_subsidy) — INVENTED, 人才.

Not a rule of docs/reference.md: a plausible 申报类 rule invented on dept_policy.applications. 季兑现:
per application with policy_id ``talent_housing_subsidy`` (filed by the employing enterprise),
approved with approved_at in or before the period (on or after 2021-01-01): 50% of
amount_requested, at most 100000 元 per application.
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import capped_request

POLICY = Policy(
    id="talent_housing_subsidy",
    name="高层次人才安家补贴",
    level="区",
    kind="申报类",
    category="人才",
    cadence="quarterly",
    source="(虚构 invented) 高新区高层次人才引进培育办法 示例条款",
    competent_unit="U04",
    competent_unit_name="高新区人力资源和社会保障局",
    parameters={
        "ratio": DatedParameter("补贴比例", {"2021-01-01": "0.5"}, unit=""),
        "cap": DatedParameter("单笔补贴上限", {"2021-01-01": 100000}),
    },
    sql="policy/approved_applications",
    sql_params={"policy_id": "talent_housing_subsidy"},
    award=capped_request("cap", "人才安家补贴: 按申请金额的比例补贴, 单笔封顶", ratio="ratio"),
    basis="application",
    invented=True,
)
