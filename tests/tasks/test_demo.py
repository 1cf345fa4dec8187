"""The demo 任务清单 (dept_supervision): every quantified task of the plan, and a year of reports in
which every status, light, escalation and a closed 督办 item appear."""

from __future__ import annotations

import datetime as dt
import random

from gxq.demo import supervision as demo
from gxq.demo import vocab
from gxq.periods import month_period
from gxq.tasks import monthly, rules


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
                "政策兑现大会": 1, "公共卫生服务中心": 1, "在线教育": 1}
    for word, value in expected.items():
        [target] = [t for title, t in by_title.items() if word in title and not (word == "名校" and "校长" in title)]
        assert target.target_value == value, word
        assert target.item.startswith("实事") and target.measure
    codes = {code for code, _ in vocab.UNITS}
    assert {t.unit for t in data.targets} <= codes
    curves = {t.target_id: t.curve for t in data.targets}
    assert curves["T30"] == "milestones" and curves["T24"] == curves["T31"] == "once"
    assert [(m.due_on.isoformat(), m.value) for m in data.milestones] == [("2021-03-31", 1), ("2021-06-30", 2),
                                                                           ("2021-09-30", 3)]
    assert next(t for t in data.targets if "公共卫生服务中心" in t.title).due_on == dt.date(2021, 7, 31)


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
