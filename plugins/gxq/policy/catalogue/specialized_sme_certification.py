"""专精特新中小企业认定奖励 (specialized_sme_certification) — fixed by docs/reference.md.

季兑现, 认定类. 100000 元 per certification of type 专精特新中小企业 certified in or before the
period, on or after 2021-01-01.
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import fixed_amount

POLICY = Policy(
    id="specialized_sme_certification",
    name="专精特新中小企业认定奖励",
    level="区",
    kind="认定类",
    category="科技创新",
    cadence="quarterly",
    source="大连高新区2021年优化营商环境工作实施方案 (政策兑现: 认定类政策免申即享); 高新区促进中小企业专精特新发展政策",
    competent_unit="U14",
    competent_unit_name="高新区科技和工业信息化局",
    parameters={
        "amount": DatedParameter("专精特新认定奖励", {"2021-01-01": 100000}, reference="docs/reference.md"),
    },
    sql="policy/each_certification",
    sql_params={"cert_type": "专精特新中小企业"},
    award=fixed_amount("amount", "专精特新中小企业认定: 每项认定奖励一次"),
    # 《大连高新区2021年优化营商环境工作实施方案》, 区营商环境建设工作领导小组 2021-02-18 印发; the
    # programme pays bases from 2021-01-01 (docs/reference.md) and stays in force until repealed.
    document_no="大高营领发〔2021〕5号",
    in_force_from="2021-01-01",
    basis="certification",
)
