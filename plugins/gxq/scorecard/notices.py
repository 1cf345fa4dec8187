"""Who is told what (通知) by the 绩效考核:

- ``office`` (营商环境建设局): the month's report (Word, HTML) and the workbook;
- each scored unit: its own page (score, rank, change, every deduction with its reason);
- ``ops``: the inputs missing, when any (then, unless ``allow_missing``, nothing goes to the office
  or the units: an incomplete scorecard is not issued to them).
"""

from __future__ import annotations

from gxq.notify import Notice
from gxq.scorecard import rendering as render

OFFICE = "office"
OPS = "ops"


def build(dag_id: str, report: dict, paths: dict[str, str], allow_missing: bool = False) -> list[Notice]:
    ctx = render.build_context(report)
    title = ctx["title_period"]
    notices = []
    if report["missing_inputs"]:
        notices.append(Notice(
            OPS, "scorecard_missing_inputs", f"{dag_id} {report['period']} 缺少输入 {len(report['missing_inputs'])} 项",
            render.render_template("missing_ops.md.j2", dag_id=dag_id, period=report["period"], allow_missing=allow_missing,
                                   **{k: v for k, v in ctx.items() if k != "r"}, r=report),
        ))
        if not allow_missing:
            return notices
    notices.append(Notice(
        OFFICE, "scorecard_office", f"营商环境建设绩效考核月报（{title}）", render.render_template("office.md.j2", **ctx),
        attachments=[paths["report_docx"], paths["report_html"], paths["report_xlsx"]],
    ))
    for page in ctx["pages"]:
        notices.append(Notice(
            page["unit"], "scorecard_unit", f"{page['label']} 绩效考核（{title}）：{render.num(page['score'])} 分，第 {page['rank']} 名",
            render.render_template("unit.md.j2", page=page, **ctx),
            attachments=[paths[f"unit_{page['unit']}"]],
        ))
    return notices
