"""What people read of ``plan_task_tracking``: the office report (任务清单督查月报) as HTML and Word in
the 公文 layout of the bulletin, an Excel workbook of every target, a burn-up chart per red target
(序时进度 curve vs reported actuals, CJK font), and the texts of the notices.

Every text comes from a template in ``include/templates/tracking`` and goes through
``gxq.masking.mask_text`` before it is written.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from gxq import office, output, templating, units
from gxq.masking import mask_text
from gxq.office import pyplot, to_png, xml_safe
from gxq.tracking import rules
from gxq.tracking.supervision import STATE_LABELS

ISSUER = "大连高新区营商环境建设局"
LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2}
LIGHT_SHORT = {"green": "绿", "yellow": "黄", "red": "红", None: "—"}


def render_template(name: str, **ctx) -> str:
    ctx.setdefault("num", num)
    return mask_text(templating.render(f"tracking/{name}", **ctx)) or ""


def num(value) -> str:
    """A figure as people write it: whole numbers without decimals, else two decimals."""
    if value is None:
        return "—"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def month_title(key: str) -> str:
    year, month = key.split("-")
    return f"{year}年{int(month)}月"


def _history_line(item: dict) -> str:
    return " ".join(f"{h['period'][5:]}月{LIGHT_SHORT.get(h['light'], '—')}" for h in item["history"])


def unit_label(code: str | None, names: dict[str, str]) -> str:
    """人力资源和社会保障局（U04）: the unit's name from the directory, the code when it has none."""
    if not code:
        return "—"
    return f"{units.short_name(names[code])}（{code}）" if names.get(code) else code


def build_context(report: dict, names: dict[str, str] | None = None) -> dict:
    """Everything the templates and the workbook show, as plain strings and numbers. ``names``:
    the unit directory (read from ``dept_petitions.units`` when not given; codes when unreadable)."""
    names = units.unit_names() if names is None else names
    label = functools.partial(unit_label, names=names)
    details = {d["target_id"]: d for d in report["target_details"]}
    attention = sorted((d for d in report["target_details"] if d["light"] != "green"),
                       key=lambda d: (d["unit"] or "", LIGHT_ORDER[d["light"]], d["target_id"]))
    by_unit: dict[str, list[dict]] = {}
    for d in attention:
        by_unit.setdefault(d["unit"], []).append(d)
    supervision = [{**s, "title": (details.get(s["target_id"]) or {}).get("title") or s["target_id"],
                    "history_line": _history_line(s)} for s in report["supervision"]]
    escalated = [details[t] for t in report["escalated"]]
    target_row = ("责任单位", "任务编号", "所属实事", "任务", "计量单位", "全年目标", "截止日期", "序时进度(应完成)",
                  "实际完成", "状态", "灯", "按当前进度预计完成", "到期难完成")

    def row(d: dict) -> list:
        return [label(d["unit"]), d["target_id"], d["item"] or "", d["title"] or "", d["measure"] or "", num(d["target_value"]),
                d["due_on"], num(d["expected"]), num(d["actual"]), d["status_label"], d["light_label"],
                num(d["forecast"]), "是" if d["at_risk"] else ""]

    tables = {
        "units": {"title": "各单位红黄绿灯", "headers": ["责任单位", "绿灯", "黄灯", "红灯"],
                  "rows": [[label(u["unit"]), u["green"], u["yellow"], u["red"]] for u in report["units"]]},
        "attention": {"title": "红黄灯任务", "headers": list(target_row), "rows": [row(d) for d in attention]},
        "escalated": {"title": "连续两月红灯(督办)", "headers": ["任务编号", "责任单位", "任务", "状态", "应完成", "实际完成"],
                      "rows": [[d["target_id"], label(d["unit"]), d["title"] or "", d["status_label"], num(d["expected"]),
                                num(d["actual"])] for d in escalated]},
        "supervision": {"title": "督办事项跟踪", "headers": ["任务编号", "责任单位", "任务", "挂牌月份", "状态", "已督办(月)",
                                                          "历程"],
                        "rows": [[s["target_id"], label(s["unit"]), s["title"], s["opened_period"], s["state_label"],
                                  s["months_open"], s["history_line"]] for s in supervision]},
        "problems": {"title": "数据问题", "headers": ["对象", "问题", "详情"],
                     "rows": [[p["subject"], p["label"], p["detail"]] for p in report["data_problems"]]},
        "all": {"title": "全部任务", "headers": list(target_row),
                "rows": [row(d) for d in sorted(report["target_details"], key=lambda d: d["target_id"])]},
    }
    ctx = {
        "r": report,
        "title_period": month_title(report["period"]),
        "issuer": ISSUER,
        "total": len(report["targets"]),
        "by_unit": by_unit,
        "unit_label": label,
        "reminded": [label(u) for u in report["reminders"]],
        "attention": attention,
        "escalated": escalated,
        "supervision": supervision,
        "opened": [s for s in supervision if s["state"] == "opened"],
        "closed": [s for s in supervision if s["state"] == "closed"],
        "red_charts": [d["target_id"] for d in report["target_details"] if d["light"] == "red"],
        "tables": tables,
        "state_labels": STATE_LABELS,
        "light_labels": rules.LIGHT_LABELS,
    }
    ctx["summary_lines"] = [line for line in render_template("summary.txt.j2", **ctx).splitlines() if line.strip()]
    return ctx


