"""The demo 任务清单 (dept_supervision): every quantified task of the plan, and a year of reports in
which every status, light, escalation and a closed 督办 item appear."""

from __future__ import annotations

import datetime as dt
import random

from gxq.demo import supervision as demo
from gxq.demo import vocab
from gxq.periods import month_period
from gxq.tracking import monthly, rules


def _data() -> rules.TaskData:
    rows = list(demo.generate(random.Random(1)))
    day = dt.date.fromisoformat
    return rules.TaskData(
        [rules.Target(r[0], r[1], r[2], r[3], r[4], r[5], day(r[6]), day(r[7]), r[8]) for t, r in rows
         if t == "plan_targets"],
        [rules.Milestone(r[0], day(r[1]), r[2]) for t, r in rows if t == "plan_milestones"],
        [rules.Report(r[0], day(r[1]), r[2], r[3]) for t, r in rows if t == "plan_progress"])


def test_the_plans_tasks_with_owners_from_the_unit_directory():
    data = _data()
    by_title = {t.title: t for t in data.targets}
    expected = {"招聘活动": 50, "用工服务": 1500, "高校毕业生": 2000, "紧缺急需人才": 200, "海创团队": 10,
                "市政府特殊津贴": 10, "百千万": 15, "优秀企业家": 5, "国务院特殊津贴": 2, "博士后": 10,
                "职业技能培训": 10000, "补贴惠及": 20000, "百家企业现场谈": 100, "监督员座谈会": 2, "专题讲座": 3,
                "业务培训": 10, "研讨活动": 5, "名师": 100, "名校长": 10, "名校": 10, "幼儿园": 2, "母婴小屋": 3,
                "公厕": 13, "厨余垃圾": 2, "绿地提升": 14000, "微改造": 42000, "桥梁加固": 11, "三轮营商环境评估": 3,
                "政策兑现大会": 1, "公共卫生服务中心": 1, "在线教育": 1, "最多跑1次": 100, "零跑动": 60,
                "海创周": 1, "工作手册": 1, "污水处理厂": 3, "背街小巷": 20, "道路": 10, "新建学校": 3}
    for word, value in expected.items():
        [target] = [t for title, t in by_title.items() if word in title and not (word == "名校" and "校长" in title)]
        assert target.target_value == value, word
        assert target.item.startswith("实事") and target.measure
    assert len(data.targets) == len(expected)  # every task of the demo is one the plan quantifies
    codes = {code for code, _ in vocab.UNITS}
    assert {t.unit for t in data.targets} <= codes
    curves = {t.target_id: t.curve for t in data.targets}
    assert curves["T30"] == curves["T36"] == "milestones"
    assert curves["T24"] == curves["T31"] == curves["T32"] == curves["T33"] == "once"
    milestones = [(m.target_id, m.due_on.isoformat(), m.value) for m in data.milestones]
    assert [m[1:] for m in milestones if m[0] == "T30"] == [("2021-03-31", 1), ("2021-06-30", 2), ("2021-09-30", 3)]
    # the schools: one in 2021, one by 2022年9月, one in 2023
    assert [m[1:] for m in milestones if m[0] == "T36"] == [("2021-12-31", 1), ("2022-09-30", 2), ("2023-12-31", 3)]
    assert next(t for t in data.targets if "公共卫生服务中心" in t.title).due_on == dt.date(2021, 7, 31)


def test_every_target_under_the_plans_heading_and_date():
    """实事一 is the plan's 三轮再提升 (the assessment rounds), 实事十一 its 稳就业 (招聘活动); the
    政策兑现大会 is due within the year (年内); the percentage levels are judged at 12-31."""
    by_id = {t.target_id: t for t in _data().targets}
    assert by_id["T30"].item == "实事一 三轮再提升"
    assert by_id["T01"].item == "实事十一 稳就业" and by_id["T01"].title == "全年组织线上线下招聘活动"
    assert by_id["T31"].item == "实事四 政策兑现" and by_id["T31"].due_on == dt.date(2021, 12, 31)
    assert by_id["T23"].item == "实事八 健康高新"
    assert by_id["T25"].title == "新建公厕" and (by_id["T25"].target_value, by_id["T25"].measure) == (13, "座")
    assert by_id["T13"].due_on == dt.date(2021, 6, 30) and by_id["T13"].target_value == 100
    for tid, level in (("T32", 100), ("T33", 60)):
        t = by_id[tid]
        assert (t.measure, t.target_value, t.due_on, t.curve) == ("%", level, dt.date(2021, 12, 31), "once")
    # no heading is used out of the plan's order: the headings' numbers rise with the list
    numerals = "一二三四五六七八九十"
    def number(item):
        word = item.split()[0].removeprefix("实事")
        return numerals.index(word) + 1 if len(word) == 1 else 10 + (numerals.index(word[1]) + 1 if len(word) > 1 else 0)
    headings = {t.item for t in by_id.values()}
    assert sorted(number(h) for h in headings) == list(range(1, len(headings) + 1))


def test_levels_are_judged_at_the_deadline():
    """A percentage level (最多跑1次, 零跑动/容缺受理) is on track all year, then completed or overdue."""
    data = _data()
    june = {t["target_id"]: t for t in monthly.build_report(month_period(2021, 6), data)["targets"]}
    assert june["T33"]["status"] == "on_track" and june["T33"]["expected"] == 0
    december = {t["target_id"]: t for t in monthly.build_report(month_period(2021, 12), data)["targets"]}
    assert december["T32"]["status"] == december["T33"]["status"] == "completed"
    assert december["T33"]["actual"] == 61


def test_a_year_of_reports_shows_every_status():
    data = _data()
    statuses, lights, escalated, states = set(), set(), set(), set()
    for m in range(1, 13):
        report = monthly.build_report(month_period(2021, m), data)
        assert report["data_problems"] == []
        statuses |= {t["status"] for t in report["targets"]}
        lights |= {t["light"] for t in report["targets"]}
        escalated |= set(report["escalated"])
        states |= {s["state"] for s in report["supervision"]}
    assert statuses == set(rules.STATUSES)
    assert lights == set(rules.LIGHTS)
    assert escalated and states == {"opened", "open", "closed"}
