"""科技型中小企业评价入库奖励 (tech_sme_evaluation) — INVENTED for the demo catalogue.

Not a rule of docs/reference.md: a plausible 认定类 rule invented on the dept_policy tables. 月兑现:
20000 元 per certification of type 科技型中小企业 certified in or before the period, on or after
2021-01-01, first one per enterprise only (same "earlier" rule as hte_first_certification).
From 2021-07-01 the amount rises to 30000 元 (a dated value, to show how a change is recorded).
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import fixed_amount

POLICY = Policy(
    id="tech_sme_evaluation",
    name="科技型中小企业评价入库奖励",
    level="区",
    kind="认定类",
    category="科技创新",
    cadence="monthly",
    source="(虚构 invented) 高新区科技型中小企业梯度培育办法 示例条款",
    competent_unit="U14",
    competent_unit_name="高新区科技和工业信息化局",
    parameters={
        "amount": DatedParameter("入库奖励", {"2021-01-01": 20000, "2021-07-01": 30000}),
    },
    sql="policy/first_certification",
    sql_params={"cert_type": "科技型中小企业"},
    award=fixed_amount("amount", "科技型中小企业首次评价入库: 该企业此前无更早的入库"),
    basis="certification",
    invented=True,
)
