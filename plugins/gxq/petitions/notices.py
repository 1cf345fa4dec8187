"""Who gets what (通知对象): the office the whole bulletin, each unit its own part, ``ops`` the
quarantined rows, the office the escalated supervised items. Texts from templates; the outbox
(``gxq.notify``) masks, records, dedupes and sends."""

from __future__ import annotations

from gxq.notify import Notice
from gxq.petitions import render as r
from gxq.petitions import rules
from gxq.petitions.supervision import ESCALATE_AFTER_WEEKS


def build_notices(report: dict, overdue: list[dict], invalid: list[dict], names: dict[str, str],
                  files: dict[str, str]) -> list:
    ctx = r.build_context(report, overdue, invalid, names)
    label = ctx["issue_label"]
    attachments = [files[k] for k in ("docx", "xlsx", "html") if k in files]
    notices = [Notice(
        recipient="office", kind="bulletin", subject=f"市民服务平台情况通报 {label}",
        body=r.render_template("office_notice.txt.j2", **ctx), attachments=attachments, format="text",
    )]
    items = report.get("supervised_items", [])
    ytd_rates = report.get("ytd", {}).get("unit_rates", {})
    for row in report["units"]:
        code = row["unit"]
        rates = report.get("unit_rates", {}).get(code, {})
        block = {k: {"rate": rates.get(k)} for k in rules.TARGETS}
        ytd = {k: {"rate": ytd_rates.get(code, {}).get(k)} for k in rules.TARGETS}
        below = [rules.METRIC_LABELS[k] for k, target in rules.TARGETS.items()
                 if rates.get(k) is not None and rates[k] < target]
        body = r.render_template(
            "unit_notice.txt.j2", unit=code, unit_name=names.get(code, code), issue_label=label, row=row,
            rates=block, ytd=ytd, below=below,
            items=[it for it in items if it["lead_unit"] == code],
            overdue=sorted((o for o in overdue if o["lead_unit"] == code),
                           key=lambda o: (-(o["days_overdue"] or 0), o["petition_id"])),
        )
        notices.append(Notice(recipient=code, kind="unit_bulletin", subject=f"市民服务平台情况通报 {label}(本单位)",
                              body=body, attachments=[files["xlsx"]] if "xlsx" in files else [], format="text"))
    escalated = [dict(it, lead_name=r.unit_label(it["lead_unit"], names)) for it in items if it["escalated"]]
    if escalated:
        notices.append(Notice(
            recipient="office", kind="escalation", subject=f"挂牌督办提级督办 {label}",
            body=r.render_template("escalation.txt.j2", issue_label=label, items=escalated,
                                   weeks=ESCALATE_AFTER_WEEKS),
            format="text",
        ))
    if invalid:
        notices.append(Notice(
            recipient="ops", kind="quarantine", subject=f"市民服务平台数据质量提示 {label}",
            body=r.render_template("quarantine.txt.j2", issue_label=label, invalid=invalid,
                                   excluded=report["excluded"], labels=rules.REASON_LABELS),
            format="text",
        ))
    return notices
