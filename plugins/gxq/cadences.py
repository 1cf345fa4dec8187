"""Every DAG of the project, declared once (DAG 登记表): id, 中文 name, when it runs, which period a
run covers, its params, the notices it sends and to whom.

Everything else reads this table: the DAG files (``gxq.dagkit.dag_args``), the run value
(:mod:`gxq.run`: a run's period, report key and as_of come from its entry's period rule), the ops
alerts, the pipelines, ``python -m gxq.cadences moved``, the 看板 (names and labels) and the deadline
watch. A DAG id is written here and nowhere else in the package (the DAG file names its own).

Schedules are on China's statutory working calendar in Asia/Shanghai (holidays skipped, 调休
make-up days worked; :mod:`gxq.calendar.timetables`); each also names its plain-cron equivalent,
used with ``GXQ_PLAIN_SCHEDULES=1`` (an escape hatch: plain cron triggers, no holiday calendar).
The monthly and quarterly runs keep roughly the old calendar days (the 5th, 10th, 6th, 12th) in an
ordinary month and never fall on a holiday; each stays inside the week, month or quarter after the
one it covers.

Adding a DAG: add one :class:`Cadence` to ``CADENCES``, then write the DAG file as
``@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)``; its first step builds the run value with
``gxq.run.Run.from_context(context, DAG_ID)``. The real entry of the task-tracking DAG, a monthly
DAG run on the 2nd working day that covers the previous month::

    Cadence(
        dag_id="plan_task_tracking", name="任务清单督查（序时进度）", label="任务督查", area="tracking",
        frequency="monthly", when="每月第2个工作日 09:00",
        timetable=("nth_working_day", (2, "09:00", "month")), cron="0 9 3 * *",
        period_rule="previous_month", max_active_runs=1,
        params=(_period("Month to track (督查月份).", "2021-06"),),
        notices=(NoticeKind("task_tracking", "office", "任务清单督查月报"), ...),
        sources=("dept_supervision",),
        tags=("gxq", "tasks", "任务清单", "督查", "monthly"),
    ),

Adding a period rule (what a run at moment D covers, and its report key): one entry in ``RULES``,
a :class:`PeriodRule`. ``as_of=True`` makes D the run's ``as_of`` (an ``as_of`` param may set it on
a manual run); ``key`` names the run's report folder and outbox key when it is not the period key.
For example ``minute`` (the urgent-petition watch, every 10 minutes): D's own minute, keyed
``2021-03-23T0940``.

Imported at DAG-parse time and by the 看板: standard library and :mod:`gxq.periods` only; the
timetable classes are imported when a schedule is built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

from gxq import periods

TIMEZONE = "Asia/Shanghai"
OWNER = "gxq-ops"  # Airflow's task owner, unless a DAG names its own


@dataclass(frozen=True)
class ParamSpec:
    """A DAG param besides ``dry_run`` and ``resend`` (built into an Airflow ``Param`` by
    :func:`gxq.dagkit.params_for`)."""

    name: str
    description: str
    type: tuple[str, ...] = ("null", "string")
    pattern: str | None = None


@dataclass(frozen=True)
class NoticeKind:
    """A kind of notice a DAG sends (``Notice.kind``, or its prefix before ``:`` when the kind
    carries a batch or project id) and whom it goes to: a recipient tag (``office``, ``ops``,
    ``finance``, ``publicity``) or ``units`` (each responsible unit's own code)."""

    kind: str
    recipient: str
    label: str  # 中文, shown on the 看板


@dataclass(frozen=True)
class Input:
    """A report another DAG issues that this DAG is built from (an Airflow asset: the producer's
    publish step updates it, :func:`report_asset`; the consumer is scheduled on it). ``need`` says
    what a month of the consumer needs of it: ``month`` (the month's report), ``weeks`` (the report
    of every ISO week counting toward the month, :func:`gxq.periods.weeks_of_month`), ``last_week``
    (the report of the month's last such week) or ``runs`` (the reports of the runs within the month)."""

    source: str  # the consumer's name for it
    dag_id: str
    need: str


@dataclass(frozen=True)
class Cadence:
    dag_id: str
    name: str  # 中文 name of the work
    label: str  # short 中文 label (看板, documents)
    area: str  # the gxq subpackage that does the work
    frequency: str  # how often it runs: daily | weekly | monthly | quarterly | adhoc
    when: str  # 中文: when it runs
    # Working-calendar timetable (kind, args), None for manual only:
    #   ("weekday_or_next", (weekday, "HH:MM"))        that weekday, else the next working day
    #   ("working_weekdays", ((weekday, "HH:MM"), ...)) those weekdays, moved within the week
    #   ("nth_working_day", (n, "HH:MM", "month" | "quarter"))
    #   ("cron", ("*/10 * * * *",))                     a plain cron on every day, holidays included
    timetable: tuple | None
    cron: str | tuple[str, ...] | None  # the plain-calendar equivalent
    # What a run at logical date D covers: a key of RULES. A manual run may name its period instead
    # (a ``period`` param), or its moment (an ``as_of`` param) when the rule has one.
    period_rule: str
    params: tuple[ParamSpec, ...] = ()
    notices: tuple[NoticeKind, ...] = ()
    sources: tuple[str, ...] = ()  # the dept_* databases it reads
    tags: tuple[str, ...] = ()
    owner: str = OWNER
    # Period keys a ``period`` param may name; empty: the rule's own kind.
    period_kinds: tuple[str, ...] = ()
    max_active_runs: int | None = None  # None: Airflow's default

    @property
    def rule(self) -> PeriodRule:
        return RULES[self.period_rule]
    # The other DAGs' reports it is built from; a DAG with inputs is scheduled on their assets
    # (:func:`inputs_timetable`), not on the clock.
    inputs: tuple[Input, ...] = ()
    # Other capabilities whose line of the period its report carries (areas; each area's
    # ``pipeline.line(period)``), handed over by the step layer (:mod:`gxq.carried`): a capability
    # imports no other (docs/ARCHITECTURE.md, "Layers").
    carries: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.period_kinds or self.rule.kinds


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _period_key(period: periods.Period, when: dt.datetime) -> str:
    return period.key


@dataclass(frozen=True)
class PeriodRule:
    """What a run at moment D (its logical date, aware) covers (报告期规则), and its report key."""

    covers: Callable[[dt.datetime], periods.Period]
    kinds: tuple[str, ...]  # the period kinds a ``period`` param may name
    # The report folder and outbox key of a run covering ``period`` at local moment D.
    key: Callable[[periods.Period, dt.datetime], str] = _period_key
    as_of: bool = False  # the run counts up to D: D is its as_of (an ``as_of`` param may set it)


# One entry per rule; a DAG names its rule in ``Cadence.period_rule``.
RULES: dict[str, PeriodRule] = {
    "previous_week": PeriodRule(periods.previous_week, ("week",)),
    "previous_month": PeriodRule(periods.previous_month, ("month",)),
    "previous_quarter": PeriodRule(periods.previous_quarter, ("quarter",)),
    # D's own ISO week up to D; two runs of a week keep their reports: 2021-W09-wed, 2021-W09-fri.
    "week_so_far": PeriodRule(lambda d: periods.week_containing(periods.to_local(d)), ("week",),
                              key=lambda p, d: f"{p.key}-{WEEKDAY_KEYS[d.weekday()]}", as_of=True),
    # D's own local minute (a watch run every few minutes): 2021-03-23T0940; D is its as_of.
    "minute": PeriodRule(periods.minute_of, ("minute",), as_of=True),
}

def _period(description: str, example: str) -> ParamSpec:
    return ParamSpec("period", f"{description} e.g. {example}; empty: derived from the run's logical date.")


WEEK_PATTERN = r"^[0-9]{4}-W[0-9]{2}$"
MINUTE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"

# Sent for any DAG, not listed per DAG: a task failed (gxq.dagkit.on_task_failure), a notice
# had no channel for its recipient tag, a chat platform refused it for good, or a send cut short
# was taken over and may have reached its group twice (gxq.notify.outbox).
COMMON_NOTICES = (
    NoticeKind("task_failed", "ops", "任务失败告警"),
    NoticeKind("unrouted", "ops", "无接收地址告警"),
    NoticeKind("refused", "ops", "平台拒收告警"),
    NoticeKind("interrupted", "ops", "发送中断接手告警（请核对重复）"),
)

_POLICY_NOTICES = (
    NoticeKind("policy_batch", "finance", "兑现批次（财政拨付）"),
    NoticeKind("policy_unit", "units", "主管部门兑现明细"),
    NoticeKind("policy_rejected", "units", "兑现批次审核驳回"),
)
# 审核后报财政 (gxq.policy.review): an approval given outside the UI, and awards held back.
_REVIEW_PARAMS = (
    ParamSpec("approved_by", "线下审批人姓名 (approver of a signed paper 签批); with approval_ref the run does "
              "not wait for Required Actions."),
    ParamSpec("approval_ref", "签批/文件编号 (reference of that approval); required with approved_by."),
    ParamSpec("hold", '暂缓奖励 (awards to hold back): [{"policy_id", "credit_code", "basis_id", "note"}].',
              type=("null", "array", "string")),
)

CADENCES: tuple[Cadence, ...] = (
    Cadence(
        dag_id="petition_weekly_bulletin", name="市民服务平台情况通报", label="情况通报", area="petitions",
        frequency="weekly", when="每周一 09:00, 遇节假日顺延至下一工作日",
        timetable=("weekday_or_next", (0, "09:00")), cron="0 9 * * 1",
        period_rule="previous_week", max_active_runs=1,
        params=(
            ParamSpec("period", "ISO week to report (通报周), e.g. 2021-W09; empty: the week before the logical "
                      "date's week.", pattern=WEEK_PATTERN),
        ),
        notices=(
            NoticeKind("bulletin", "office", "情况通报全文"),
            NoticeKind("unit_bulletin", "units", "承办单位通报"),
            NoticeKind("escalation", "office", "挂牌督办提级"),
            NoticeKind("quarantine", "ops", "数据质量提示"),
        ),
        sources=("dept_petitions",),
        carries=("publicity",),  # 附: 宣传工作, the publicity team's line of the week
        tags=("petitions", "市民服务平台", "weekly", "bulletin"),
    ),
    Cadence(
        dag_id="petition_bulletin_deadline_watch", name="通报截止检查", label="通报截止检查", area="notify",
        frequency="weekly", when="每周一 12:00, 遇节假日顺延至下一工作日 (通报截止时刻)",
        timetable=("weekday_or_next", (0, "12:00")), cron="0 12 * * 1",
        period_rule="previous_week",  # the week of the bulletin due at that moment
        notices=(NoticeKind("deadline_missed", "ops", "通报超时告警"),),
        tags=("petitions", "市民服务平台", "weekly", "deadline", "ops"),
    ),
    Cadence(
        dag_id="policy_redemption_monthly", name="政策兑现 · 月兑现", label="月兑现", area="policy",
        frequency="monthly", when="每月第3个工作日 09:00",
        timetable=("nth_working_day", (3, "09:00", "month")), cron="0 9 5 * *",
        period_rule="previous_month",
        params=(_period("兑现月份 Month to redeem", "2021-03"), *_REVIEW_PARAMS),
        notices=_POLICY_NOTICES, sources=("dept_policy",),
        tags=("gxq", "policy", "政策兑现", "月兑现"),
    ),
    Cadence(
        dag_id="policy_redemption_quarterly", name="政策兑现 · 季兑现", label="季兑现", area="policy",
        frequency="quarterly", when="每季首月第6个工作日 09:00",
        timetable=("nth_working_day", (6, "09:00", "quarter")), cron="0 9 10 1,4,7,10 *",
        period_rule="previous_quarter",
        params=(_period("兑现季度 Quarter to redeem", "2021-Q1"), *_REVIEW_PARAMS),
        notices=(*_POLICY_NOTICES, NoticeKind("commitment_shortfalls", "units", "双承诺未达承诺")),
        sources=("dept_policy",),
        tags=("gxq", "policy", "政策兑现", "季兑现", "双承诺"),
    ),
    Cadence(
        dag_id="policy_redemption_adhoc", name="政策兑现 · 随时兑现", label="随时兑现", area="policy",
        frequency="adhoc", when="手动触发 (无调度)",
        timetable=None, cron=None,
        period_rule="previous_month", period_kinds=("month", "quarter"),
        params=(
            ParamSpec("period", "兑现期间: 月份 2021-03 或季度 2021-Q1 (Month or quarter key); empty: the "
                      "previous month."),
            ParamSpec("policy_ids", "政策编号列表 (policy ids, list or comma-separated); empty: every 认定类 "
                      "policy.", type=("null", "array", "string")),
            *_REVIEW_PARAMS,
        ),
        notices=_POLICY_NOTICES, sources=("dept_policy",),
        tags=("gxq", "policy", "政策兑现", "随时兑现"),
    ),
    Cadence(
        dag_id="policy_review_watch", name="兑现批次待审核提醒", label="待审核提醒", area="policy",
        frequency="daily", when="每个工作日 09:30 (周一至周五, 节假日不运行)",
        timetable=("working_weekdays", tuple((d, "09:30") for d in range(5))), cron="30 9 * * 1-5",
        period_rule="week_so_far",
        notices=(NoticeKind("policy_review_reminder", "finance", "兑现批次待审核提醒"),
                 NoticeKind("policy_review_escalation", "office", "兑现批次待审核督办"),
                 NoticeKind("policy_review_superseded", "ops", "过时审核请求待关闭")),
        tags=("gxq", "policy", "政策兑现", "审核"),
    ),
    Cadence(
        dag_id="innovation_monthly_evaluation", name="自创区重大项目月评价", label="月评价", area="innovation",
        frequency="monthly", when="每月第4个工作日 09:00 (月兑现的次日)",
        timetable=("nth_working_day", (4, "09:00", "month")), cron="0 9 6 * *",
        period_rule="previous_month", max_active_runs=1,
        params=(_period("Month to evaluate (评价月份).", "2021-03"),),
        notices=(
            NoticeKind("innovation_scorecard", "office", "月评价记分卡"),
            NoticeKind("innovation_monthly", "units", "责任单位月评价"),
            NoticeKind("innovation_monthly_unassigned", "office", "未明确责任单位的项目"),
            NoticeKind("innovation_data_problems", "ops", "数据问题"),
        ),
        sources=("dept_innovation",),
        tags=("gxq", "innovation", "自创区", "月评价", "monthly"),
    ),
    Cadence(
        dag_id="innovation_quarterly_dispatch", name="自创区重大项目季调度", label="季调度", area="innovation",
        frequency="quarterly", when="每季首月第8个工作日 09:00",
        timetable=("nth_working_day", (8, "09:00", "quarter")), cron="0 9 12 1,4,7,10 *",
        period_rule="previous_quarter", max_active_runs=1,
        params=(_period("Quarter to dispatch (调度季度).", "2021-Q1"),),
        notices=(
            NoticeKind("innovation_agenda", "office", "季度调度会议程"),
            NoticeKind("innovation_dispatch", "units", "责任单位调度项目"),
            NoticeKind("innovation_dispatch_unassigned", "office", "未明确责任单位的调度项目"),
            NoticeKind("supervision_letter", "units", "督办函"),
            NoticeKind("innovation_data_problems", "ops", "数据问题"),
        ),
        sources=("dept_innovation",),
        tags=("gxq", "innovation", "自创区", "季调度", "quarterly"),
    ),
    Cadence(
        dag_id="publicity_cadence_reminder", name="宣传工作提醒", label="宣传提醒", area="publicity",
        frequency="weekly", when="周三 10:00、周五 15:00, 仅工作日, 遇节假日顺延至本周下一工作日",
        timetable=("working_weekdays", ((2, "10:00"), (4, "15:00"))), cron=("0 10 * * 3", "0 15 * * 5"),
        period_rule="week_so_far", max_active_runs=1,
        params=(
            ParamSpec("as_of", "Count up to this moment (统计截止时刻), e.g. 2021-03-03T10:00 (Asia/Shanghai) or "
                      "2021-03-03T10:00:00+08:00; empty: the run's logical date."),
        ),
        notices=(
            NoticeKind("reminder", "publicity", "宣传提醒"),
            NoticeKind("reminder_urgent", "publicity", "宣传紧急提醒"),
            NoticeKind("data_problems", "ops", "数据质量提示"),
        ),
        sources=("dept_publicity",),
        tags=("gxq", "publicity", "宣传", "weekly"),
    ),
    Cadence(
        dag_id="plan_task_tracking", name="任务清单督查（序时进度）", label="任务督查", area="tracking",
        frequency="monthly", when="每月第2个工作日 09:00",
        timetable=("nth_working_day", (2, "09:00", "month")), cron="0 9 3 * *",
        period_rule="previous_month", max_active_runs=1,
        params=(_period("Month to track (督查月份).", "2021-06"),),
        notices=(
            NoticeKind("task_tracking", "office", "任务清单督查月报"),
            NoticeKind("task_reminder", "units", "任务催办"),
            NoticeKind("task_escalation", "office", "连续红灯任务督办"),
            NoticeKind("task_data_problems", "ops", "数据问题"),
        ),
        sources=("dept_supervision",),
        tags=("gxq", "tasks", "任务清单", "督查", "monthly"),
    ),
    Cadence(
        dag_id="petition_urgent_watch", name="急险工单即时监测（先予处置）", label="急险监测", area="urgent",
        frequency="every10min", when="每 10 分钟, 每天 (含节假日)",
        timetable=("cron", ("*/10 * * * *",)), cron="*/10 * * * *",
        period_rule="minute", max_active_runs=1,
        params=(
            ParamSpec("as_of", "监测时刻 (as_of, Asia/Shanghai) e.g. 2021-03-23T09:40, for a manual run without "
                      "a logical date; empty: the logical date, or the run time to the minute.",
                      pattern=MINUTE_PATTERN),
        ),
        notices=(
            NoticeKind("urgent_office", "office", "急险工单先予处置/督办"),
            NoticeKind("urgent_unit", "units", "急险工单反馈提醒"),
            NoticeKind("urgent_quarantine", "ops", "急险工单数据质量提示"),
        ),
        sources=("dept_petitions",),
        tags=("petitions", "市民服务平台", "急险", "urgent"),
    ),
    Cadence(
        dag_id="assessment_rectification", name="三轮评估 整改跟踪", label="评估整改", area="assessment",
        frequency="weekly", when="每周二 10:00, 遇节假日顺延至下一工作日 (周一通报之后)",
        timetable=("weekday_or_next", (1, "10:00")), cron="0 10 * * 2",
        period_rule="previous_week", max_active_runs=1,
        params=(
            ParamSpec("period", "ISO week to follow (跟踪周), e.g. 2021-W27; empty: the week before the logical "
                      "date's week.", pattern=WEEK_PATTERN),
        ),
        notices=(
            NoticeKind("rectification_report", "office", "评估问题整改通报"),
            NoticeKind("rectification_reminder", "units", "整改逾期催办"),
            NoticeKind("rectification_escalation", "office", "整改逾期督办"),
            NoticeKind("rectification_due_soon", "units", "整改临期提醒"),
            NoticeKind("rectification_reported", "office", "新报整改待验收"),
            NoticeKind("rectification_data_problems", "ops", "数据问题"),
        ),
        sources=("dept_supervision",),
        tags=("gxq", "assessment", "营商环境评估", "整改", "weekly"),
    ),
    Cadence(
        dag_id="unit_performance_scorecard", name="营商环境建设绩效考核", label="绩效考核", area="scorecard",
        frequency="monthly", when="上月各项输入齐备时 (资产触发: 情况通报、急险监测、整改跟踪、任务督查、月评价均已发布该月)",
        timetable=None, cron=None,
        period_rule="previous_month", max_active_runs=1,
        params=(
            _period("考核月份 Month to score.", "2021-06"),
            ParamSpec("allow_missing", "缺少输入时仍出具考核 (score with inputs missing; they are named in the "
                      "report and every document); default false: the run fails after telling ops.",
                      type=("null", "boolean")),
        ),
        inputs=(
            Input("petitions", "petition_weekly_bulletin", "weeks"),
            Input("urgent", "petition_urgent_watch", "runs"),
            Input("tasks", "plan_task_tracking", "month"),
            Input("rectification", "assessment_rectification", "last_week"),
            Input("innovation", "innovation_monthly_evaluation", "month"),
        ),
        notices=(
            NoticeKind("scorecard_office", "office", "绩效考核月报"),
            NoticeKind("scorecard_unit", "units", "本单位绩效考核"),
            NoticeKind("scorecard_missing_inputs", "ops", "绩效考核缺少输入"),
        ),
        tags=("gxq", "scorecard", "绩效考核", "monthly"),
    ),
    Cadence(
        dag_id="calendar_coverage_watch", name="节假日日历到期检查", label="日历到期检查", area="notify",
        frequency="weekly", when="每周一 08:30, 遇节假日顺延至下一工作日",
        timetable=("weekday_or_next", (0, "08:30")), cron="30 8 * * 1",
        period_rule="week_so_far",  # the check looks ahead from the run's day
        notices=(NoticeKind("calendar_coverage", "ops", "节假日日历到期"),),
        tags=("gxq", "ops", "calendar", "节假日日历", "weekly"),
    ),
)

BY_ID: dict[str, Cadence] = {c.dag_id: c for c in CADENCES}


def get(dag_id: str) -> Cadence:
    try:
        return BY_ID[dag_id]
    except KeyError:
        raise KeyError(f"{dag_id!r} is not a registered DAG (gxq.cadences.CADENCES)") from None


def in_area(area: str) -> tuple[Cadence, ...]:
    return tuple(c for c in CADENCES if c.area == area)


def dag_of(area: str, frequency: str | None = None) -> str:
    """The id of the one DAG of a capability, or of its DAG of that frequency (``tracking`` ->
    ``plan_task_tracking``; ``innovation``, ``quarterly`` -> ``innovation_quarterly_dispatch``)."""
    found = [c for c in in_area(area) if frequency in (None, c.frequency)]
    if len(found) != 1:
        raise KeyError(f"{area!r} ({frequency or 'any frequency'}) has {len(found)} DAGs in "
                       "gxq.cadences.CADENCES, not one")
    return found[0].dag_id


def redemption_dags() -> tuple[str, ...]:
    """The 政策兑现 DAGs (月兑现, 季兑现, 随时兑现), not the policy's review watch."""
    return tuple(c.dag_id for c in in_area("policy") if c.frequency in ("monthly", "quarterly", "adhoc"))


def tags_for(dag_id: str) -> list[str]:
    return list(get(dag_id).tags)


def notice_label(dag_id: str, kind: str) -> str | None:
    """The 中文 label of a notice kind (``policy_batch:B1`` -> its ``policy_batch`` entry)."""
    prefix = kind.split(":", 1)[0]
    cadence = BY_ID.get(dag_id)
    for n in (*(cadence.notices if cadence else ()), *COMMON_NOTICES):
        if n.kind == prefix:
            return n.label
    return None


# --- the period of a run: derived here only (gxq.run builds the run value on it) ---------------


def covers(dag_id: str, when: dt.datetime) -> periods.Period:
    """The period a run of ``dag_id`` at logical date ``when`` covers (Asia/Shanghai)."""
    return get(dag_id).rule.covers(when)


def report_key(dag_id: str, when: dt.datetime) -> str:
    """The key of a run's report folder and outbox entries at logical date ``when``: the period key,
    or what the rule makes of it (``2021-W09-wed`` for a run within its week)."""
    rule = get(dag_id).rule
    return rule.key(rule.covers(when), periods.to_local(when))


def example_key(dag_id: str) -> str:
    """What a ``period`` param of ``dag_id`` looks like, for error messages."""
    examples = {"day": "2021-03-23", "week": "2021-W09", "month": "2021-03", "quarter": "2021-Q1"}
    return " or ".join(examples[k] for k in get(dag_id).kinds)


# --- schedules -------------------------------------------------------------------------------


def plain_schedules() -> bool:
    return os.environ.get("GXQ_PLAIN_SCHEDULES", "").strip().lower() in ("1", "true", "yes")


def timetable_for(dag_id: str):
    """The working-calendar timetable of a DAG (None: manual only)."""
    spec = get(dag_id).timetable
    if spec is None:
        return None
    kind, args = spec
    if kind == "cron":  # every day alike: Airflow's own cron trigger, not the working calendar
        from airflow.timetables.trigger import CronTriggerTimetable

        return CronTriggerTimetable(*args, timezone=TIMEZONE)
    # Deferred: the timetables import Airflow, which the 看板 and the plain pipelines do not need,
    # and the working calendar, which a cron DAG does not need either (the urgent watch's file,
    # parsed at each of its 144 runs a day).
    from gxq.calendar import timetables

    if kind == "weekday_or_next":
        return timetables.WeekdayOrNextWorkingDayTimetable(*args, timezone=TIMEZONE)
    if kind == "working_weekdays":
        return timetables.WorkingWeekdaysTimetable(args, timezone=TIMEZONE)
    if kind == "nth_working_day":
        return timetables.NthWorkingDayTimetable(*args, timezone=TIMEZONE)
    raise ValueError(f"unknown schedule kind {kind!r} for {dag_id}")


def cron_for(dag_id: str):
    """The plain cron trigger timetable of a DAG (no holiday calendar)."""
    cron = get(dag_id).cron
    if cron is None:
        return None
    # Deferred: Airflow's timetables, only when a DAG is built.
    from airflow.timetables.trigger import CronTriggerTimetable, MultipleCronTriggerTimetable

    if isinstance(cron, str):
        return CronTriggerTimetable(cron, timezone=TIMEZONE)
    return MultipleCronTriggerTimetable(*cron, timezone=TIMEZONE)


def schedule_for(dag_id: str):
    """The ``schedule`` argument of a DAG: None or a timetable."""
    if get(dag_id).inputs:
        return inputs_timetable(dag_id)
    return cron_for(dag_id) if plain_schedules() else timetable_for(dag_id)


# --- reports as Airflow assets ---------------------------------------------------------------


def consumers_of(dag_id: str) -> tuple[Cadence, ...]:
    """The DAGs built from ``dag_id``'s reports."""
    return tuple(c for c in CADENCES if any(i.dag_id == dag_id for i in c.inputs))


def report_asset(dag_id: str):
    """The Airflow asset that stands for ``dag_id``'s issued reports (``report.json`` and its copy in
    gxq_ops), declared here once: the producer's publish step updates it (gxq.dagkit.publishes),
    its consumers are scheduled on it."""
    # Deferred: the 看板 and the plain pipelines import this module without Airflow.
    from airflow.sdk import Asset

    # An ``x-`` scheme is private: Airflow keeps it as is, without looking for a provider's URI
    # normaliser (which would import the API server's auth models at DAG-parse time).
    return Asset(name=f"gxq_report__{dag_id}", uri=f"x-gxq://reports/{dag_id}", group="gxq_reports")


def partition_key(report_key: str) -> str | None:
    """The asset partition a report of period ``report_key`` is published under: its local moment
    (:func:`gxq.periods.anchor`) as ``%Y-%m-%dT%H:%M:%S``, which a consumer's partition mapper
    turns into its own period (``StartOfMonthMapper``: the month); None when it has no moment."""
    moment = periods.anchor(report_key)
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S")


def inputs_timetable(dag_id: str):
    """A monthly DAG built from other DAGs' reports: Airflow's partitioned asset timetable over the
    reports of its registered inputs, every partition mapped to its month, backfillable by month
    (:class:`gxq.calendar.partitioned.MonthlyInputsTimetable`). A run for month M is created once each
    input has published a report of M (docs/reference.md, 绩效考核)."""
    # Deferred: Airflow's asset timetables, only when a DAG is built.
    from gxq.calendar.partitioned import MonthlyInputsTimetable

    assets = [report_asset(i.dag_id) for i in get(dag_id).inputs if i.dag_id in BY_ID]
    condition = assets[0]
    for asset in assets[1:]:
        condition = condition & asset
    return MonthlyInputsTimetable(assets=condition)


# --- the runs the holiday calendar moved -------------------------------------------------------


def moved_runs(year: int, show_all: bool = False) -> list[str]:
    """Which scheduled runs of ``year`` the holiday calendar moved or skipped, per DAG, with the
    period each covers: ``python -m gxq.cadences moved 2021 [--all]``."""
    # Deferred: the calendar's listing imports the timetables (Airflow), which parsing a DAG file
    # reaches only when a schedule is built.
    from gxq.calendar import moved

    schedules = [(c.dag_id, timetable_for(c.dag_id), lambda d, dag_id=c.dag_id: covers(dag_id, d).key)
                 for c in CADENCES if c.timetable is not None and c.timetable[0] != "cron"]  # working calendar only
    return moved.moved(year, schedules, show_all)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gxq.cadences", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("moved", help="the runs of a year the holiday calendar moved or skipped")
    m.add_argument("year", type=int)
    m.add_argument("--all", action="store_true", help="list every run, not only moved ones")
    args = parser.parse_args(argv)
    from gxq.calendar import workdays  # deferred with the listing (see moved_runs)

    print(f"working calendar of {args.year}: {workdays.source_of(args.year)}")
    print("\n".join(moved_runs(args.year, args.all)))


if __name__ == "__main__":  # pragma: no cover
    main()
