"""Who is told what (通知) by ``assessment_rectification``, built from the report and templates.

- ``office`` (营商环境建设局): the week's 整改通报 (Word, HTML) and the 整改台账 workbook;
- each unit in ``reminders``: a 催办 notice naming its overdue findings (contract);
- ``office``: a 督办 notice for the ``escalated`` findings, overdue 30 days or more (contract);
- each unit with a finding due in the coming week and not rectified: a 临期提醒 naming them (one
  week's warning; the weekly windows do not overlap, so a finding is warned once);
- ``office``: a note of the findings units reported rectified this week, waiting for its
  验收销号 (each finding in the week its rectified_on falls in);
- ``ops``: the data problems, when there are any.

A notice's idempotency key is (DAG, week, recipient, kind): a rerun of the week sends nothing twice.
"""

from __future__ import annotations

from gxq.assessment import render
from gxq.notify import Notice

OFFICE = "office"
OPS = "ops"


def build(dag_id: str, report: dict, paths: dict[str, str] | None = None, names: dict[str, str] | None = None
          ) -> list[Notice]:
    ctx = render.build_context(report, names)
    title = ctx["title_period"]
    common = {"title_period": title, "as_of": report["as_of"], "round_label": ctx["round_label"],
              "unit_label": ctx["unit_label"], "escalate_days": ctx["escalate_days"]}
    attachments = [paths[k] for k in ("report_docx", "report_html", "ledger_xlsx") if paths and k in paths]
    notices = [Notice(
        OFFICE, "rectification_report", f"营商环境评估问题整改通报（{title}）",
        render.render_template("office.md.j2", attached=bool(attachments), **ctx), attachments=attachments,
    )]
    escalated = set(report["escalated"])
    for unit in report["reminders"]:
        findings = [d for d in ctx["overdue"] if d["unit"] == unit]
        notices.append(Notice(
            unit, "rectification_reminder", f"催办：{ctx['unit_label'](unit)} 评估问题整改逾期（{title}）",
            render.render_template("reminder_unit.md.j2", unit=ctx["unit_label"](unit), findings=findings,
                                   escalated=[d["finding_id"] for d in findings if d["finding_id"] in escalated],
                                   **common),
        ))
    if report["escalated"]:
        notices.append(Notice(
            OFFICE, "rectification_escalation",
            f"督办：评估问题逾期{ctx['escalate_days']}天以上未整改 {len(report['escalated'])} 项（{title}）",
            render.render_template("escalation_office.md.j2", findings=ctx["escalated"], **common),
        ))
    for unit in sorted({d["unit"] for d in ctx["due_soon"]}):
        notices.append(Notice(
            unit, "rectification_due_soon", f"临期提醒：{ctx['unit_label'](unit)} 评估问题整改时限将至（{title}）",
            render.render_template("due_soon_unit.md.j2", unit=ctx["unit_label"](unit),
                                   findings=[d for d in ctx["due_soon"] if d["unit"] == unit], **common),
        ))
    if report["reported_rectified"]:
        notices.append(Notice(
            OFFICE, "rectification_reported",
            f"待验收销号：本周新报整改完成的评估问题 {len(report['reported_rectified'])} 项（{title}）",
            render.render_template("reported_office.md.j2", findings=ctx["reported"],
                                   awaiting=len(report["awaiting_verification"]), **common),
        ))
    if report["data_problems"]:
        notices.append(Notice(
            OPS, "rectification_data_problems",
            f"{dag_id} {report['period']} 数据问题 {len(report['data_problems'])} 项",
            render.render_template("data_problems_ops.md.j2", dag_id=dag_id, period_key=report["period"],
                                   problems=report["data_problems"]),
        ))
    return notices
