"""
### 节假日日历到期检查 · Holiday calendar coverage watch (`calendar_coverage_watch`)

**中文**：所有工作日调度依赖 `chinesecalendar` 软件包中的法定节假日和调休安排。该软件包只在国务院公布下一年安排并发布
新版本后才包含下一年。本 DAG 每周一 08:30（上海时间，遇节假日顺延至下一工作日）检查未来 31 天（12 月起即覆盖下一年）
是否有软件包不认识的年份；如有，通过通知发件箱告警运维（`ops`），每个年份只告警一次。

**English**: every working-day schedule reads the statutory holidays and make-up days from the
`chinesecalendar` package, which learns a year only once the State Council has published it. This
DAG runs on Mondays at 08:30 Asia/Shanghai (the next working day when Monday is a holiday) and checks
whether any day of the next 31 days (so from December 1st, the next year) lies in a year the
package does not know; if so it warns `ops` through the outbox, once per unknown year
(period key `calendar-<year>`). Steps: check_calendar. Params: `dry_run`, `resend`.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context
from gxq import dagkit

DAG_ID = "calendar_coverage_watch"


@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)
def calendar_coverage_watch():
    @dagkit.step
    def check_calendar() -> dict:
        """Warn ops when the holiday calendar does not know a year about to begin (节假日日历到期)."""
        from gxq.notify import coverage
        from gxq.run import Run

        return coverage.check_run(Run.from_context(get_current_context(), DAG_ID))

    check_calendar()


calendar_coverage_watch()
