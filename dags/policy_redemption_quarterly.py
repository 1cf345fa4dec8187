"""
### 政策兑现 · 季兑现 (policy_redemption_quarterly)

**中文**: 每季首月第 6 个工作日 09:00(上海时间;GXQ_PLAIN_SCHEDULES=1 时为 10 日)兑现上一自然季度的季兑现政策(专精特新中小企业认定奖励、
知识产权质押贴息等),并核查“双承诺、双兑现”:本季度到期且实际完成低于承诺的企业承诺,通知责任单位。
批次规则同月兑现:取所有截至季末符合条件且未兑现的奖励(迟到数据补兑),失信/异常/未登记企业暂缓兑现,
批次出具即冻结,重跑得到同一批次,兑现台账保证每项只付一次。

**English**: Quarterly redemption batch of the quarterly policies for the previous calendar
quarter (logical date D in Asia/Shanghai → previous quarter; a manual run may set `period`, e.g.
`2021-Q1`), plus the 双承诺 check: commitments due in the quarter with fulfilled < promised,
listed in the report and notified to the responsible unit. Same batch rules as the monthly DAG.
Steps: check_schema → evaluate → review (审核, Required Actions) → issue_batch → render →
publish_report → notify.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from gxq import cadences, dagkit
from gxq.policy import tasks as steps

DAG_ID = "policy_redemption_quarterly"


@dag(
    dag_id=DAG_ID,
    schedule=cadences.schedule_for(DAG_ID),
    start_date=dagkit.START_DATE,
    catchup=False,
    default_args=dagkit.default_args(DAG_ID),
    params=dagkit.params_for(DAG_ID),
    tags=cadences.tags_for(DAG_ID),
    doc_md=__doc__,
)
def policy_redemption_quarterly():
    @task
    def check_schema(**context) -> dict:
        """Validate params, migrate gxq_ops, check dept_policy columns; the run's plan."""
        from airflow.sdk.exceptions import AirflowFailException
        from gxq.periods import PeriodError
        from gxq.policy import pipeline

        dry_run, resend = dagkit.flags(context)
        try:  # a malformed period param fails at once, with the reason, and is not retried
            period = cadences.run_period(context, DAG_ID)
            plan = pipeline.plan(DAG_ID, period.key, None, dry_run, resend, dagkit.run_id(context),
                                 review=steps.review_params(context))
        except (PeriodError, pipeline.PolicyRunError) as exc:
            raise AirflowFailException(str(exc)) from None
        return pipeline.check_schema(plan)

    plan = check_schema()
    evaluation = steps.evaluate(plan)  # 资格核定
    decision = steps.review(plan, evaluation)  # 审核: waits in Required Actions unless approved by param
    batch = steps.issue_batch(plan, evaluation, decision)  # 出具批次 (skipped when rejected)
    rendered = steps.render(plan, batch)  # 明细表 + 公示
    steps.notify(plan, rendered, steps.publish_report(plan, batch, rendered))  # report.json, then notices


policy_redemption_quarterly()
