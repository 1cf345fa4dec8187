"""
### 政策兑现 · 随时兑现 (policy_redemption_adhoc)

**中文**: 随时兑现,手动触发(无调度)。参数 `period`:兑现期间,月份(如 `2021-03`)或季度(如 `2021-Q1`),
为空时取逻辑日期(或触发时间)的上一自然月;`policy_ids`:要兑现的政策编号列表,为空时为全部认定类政策。
参数在任何查询之前校验,未知政策编号、格式错误的期间一律报错并说明原因。
同一期间 + 同一组政策(排序后)即同一批次:重复触发得到同一冻结批次;与月兑现/季兑现共用兑现台账,
任何奖励只付一次。`dry_run` 只计算和生成文件(dry_run/ 目录),不出具批次。

**English**: Adhoc (随时兑现) batch, triggered by hand (schedule None). Params: `period` (a month
key `2021-03` or a quarter key `2021-Q1`; empty: the month before the logical date or run time) and
`policy_ids` (a list, or comma-separated text; empty: every 认定类 policy), validated with clear
errors before any query. An adhoc batch is identified by its period and sorted policy_ids: the same
params again reproduce it. It shares the payment ledger with the scheduled batches, so nothing is
ever paid twice. Steps: check_schema → evaluate → review (审核, Required Actions) → issue_batch → render →
publish_report → notify.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from gxq import cadences, dagkit
from gxq.policy import tasks as steps

DAG_ID = "policy_redemption_adhoc"


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
def policy_redemption_adhoc():
    @task
    def check_schema(**context) -> dict:
        """Validate params, migrate gxq_ops, check dept_policy columns; the run's plan."""
        from airflow.sdk.exceptions import AirflowFailException
        from gxq.policy import pipeline

        params = context["params"]
        period_key = params.get("period")
        if period_key in (None, ""):  # no period given: the month before the logical date / run time
            period_key = cadences.run_period(context, DAG_ID).key
        dry_run, resend = dagkit.flags(context)
        try:  # bad params fail at once, with the reason, and are not retried
            plan = pipeline.plan(DAG_ID, period_key, params.get("policy_ids"), dry_run, resend, dagkit.run_id(context),
                                 review=steps.review_params(context))
        except pipeline.PolicyRunError as exc:
            raise AirflowFailException(str(exc)) from None
        return pipeline.check_schema(plan)

    plan = check_schema()
    evaluation = steps.evaluate(plan)  # 资格核定
    decision = steps.review(plan, evaluation)  # 审核: waits in Required Actions unless approved by param
    batch = steps.issue_batch(plan, evaluation, decision)  # 出具批次 (skipped when rejected)
    rendered = steps.render(plan, batch)  # 明细表 + 公示
    steps.notify(plan, rendered, steps.publish_report(plan, batch, rendered))  # report.json, then notices


policy_redemption_adhoc()
