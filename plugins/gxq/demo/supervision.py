"""Demo rows of ``dept_supervision`` (督查考核): the plan's 任务清单 and the units' monthly reports.

Every quantified task of the 2021 plan (大连高新区2021年优化营商环境工作实施方案) that the
repository knows is a row of ``plan_targets`` with the plan's heading (实事…), responsible unit,
measure, target and deadline; where the plan gives a range (3–4次) the lower bound is the target.
The headings follow the plan's order: 实事一 is 三轮再提升 (the third-party assessment, one round by
03-31, two by 06-30, three by 09-30: ``milestones``), 实事十一 稳就业 holds 全年组织线上线下招聘活动.
What the plan asks as a level rather than a count (最多跑1次 100%, 零跑动/容缺受理 ≥ 60%) is the
percentage the unit reports, due by 12-31 (``once``: judged at the deadline, the level reported
each month); so are the single deliverables (政策兑现大会 年内, 公共卫生服务中心投入使用, 海创周, 工作
手册). Tasks with dates beyond the year (the schools: 2021, 2022年9月, 2023) are ``milestones``;
every other task runs ``linear`` over the year (the 100家企业现场走访 by 06-30). Rows marked
``# unchecked`` carry a heading or figure the repository could not check against the plan's text.

Each unit reports its cumulative figure once a month (``plan_progress``). The figures follow a
fixed profile per task, so that every status of ``plan_task_tracking`` appears during the year:
tasks ahead of 序时进度 (completed early), on track, a little behind (yellow), far behind (red,
escalated the month after), recovering (a supervised item opened, then closed), slipping (green,
then red), reported late (unreported in the month, reported early the next), a task left short of
its deadline (overdue), a same-day correction (the larger value counts) and a report dated on the
month's last day. Units are codes of the demo's unit directory (:data:`gxq.demo.vocab.UNITS`).
Nothing here is random: the rows are the same whatever the seed. In a rolling window the plan's
year moves with it (:meth:`gxq.demo.window.Window.shift`) and no report is dated on or after the
extraction day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

from . import assessment
from .window import DEMO_YEAR, Window

YEAR = 2021
START = date(YEAR, 1, 1)
END = date(YEAR, 12, 31)

# The plan's headings (实事): 一 and 十一 as the plan names them; the others' numbers and short names
# are the repository's reading of the plan's order (# unchecked).
H01 = "实事一 三轮再提升"
H02 = "实事二 政务服务"  # unchecked
H03 = "实事三 百家企业现场谈"  # unchecked
H04 = "实事四 政策兑现"  # unchecked
H05 = "实事五 聚人才"  # unchecked
H06 = "实事六 强技能"  # unchecked
H07 = "实事七 办好教育"  # unchecked
H08 = "实事八 健康高新"  # unchecked
H09 = "实事九 城市管理"  # unchecked
H10 = "实事十 生态宜居与基础设施"  # unchecked
H11 = "实事十一 稳就业"

# (target_id, item, title, unit, measure, target, due_on, curve, profile), in the order of the headings
TASKS: list[tuple[str, str, str, str, str, float, date, str, str]] = [
    ("T30", H01, "开展三轮营商环境评估", "U13", "轮", 3, date(YEAR, 9, 30), "milestones", "rounds"),
    ("T32", H02, "“最多跑1次”事项占比", "U13", "%", 100, END, "once", "level"),
    ("T33", H02, "“零跑动”及容缺受理事项占比", "U13", "%", 60, END, "once", "level"),
    ("T13", H03, "6月底前完成100家企业现场走访(百家企业现场谈)", "U13", "家", 100, date(YEAR, 6, 30), "linear", "short"),
    ("T14", H03, "召开营商环境监督员座谈会", "U13", "次", 2, END, "linear", "ahead"),
    ("T15", H03, "举办营商环境专题讲座", "U13", "次", 3, END, "linear", "steady"),
    ("T16", H03, "开展营商环境业务培训", "U13", "次", 10, END, "linear", "corrected"),
    ("T17", H03, "开展营商环境研讨活动", "U13", "次", 5, END, "linear", "late"),
    ("T34", H03, "编制营商环境工作手册", "U13", "本", 1, END, "once", "once"),  # unchecked due date
    ("T31", H04, "召开政策兑现大会", "U22", "次", 1, END, "once", "once"),
    ("T04", H05, "引进紧缺急需人才", "U21", "名", 200, END, "linear", "troubled"),
    ("T05", H05, "引进海外创新创业团队(海创团队)", "U21", "个", 10, END, "linear", "steady"),
    ("T06", H05, "推荐市政府特殊津贴专家", "U21", "名", 10, END, "linear", "recovering"),
    ("T07", H05, "推荐辽宁省百千万人才工程专家", "U21", "名", 15, END, "linear", "steady"),
    ("T08", H05, "评选优秀企业家", "U13", "名", 5, END, "linear", "ahead"),
    ("T09", H05, "推荐国务院特殊津贴专家", "U21", "名", 2, END, "linear", "late"),
    ("T10", H05, "新招收博士后研究人员", "U21", "名", 10, END, "linear", "lagging"),
    ("T35", H05, "举办海创周(海外学子创业周)", "U21", "届", 1, END, "once", "once"),  # unchecked due date
    ("T11", H06, "开展职业技能培训", "U04", "人次", 10000, END, "linear", "slipping"),
    ("T12", H06, "职业技能提升补贴惠及", "U04", "人次", 20000, END, "linear", "steady"),
    ("T18", H07, "培养区级名师", "U05", "名", 100, END, "linear", "steady"),
    ("T19", H07, "培养区级名校长", "U05", "名", 10, END, "linear", "lagging"),
    ("T20", H07, "创建区级名校", "U05", "所", 10, END, "linear", "ahead"),
    ("T21", H07, "新建改扩建公办幼儿园", "U05", "所", 2, END, "linear", "recovering"),
    ("T22", H07, "引进在线教育机构", "U05", "家", 1, END, "linear", "ahead"),
    ("T36", H07, "新建学校投入使用(2021年、2022年9月、2023年各1所)", "U05", "所", 3, date(2023, 12, 31),
     "milestones", "schools"),  # unchecked: one school at each of the plan's three dates
    ("T23", H08, "建设母婴小屋", "U23", "家", 3, END, "linear", "steady"),  # unchecked heading
    ("T24", H08, "公共卫生服务中心投入使用", "U06", "个", 1, date(YEAR, 7, 31), "once", "once_late"),
    ("T25", H09, "新建公厕", "U02", "座", 13, END, "linear", "slipping"),
    ("T26", H09, "建设厨余垃圾处理站", "U07", "座", 2, END, "linear", "troubled"),
    ("T38", H09, "改造背街小巷", "U02", "条", 20, END, "linear", "lagging"),  # unchecked figure
    ("T27", H10, "绿地提升", "U01", "平方米", 14000, END, "linear", "steady"),
    ("T28", H10, "节点绿地微改造", "U01", "平方米", 42000, END, "linear", "lagging"),
    ("T29", H10, "桥梁加固", "U01", "座", 11, END, "linear", "recovering"),
    ("T37", H10, "建设污水处理厂", "U12", "座", 3, END, "linear", "steady"),
    ("T39", H10, "新建改造道路", "U01", "条", 10, END, "linear", "ahead"),  # unchecked figure
    ("T01", H11, "全年组织线上线下招聘活动", "U04", "场", 50, END, "linear", "ahead"),
    ("T02", H11, "开展企业用工服务", "U04", "家次", 1500, END, "linear", "steady"),
    ("T03", H11, "吸引高校毕业生来区就业", "U04", "名", 2000, END, "linear", "lagging"),
]

MILESTONES = {
    "T30": [(date(YEAR, 3, 31), 1), (date(YEAR, 6, 30), 2), (date(YEAR, 9, 30), 3)],
    "T36": [(date(YEAR, 12, 31), 1), (date(2022, 9, 30), 2), (date(2023, 12, 31), 3)],
}

# ``once`` deliverables: the day each is done (政策兑现大会 in spring, the 公共卫生服务中心 late).
ONCE_DONE = {"T24": date(YEAR, 8, 12), "T31": date(YEAR, 4, 26), "T34": date(YEAR, 5, 20),
             "T35": date(YEAR, 7, 9)}
# Levels the unit reports each month (January first), in per cent.
LEVELS = {
    "T32": [86, 88, 90, 92, 93, 95, 96, 97, 98, 99, 100, 100],
    "T33": [32, 35, 38, 42, 45, 48, 50, 53, 55, 57, 58, 61],
}
# Pace of the cumulative figure against 序时进度, month by month (January first).
PACES = {
    "ahead": [1.35] * 12,
    "steady": [1.1] * 12,
    "lagging": [0.9] * 12,
    "troubled": [0.5, 0.45, 0.5, 0.55, 0.6, 0.6, 0.62, 0.65, 0.66, 0.7, 0.72, 0.75],
    "recovering": [0.45, 0.45, 0.5, 0.6, 0.8, 0.95, 1.05, 1.1, 1.12, 1.12, 1.12, 1.12],
    "slipping": [1.15, 1.15, 1.1, 1.05, 0.9, 0.75, 0.7, 0.72, 0.75, 0.8, 0.82, 0.85],
    "late": [1.2] * 12,
    "corrected": [1.15] * 12,
    "short": [1.1, 1.1, 1.05, 1.0, 0.98, 0.92] + [0.92] * 6,
}
LATE_MONTHS = {"T09": (3, 8), "T17": (5, 10)}  # reported on the 2nd of the next month instead
CORRECTED_MONTH = 6  # T16: a same-day correction (the larger value counts)


def _last_day(month: int) -> date:
    return date(YEAR, month, calendar.monthrange(YEAR, month)[1])


def _fraction(day: date, due: date) -> float:
    return min(1.0, ((day - START).days + 1) / ((due - START).days + 1))


def _report_day(index: int, month: int) -> date:
    if (index + month) % 5 == 0:
        return _last_day(month)  # on as_of itself
    return _last_day(month) - timedelta(days=1 + (index * 3 + month) % 6)


def _reports(index: int, task: tuple) -> list[tuple[date, float]]:
    tid, _item, _title, _unit, _measure, target, due, curve, profile = task
    out: list[tuple[date, float]] = []
    if profile == "level":
        return [(_report_day(index, month), float(LEVELS[tid][month - 1])) for month in range(1, 13)]
    if profile == "schools":  # the first school opens for the autumn term, reported in September
        return [(_report_day(index, month), 0.0 if month < 9 else 1.0) for month in range(1, 13)]
    if curve == "once":
        done = ONCE_DONE[tid]
        for month in range(1, 13):
            day = _report_day(index, month)
            out.append((day, target if day >= done else 0))
            if day < done <= _last_day(month):
                out.append((done, target))
        return out
    if profile == "rounds":  # one round late: the second is reported on 07-05, after its milestone
        return [(date(YEAR, 1, 25), 0), (date(YEAR, 2, 24), 0), (date(YEAR, 3, 31), 1), (date(YEAR, 4, 26), 1),
                (date(YEAR, 5, 25), 1), (date(YEAR, 6, 25), 1), (date(YEAR, 7, 5), 2), (date(YEAR, 8, 25), 2),
                (date(YEAR, 9, 28), 3), (date(YEAR, 10, 26), 3), (date(YEAR, 11, 25), 3), (date(YEAR, 12, 24), 3)]
    pace = PACES[profile]
    best = 0.0
    for month in range(1, 13):
        day = _report_day(index, month)
        value = min(target * 1.05, target * _fraction(day, due) * pace[month - 1])
        if profile == "short":
            value = min(value, target * 0.92)  # 百家企业现场谈: 92 of 100 by the deadline
        value = max(best, float(round(value)))
        best = value
        if month in LATE_MONTHS.get(tid, ()):
            day = _last_day(month) + timedelta(days=2)
        out.append((day, value))
        if profile == "corrected" and month == CORRECTED_MONTH:
            out.append((day, max(0.0, value - 1)))  # the first, mistaken figure of the day
    return out


def generate(rng, scale: float = 1.0, window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    del rng, scale  # the plan's task list is fixed; so are its reports

    def day(d: date) -> str:
        return window.shift(d).isoformat()

    for tid, item, title, unit, measure, target, due, curve, _profile in TASKS:
        yield "plan_targets", (tid, item, title, unit, measure, target, day(START), day(due), curve)
    for tid, rows in MILESTONES.items():
        for due, value in rows:
            yield "plan_milestones", (tid, day(due), value)
    extracted = window.snapshot.date()
    for index, task in enumerate(TASKS):
        tid, measure = task[0], task[4]
        for reported, value in _reports(index, task):
            if window.shift(reported) >= extracted:
                continue  # not reported yet at the extraction
            shown = int(value) if float(value).is_integer() else value
            yield "plan_progress", (tid, day(reported), value, f"累计完成{shown}{measure}")
    # 三轮营商环境评估: rounds, indicators, scores and findings (gxq.demo.assessment)
    yield from assessment.generate(window)
