"""When each DAG runs (调度时间), in Asia/Shanghai.

One place for every DAG's schedule, so the working-calendar timetables (gxq.calendar) can
replace plain crons without touching the DAG files. Imported at DAG-parse time: keep it light.
"""

from __future__ import annotations

TIMEZONE = "Asia/Shanghai"

CRONS: dict[str, str | tuple[str, ...] | None] = {
    # 每周一 09:00 发布《市民服务平台情况通报》
    "petition_weekly_bulletin": "0 9 * * 1",
    # 月兑现: 每月 5 日 09:00 兑现上月; 季兑现: 每季首月 10 日 09:00 兑现上季; 随时兑现: 手动
    "policy_redemption_monthly": "0 9 5 * *",
    "policy_redemption_quarterly": "0 9 10 1,4,7,10 *",
    "policy_redemption_adhoc": None,
    # 自创区 月评价: 每月 6 日 09:00; 季调度: 每季首月 12 日 09:00
    "innovation_monthly_evaluation": "0 9 6 * *",
    "innovation_quarterly_dispatch": "0 9 12 1,4,7,10 *",
    # 宣传: 周三 10:00 与 周五 15:00 提醒
    "publicity_cadence_reminder": ("0 10 * * 3", "0 15 * * 5"),
}


def schedule_for(dag_id: str):
    """The ``schedule`` argument of a DAG: None, a cron string, or a timetable."""
    cron = CRONS[dag_id]
    if cron is None or isinstance(cron, str):
        if cron is None:
            return None
        from airflow.timetables.trigger import CronTriggerTimetable

        return CronTriggerTimetable(cron, timezone=TIMEZONE)
    from airflow.timetables.trigger import MultipleCronTriggerTimetable

    return MultipleCronTriggerTimetable(*cron, timezone=TIMEZONE)
