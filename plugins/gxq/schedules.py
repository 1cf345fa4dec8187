"""When each DAG runs (调度时间): on China's statutory working calendar, in Asia/Shanghai.

One place for every DAG's schedule; the DAG files call ``schedule_for(dag_id)``. The plan's
cadences are working-day ones, so they use the working-calendar timetables of
:mod:`gxq.calendar.timetables` (holidays skipped, 调休 make-up days worked):

| DAG | schedule |
| --- | --- |
| petition_weekly_bulletin | 每周一 09:00, 遇节假日顺延至下一工作日 (Monday 09:00 or the next working day) |
| policy_redemption_monthly | 每月第3个工作日 09:00 (月兑现 of the previous month) |
| policy_redemption_quarterly | 每季第6个工作日 09:00 (季兑现 of the previous quarter) |
| policy_redemption_adhoc | 手动 (随时兑现: manual only) |
| innovation_monthly_evaluation | 每月第4个工作日 09:00 (月评价, the day after 月兑现) |
| innovation_quarterly_dispatch | 每季第8个工作日 09:00 (季调度) |
| publicity_cadence_reminder | 周三 10:00、周五 15:00, 仅工作日, 遇节假日顺延至本周下一工作日 |

The monthly and quarterly runs keep roughly the old calendar days (the 5th, 10th, 6th, 12th) in
an ordinary month, and never fall on a holiday. Every run's logical date is its run time, and the
DAGs derive their periods from it (CONTRACT.md); each of these runs stays inside the week, month
or quarter after the one it covers.

``CRONS`` keeps the plain-calendar equivalents, for reference and for ``GXQ_PLAIN_SCHEDULES=1``
(an escape hatch: plain cron triggers, no holiday calendar).

Imported at DAG-parse time: keep it light.
"""

from __future__ import annotations

import os

TIMEZONE = "Asia/Shanghai"

# (kind, args): "weekday_or_next" (weekday, "HH:MM"); "working_weekdays" ((weekday, "HH:MM"), ...);
# "nth_working_day" (n, "HH:MM", "month" | "quarter"); None: manual only.
WORKING_DAY_SCHEDULES: dict[str, tuple | None] = {
    # 每周一 09:00 发布《市民服务平台情况通报》, 遇节假日顺延
    "petition_weekly_bulletin": ("weekday_or_next", (0, "09:00")),
    # 月兑现: 每月第3个工作日; 季兑现: 每季第6个工作日; 随时兑现: 手动
    "policy_redemption_monthly": ("nth_working_day", (3, "09:00", "month")),
    "policy_redemption_quarterly": ("nth_working_day", (6, "09:00", "quarter")),
    "policy_redemption_adhoc": None,
    # 自创区 月评价: 每月第4个工作日; 季调度: 每季第8个工作日
    "innovation_monthly_evaluation": ("nth_working_day", (4, "09:00", "month")),
    "innovation_quarterly_dispatch": ("nth_working_day", (8, "09:00", "quarter")),
    # 宣传: 周三 10:00 与 周五 15:00 提醒, 节假日不发
    "publicity_cadence_reminder": ("working_weekdays", ((2, "10:00"), (4, "15:00"))),
}

# The plain-calendar equivalents (no holidays), used only with GXQ_PLAIN_SCHEDULES=1.
CRONS: dict[str, str | tuple[str, ...] | None] = {
    "petition_weekly_bulletin": "0 9 * * 1",
    "policy_redemption_monthly": "0 9 5 * *",
    "policy_redemption_quarterly": "0 9 10 1,4,7,10 *",
    "policy_redemption_adhoc": None,
    "innovation_monthly_evaluation": "0 9 6 * *",
    "innovation_quarterly_dispatch": "0 9 12 1,4,7,10 *",
    "publicity_cadence_reminder": ("0 10 * * 3", "0 15 * * 5"),
}


def timetable_for(dag_id: str):
    """The working-calendar timetable of a DAG (None: manual only)."""
    spec = WORKING_DAY_SCHEDULES[dag_id]
    if spec is None:
        return None
    from gxq.calendar import timetables

    kind, args = spec
    if kind == "weekday_or_next":
        return timetables.WeekdayOrNextWorkingDayTimetable(*args, timezone=TIMEZONE)
    if kind == "working_weekdays":
        return timetables.WorkingWeekdaysTimetable(args, timezone=TIMEZONE)
    if kind == "nth_working_day":
        return timetables.NthWorkingDayTimetable(*args, timezone=TIMEZONE)
    raise ValueError(f"unknown schedule kind {kind!r} for {dag_id}")


def cron_for(dag_id: str):
    """The plain cron trigger timetable of a DAG (no holiday calendar)."""
    cron = CRONS[dag_id]
    if cron is None:
        return None
    if isinstance(cron, str):
        from airflow.timetables.trigger import CronTriggerTimetable

        return CronTriggerTimetable(cron, timezone=TIMEZONE)
    from airflow.timetables.trigger import MultipleCronTriggerTimetable

    return MultipleCronTriggerTimetable(*cron, timezone=TIMEZONE)


def schedule_for(dag_id: str):
    """The ``schedule`` argument of a DAG: None or a timetable."""
    if os.environ.get("GXQ_PLAIN_SCHEDULES", "").strip().lower() in ("1", "true", "yes"):
        return cron_for(dag_id)
    return timetable_for(dag_id)
