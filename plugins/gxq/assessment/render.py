"""What people read of ``assessment_rectification``: the texts of the notices and the context the
documents share (labels, summary lines, tables).

Every text comes from a template in ``include/templates/assessment`` and goes through
``gxq.masking.mask_text`` before it is written.
"""

from __future__ import annotations

import functools

from gxq import templating, units
from gxq.assessment import rules
from gxq.masking import mask_text

ISSUER = "大连高新区营商环境建设局"
ORDINALS = "一二三四五六七八九十"


def render_template(name: str, **ctx) -> str:
    return mask_text(templating.render(f"assessment/{name}", **ctx)) or ""


def week_title(report: dict) -> str:
    """2021年第27周 (the documents add the days: 整改情况截至 as_of)."""
    year, week = report["period"].split("-W")
    return f"{year}年第{int(week)}周"


def unit_label(code: str | None, names: dict[str, str]) -> str:
    """营商环境建设局（U13）: the unit's name from the directory, the code when it has none."""
    if not code:
        return "—"
    return f"{units.short_name(names[code])}（{code}）" if names.get(code) else code


def round_label(key: str, order: list[str]) -> str:
    """第二轮（2021年6月）: the round's place among the counted rounds and the month assessed."""
    year, month = key.split("-")[:2]
    place = order.index(key) if key in order else -1
    prefix = f"第{ORDINALS[place]}轮" if 0 <= place < len(ORDINALS) else "评估"
    return f"{prefix}（{year}年{int(month)}月）"


def build_context(report: dict, names: dict[str, str] | None = None) -> dict:
    """Everything the templates and documents show. ``names``: the unit directory (read from
    ``dept_petitions.units`` when not given; codes when unreadable)."""
    names = units.unit_names() if names is None else names
    label = functools.partial(unit_label, names=names)
    order = [r["round"] for r in report["rounds"]]
    rlabel = functools.partial(round_label, order=order)
    details = {d["finding_id"]: d for d in report["finding_details"]}
    overdue = [details[f["finding_id"]] for f in report["findings_overdue"]]
    below = [t for t in report["indicator_trends"] if t["ranks"] and t["ranks"][max(t["ranks"])] is not None
             and t["ranks"][max(t["ranks"])] > rules.TARGET_RANK]
    scored = [i for i in report["indicators"] if i["target_met"] is not None]
    ctx = {
        "r": report,
        "title_period": week_title(report),
        "issuer": ISSUER,
        "unit_label": label,
        "round_label": rlabel,
        "escalate_days": rules.ESCALATE_DAYS,
        "target_rank": rules.TARGET_RANK,
        "total": sum(x["findings"] for x in report["rounds"]),
        "rectified": sum(x["rectified"] for x in report["rounds"]),
        "verified": sum(x["verified"] for x in report["rounds"]),
        "reminded": [label(u) for u in report["reminders"]],
        "overdue": overdue,
        "escalated": [details[f] for f in report["escalated"]],
        "awaiting": [details[f] for f in report["awaiting_verification"]],
        "due_soon": [details[f] for f in report["due_soon"]],
        "reported": [details[f] for f in report["reported_rectified"]],
        "below": [t["name"] or t["indicator_code"] for t in below],
        "below_rows": below,
        "scored": len(scored),
        "met": sum(1 for i in scored if i["target_met"]),
    }
    ctx["closure"] = (round(ctx["verified"] / ctx["total"], 4) if ctx["total"] else None)
    ctx["summary_lines"] = [line for line in render_template("summary.txt.j2", **ctx).splitlines() if line.strip()]
    return ctx
