"""知识产权质押贴息 (ip_pledge_interest) — fixed by docs/reference.md.

季兑现, 申报类. Per application with policy_id ``ip_pledge_interest``, status approved and
approved_at in or before the period (on or after 2021-01-01): min(amount_requested, 500000).
Approved without approved_at: not paid, reported as a data problem. NULL amount = 0.
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import capped_request

POLICY = Policy(
    id="ip_pledge_interest",
    name="知识产权质押贴息",
    level="区",
    kind="申报类",
    category="知识产权质押贴息",
    cadence="quarterly",
    source="大连高新区2021年优化营商环境工作实施方案 (金融支持: 知识产权质押融资贴息)",
    competent_unit="U03",
    competent_unit_name="高新区市场监督管理局 (知识产权)",
    parameters={
        "cap": DatedParameter("单笔贴息上限", {"2021-01-01": 500000}, reference="docs/reference.md"),
    },
    sql="policy/approved_applications",
    sql_params={"policy_id": "ip_pledge_interest"},
    award=capped_request("cap", "知识产权质押贴息: 按获批申请金额贴息, 单笔封顶"),
    # 《大连高新区2021年优化营商环境工作实施方案》, 区营商环境建设工作领导小组 2021-02-18 印发; the
    # programme pays bases from 2021-01-01 (docs/reference.md) and stays in force until repealed.
    document_no="大高营领发〔2021〕5号",
    in_force_from="2021-01-01",
    basis="application",
)
