"""
### 急险工单即时监测 · Urgent-petition watch (`petition_urgent_watch`)

**中文**：方案要求对急险疑难事项实施“先予处置”（先处置、后确权、再追责），对简单事项“即时响应”。本 DAG
每 10 分钟运行一次（北京时间，每天运行，节假日照常），检查近 7 天受理、尚未反馈的急险工单
（`is_urgent`），按分拨、反馈时限判定阶段：分拨超时、反馈超时、30 分钟内分拨到期、60 分钟内反馈到期。
分拨类提醒发营商环境建设局（`office`）并写明街道（先予处置：街道可先行处置），反馈类提醒发主办单位，
超时满 120 分钟的提级督办（`office`）。每件工单的每个阶段只通知一次，督办也只一次，无论重跑、补跑多少次；
同一时刻重跑得到同一报告。营商环境看板显示当前的急险工单及其阶段。

**English**: every 10 minutes, every day (holidays included), the urgent petitions received in the
last 7 days and not fed back yet get a stage (`dispatch_overdue`, `feedback_overdue`,
`dispatch_due_soon`, `feedback_due_soon`); dispatch stages go to `office` naming the street, feedback
stages to the lead unit, and those 120 minutes or more overdue to `office` as 督办, each once ever.
`as_of` is the logical date; a manual run without one takes the param `as_of` (`2021-03-23T09:40`) or
its run time. Report: `output/petition_urgent_watch/<2021-03-23T0940>/report.json`. One task.
Params: `as_of`, `dry_run`, `resend`.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context
from gxq import dagkit

DAG_ID = "petition_urgent_watch"


@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)
def petition_urgent_watch():
    @dagkit.step(**dagkit.publishes(DAG_ID))  # its report is an asset the scorecard is scheduled on
    def watch() -> None:
        """Stage the urgent petitions as of the run's minute, write the report, notify (急险监测).
        Returns nothing: the report is report.json and its copy in gxq_ops, its counts are logged,
        and an XCom would cost each of the day's 144 runs one more call to the API server."""
        from gxq.run import Run
        from gxq.urgent import pipeline

        run = Run.from_context(get_current_context(), DAG_ID)
        pipeline.run(run.key, run_id=run.run_id, dry_run=run.dry_run, resend=run.resend)

    watch()


petition_urgent_watch()
