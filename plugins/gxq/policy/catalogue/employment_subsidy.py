"""稳岗用工补贴 (employment_subsidy) — INVENTED, 用工补贴.

Not a rule of docs/reference.md: a plausible 申报类 rule invented on dept_policy.applications. 月兑现:
per application with policy_id ``employment_subsidy``, approved with approved_at in or before
the period (on or after 2021-01-01): amount_requested, at most 50000 元 per application.
"""

from gxq.policy.model import DatedParameter, Policy
from gxq.policy.rules import capped_request

POLICY = Policy(
    id="employment_subsidy",
    name="稳岗用工补贴",
    level="区",
    kind="申报类",
    category="用工补贴",
    cadence="monthly",
    source="(虚构 invented) 高新区稳就业促用工补贴实施细则 示例条款",
    competent_unit="U04",
    competent_unit_name="高新区人力资源和社会保障局",
    parameters={
        "cap": DatedParameter("单笔补贴上限", {"2021-01-01": 50000}),
    },
    sql="policy/approved_applications",
    sql_params={"policy_id": "employment_subsidy"},
    award=capped_request("cap", "稳岗用工补贴: 按核定申请金额补贴, 单笔封顶"),
    basis="application",
    invented=True,
)
