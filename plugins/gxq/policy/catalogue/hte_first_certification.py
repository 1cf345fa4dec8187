"""高新技术企业首次认定奖励 (hte_first_certification) — fixed by docs/reference.md.

月兑现, 认定类 (免申即享: no application). 300000 元 per certification of type 高新技术企业
certified in or before the period, when the enterprise had no earlier such certification.
Earlier = earlier certified_on, or the same day and a smaller cert_id; certifications from before
the programme start (2021-01-01) count when deciding "first" but only bases on or after it pay.
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import fixed_amount

POLICY = Policy(
    id="hte_first_certification",
    name="高新技术企业首次认定奖励",
    level="区",
    kind="认定类",
    category="科技创新",
    cadence="monthly",
    source="大连高新区2021年优化营商环境工作实施方案 (政策兑现: 认定类政策免申即享); 高新区支持高新技术企业发展若干政策",
    competent_unit="U14",
    competent_unit_name="高新区科技和工业信息化局",
    parameters={
        "amount": DatedParameter("首次认定奖励", {"2021-01-01": 300000}, reference="docs/reference.md"),
    },
    sql="policy/first_certification",
    sql_params={"cert_type": "高新技术企业"},
    award=fixed_amount("amount", "高新技术企业首次认定: 该企业此前无更早的高新技术企业认定"),
    # 《大连高新区2021年优化营商环境工作实施方案》, 区营商环境建设工作领导小组 2021-02-18 印发; the
    # programme pays bases from 2021-01-01 (docs/reference.md) and stays in force until repealed.
    document_no="大高营领发〔2021〕5号",
    in_force_from="2021-01-01",
    basis="certification",
)
