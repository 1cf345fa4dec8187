"""Who is told what (通知) by ``plan_task_tracking``, built from the report and templates.

- ``office`` (营商环境建设局): the month's report (Word and HTML) and the workbook of every target;
- each unit in ``reminders``: a 催办 notice naming its red and yellow targets, what is due by now
  and what its run rate forecasts for the deadline;
- ``office``: a 督办 notice for the ``escalated`` targets (red this month and the month before);
- ``ops``: the data problems, when there are any.
"""

from __future__ import annotations

from gxq.notify import Notice
from gxq.tracking import render

OFFICE = "office"
OPS = "ops"


def build(dag_id: str, report: dict, paths: dict[str, str]) -> list[Notice]:
    ctx = render.build_context(report)
    title = ctx["title_period"]
    notices = [Notice(
        OFFICE, "task_tracking", f"任务清单督查月报（{title}）", render.render_template("office.md.j2", **ctx),
        attachments=[paths["report_docx"], paths["report_html"], paths["targets_xlsx"]],
    )]
    for unit in report["reminders"]:
        targets = [d for d in ctx["attention"] if d["unit"] == unit]
        notices.append(Notice(
            unit, "task_reminder", f"催办：{ctx['unit_label'](unit)} 任务清单进度（{title}）",
            render.render_template(
                "reminder_unit.md.j2", unit=ctx["unit_label"](unit), targets=targets, title_period=title, as_of=report["as_of"],
                unreported=[d["target_id"] for d in targets if d["status"] == "unreported"],
                escalated=[d["target_id"] for d in targets if d["target_id"] in report["escalated"]]),
        ))
    if report["escalated"]:
        opened = {s["target_id"]: s["opened_period"] for s in report["supervision"]}
        notices.append(Notice(
            OFFICE, "task_escalation", f"督办：连续两个月红灯的任务 {len(report['escalated'])} 项（{title}）",
            render.render_template("escalation_office.md.j2", targets=ctx["escalated"], opened=opened,
                                   unit_label=ctx["unit_label"],
                                   title_period=title, as_of=report["as_of"]),
        ))
    if report["data_problems"]:
        notices.append(Notice(
            OPS, "task_data_problems", f"{dag_id} {report['period']} 数据问题 {len(report['data_problems'])} 项",
            render.render_template("data_problems_ops.md.j2", dag_id=dag_id, period_key=report["period"],
                                   problems=report["data_problems"]),
        ))
    return notices