# --- charts ----------------------------------------------------------------------------------


def burn_up_chart(detail: dict) -> bytes:
    """燃尽(累计)图: the 序时进度 curve from the start to the deadline against the reported actuals."""
    plt = pyplot()
    points = detail["burn_up"]
    start = dt.date.fromisoformat(points["start_on"])
    fig, ax = plt.subplots(figsize=(6.5, 3))
    xs = [start, *(dt.date.fromisoformat(d) for d, _ in points["expected"])]
    ys = [0, *(v for _, v in points["expected"])]
    # linear: a ramp; milestones and once: steps (the amount is due from its date on)
    ax.plot(xs, ys, color="#4472c4", linestyle="--", marker=".", label="序时进度(应完成)",
            drawstyle="default" if detail["curve"] == "linear" else "steps-post")
    if points["reported"]:
        ax.plot([dt.date.fromisoformat(d) for d, _ in points["reported"]], [v for _, v in points["reported"]],
                color="#c00000", marker="o", label="报送累计完成")
    ax.axhline(detail["target_value"], color="#888888", linewidth=0.8, label=f"目标 {num(detail['target_value'])}")
    ax.axvline(dt.date.fromisoformat(detail["due_on"]), color="#888888", linestyle=":", linewidth=0.8)
    ax.set_title(f"{detail['target_id']} {detail['title'] or ''}({detail['measure'] or ''})"[:40])
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return to_png(fig)


def charts(report: dict) -> dict[str, bytes]:
    return {f"burnup_{d['target_id']}": burn_up_chart(d) for d in report["target_details"] if d["light"] == "red"}


# --- documents -------------------------------------------------------------------------------


def html(ctx: dict, images: dict[str, bytes]) -> str:
    """The page; charts are the PNG files beside it."""
    return render_template("tracking.html.j2", images={k: f"{k}.png" for k in images}, **ctx)


def docx(ctx: dict, images: dict[str, bytes]) -> bytes:
    """The Word report, laid out by ``tracking.docx.j2`` (one block per line, :func:`gxq.office.layout_docx`)."""
    tables = {name: {"headers": table["headers"], "rows": [[mask_text(str(v)) for v in row] for row in table["rows"]]}
              for name, table in ctx["tables"].items()}
    return office.layout_docx(render_template("tracking.docx.j2", **ctx), tables, images, source="tracking.docx.j2")


def xlsx(ctx: dict) -> bytes:
    """Every target (one row each), the red and yellow ones, units, supervision, data problems."""
    fills = {"红灯": "F4CCCC", "黄灯": "FFF2CC", "绿灯": "D9EAD3"}
    wb = office.workbook()
    wb.remove(wb.active)
    for name in ("all", "attention", "units", "escalated", "supervision", "problems"):
        office.table_sheet(wb, ctx["tables"][name], fills=fills)
    return office.xlsx_bytes(wb)


def write_files(folder: Path, report: dict) -> dict[str, str]:
    """Charts, HTML, docx and xlsx (each written atomically); their paths by kind."""
    ctx = xml_safe(build_context(report))  # a control character in a title must not crash docx/xlsx
    images = charts(report)
    files = {name: output.write_bytes(folder / f"{name}.png", data) for name, data in images.items()}
    files["report_html"] = output.write_text(folder / "tracking.html", html(ctx, images))
    files["report_docx"] = output.write_bytes(folder / "tracking.docx", docx(ctx, images))
    files["targets_xlsx"] = output.write_bytes(folder / "targets.xlsx", xlsx(ctx))
    return {k: str(v) for k, v in files.items()}
