"""
### 通报截止检查 · Bulletin deadline watch (`petition_bulletin_deadline_watch`)

**中文**：《市民服务平台情况通报》须在每周一 12:00（北京时间；周一为节假日时为顺延后的工作日 12:00）前完成。
本 DAG 在该时刻运行，检查本周应发布的通报（上一个完整 ISO 周）是否已在 `gxq_ops` 中登记发布；未发布则
通过通知发件箱告警运维（`ops`），每周只告警一次；补跑（backfill）的运行不检查（截止时间早已过去）。Airflow 3.3 的 DeadlineAlert 在调度器下可用，但带
`deadline=` 的 DAG 在 `airflow dags test` 成功结束时会崩溃（Airflow 3.3.2 缺陷），故以本检查代替。

**English**: the weekly bulletin is due by Monday 12:00 Asia/Shanghai (12:00 of the next working day
when Monday is a holiday, like the bulletin itself). This DAG runs at that moment, checks that the
bulletin of the last complete ISO week is recorded as issued in `gxq_ops` (`gxq_reports`), and if not
alerts `ops` through the notification outbox, once per week. A backfill run checks nothing (its
deadline passed long ago; the backfilled bulletins run beside it). It stands in for Airflow 3's deadline
alerts, which make `airflow dags test` crash when a run with `deadline=` succeeds in Airflow 3.3.2.
Params: `dry_run`, `resend`.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context
from gxq import dagkit

DAG_ID = "petition_bulletin_deadline_watch"


@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)
def petition_bulletin_deadline_watch():
    @dagkit.step
    def check_bulletin_issued() -> dict:
        """Alert ops when the week's bulletin is not issued by its deadline (通报超时告警)."""
        from gxq.notify.deadlines import check_bulletin_deadline
        from gxq.run import Run

        return check_bulletin_deadline(Run.from_context(get_current_context(), DAG_ID))

    check_bulletin_issued()


petition_bulletin_deadline_watch()
