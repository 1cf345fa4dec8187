"""Who is told what (通知): notices of 月评价 and 季调度, built from the reports and templates.

Monthly: the office (营商局) gets the scorecard (HTML and Excel attached); each responsible unit
gets its own projects' lights; ``ops`` gets the data problems, when there are any.
Quarterly: the office gets the agenda (Word and HTML attached); each unit with dispatched projects
gets its own list; each project red for the whole quarter gets a 督办函 notice to its unit (the
office when it has none) with the letter attached; ``ops`` gets the data problems.
"""

from __future__ import annotations

from gxq.innovation import render, rules
from gxq.notify import Notice

OFFICE = "office"
OPS = "ops"


def _problems_notice(dag_id: str, report: dict) -> list[Notice]:
    problems = report.get("data_problems") or []
    if not problems:
        return []
    body = render.render_template("data_problems_ops.md.j2", dag_id=dag_id, period_key=report["period"],
                                  problems=problems)
    return [Notice(OPS, "innovation_data_problems", f"{dag_id} {report['period']} 数据问题 {len(problems)} 项", body)]


def monthly_notices(dag_id: str, report: dict, paths: dict[str, str]) -> list[Notice]:
    title = render.month_title(report["period"])
    notices = [Notice(
        OFFICE, "innovation_scorecard", f"自创区重大项目月评价记分卡（{title}）",
        render.render_template("monthly_office.md.j2", r=report, c=report["comparison"], title_period=title),
        attachments=[paths["scorecard_html"], paths["scorecard_xlsx"]],
    )]
    details = {d["project_id"]: d for d in report["project_details"]}
    ranking = {u["unit"]: u for u in report["unit_ranking"]}
    for row in report["units"]:
        unit = row["unit"]
        projects = [{**details[p["project_id"]], **p} for p in report["projects"] if p["responsible_unit"] == unit]
        notices.append(Notice(
            unit, "innovation_monthly", f"{unit}：自创区重大项目月评价（{title}）",
            render.render_template("monthly_unit.md.j2", unit=unit, row=row, projects=projects, title_period=title,
                                   rank=ranking.get(unit), rank_total=len(ranking),
                                   bad=row["red"] + row["unreported"] > 0),
        ))
    unassigned = [{**details[p["project_id"]], **p} for p in report["projects"] if p["responsible_unit"] is None]
    if unassigned:
        row = {"unit": None, **rules.count_statuses(rules.ProjectStatus(p["project_id"], None, None, p["status"], None)
                                                    for p in unassigned)}
        notices.append(Notice(
            OFFICE, "innovation_monthly_unassigned", f"未明确责任单位的重大项目月评价（{title}）",
            render.render_template("monthly_unit.md.j2", unit="未明确责任单位（请营商局协调）", row=row,
                                   projects=unassigned, title_period=title, rank=None, rank_total=0,
                                   bad=row["red"] + row["unreported"] > 0),
        ))
    return notices + _problems_notice(dag_id, report)


def quarterly_notices(dag_id: str, report: dict, paths: dict[str, str]) -> list[Notice]:
    ctx = render.quarter_context(report, report["month_counts"])
    title = ctx["title_period"]
    notices = [Notice(
        OFFICE, "innovation_agenda", f"自创区重大项目季度调度会议程（{title}）",
        render.render_template("quarterly_office.md.j2", **ctx),
        attachments=[paths["agenda_docx"], paths["agenda_html"]],
    )]
    for group in ctx["r"]["agenda"]:
        unit = group["unit"]
        letters = [p["project_id"] for p in group["projects"] if p["supervision_letter"]]
        label = unit or "未明确责任单位（请营商局协调）"
        notices.append(Notice(
            unit or OFFICE, "innovation_dispatch" if unit else "innovation_dispatch_unassigned",
            f"{label}：自创区重大项目季度调度（{title}）",
            render.render_template("quarterly_unit.md.j2", unit_label=label, projects=group["projects"],
                                   months=report["months"], letters=letters, **ctx),
        ))
    details = {d["project_id"]: d for d in report["dispatch_details"]}
    for pid in report["supervision_letters"]:
        p = details[pid]
        notices.append(Notice(
            p["responsible_unit"] or OFFICE, f"supervision_letter:{pid}", f"督办函：{pid} {p['name'] or ''}".strip(),
            render.render_template("supervision_notice.md.j2", p=p, title_period=title),
            attachments=[paths[f"letter:{pid}"]],
        ))
    return notices + _problems_notice(dag_id, report)
