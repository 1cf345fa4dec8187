"""What people read: the bulletin as HTML and Word (official 情况通报 form), an Excel workbook
of its tables, 8-week trend charts (CJK font), and the texts of the notices.

Every text comes from a template in ``include/templates/petitions`` and goes through
``gxq.masking.mask_text`` before it is written.
"""

from __future__ import annotations

from pathlib import Path

from gxq import office, output, templating
from gxq.masking import mask_text
from gxq.office import pyplot, to_png
from gxq.petitions import rules
from gxq.petitions.supervision import OPENED_AS_LABELS, STATE_LABELS

ISSUER = "大连高新区营商环境建设局"
OVERDUE_SHOWN = 100  # rows of the overdue list in the bulletin itself; the workbook has them all
SURGE_CHARTS = 6  # charts of surging topics in the bulletin (the first by excess); the table lists all
NO_STREET = "未注明街道"
SURGE_RULE = (f"与本事项前{rules.SURGE_BASELINE_WEEKS}周的投诉量相比: 本周投诉{rules.SURGE_MIN_COMPLAINTS}件以上,"
              f" 且超过 前{rules.SURGE_BASELINE_WEEKS}周均值 + {rules.SURGE_SIGMAS} × 标准差(标准差不足1按1计),"
              " 无投诉的周按0计")


def render_template(name: str, **ctx) -> str:
    ctx.setdefault("pct", pct)
    ctx.setdefault("targets_line", rules.targets_line())
    ctx.setdefault("target_text", {k: rules.target_text(k) for k in rules.TARGETS})
    return mask_text(templating.render(f"petitions/{name}", **ctx))


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _change(now: int, before: int) -> str:
    if not before:
        return "无可比数据" if not now else "上周为0"
    delta = (now - before) / before
    return f"{'增长' if delta >= 0 else '下降'}{abs(delta) * 100:.1f}%"


def issue_label(report: dict) -> str:
    year, week = report["period"].split("-W")
    return f"{year}年第{int(week)}期({report['start']}至{report['end']})"


def unit_label(code: str | None, names: dict[str, str]) -> str:
    if code is None:
        return "—"
    name = names.get(code)
    return f"{name}({code})" if name and name != code else code


def _below_lines(below: dict, names: dict[str, str]) -> list[str]:
    lines = []
    for metric, units in below.items():
        if units:
            lines.append(
                f"{rules.METRIC_LABELS[metric]}: "
                + "、".join(f"{unit_label(u['unit'], names)} {pct(u['rate'])}" for u in units)
            )
    return lines


def build_context(report: dict, overdue: list[dict], invalid: list[dict], names: dict[str, str]) -> dict:
    """Everything the templates and the workbook show, as plain strings and numbers."""
    r = report
    top_names = {t["topic"] for t in r["top_topics"]}
    surges = r.get("surges") or []
    summary = render_template(
        "summary.txt.j2", r=r, change=_change(r["received"], r["received_prev"]),
        escalated=[s for s in r.get("supervised_items", []) if s["escalated"]],
        excluded_total=sum(r["excluded"].values()),
        surges=surges, surges_outside=[s for s in surges if s["topic"] not in top_names],
    )
    unit_rates = r.get("unit_rates", {})
    units_rows = []
    for u in r["units"]:
        ur = unit_rates.get(u["unit"], {})
        units_rows.append([
            unit_label(u["unit"], names), u["led"], u["feedback_due"], u["feedback_on_time"],
            pct(ur.get("feedback")), u["overdue_open"], u["surveyed"], u["satisfied"], pct(ur.get("satisfaction")),
        ])
    top_rows = [
        [i, t["topic"], t["complaints"], unit_label(t["lead_unit"], names),
         "、".join(unit_label(c, names) for c in t["units"])]
        for i, t in enumerate(r["top_topics"], start=1)
    ]
    sup_rows = [
        [s["topic"], OPENED_AS_LABELS[s.get("opened_as", "top")] + ("(本周突增)" if s.get("surge") else ""),
         unit_label(s["lead_unit"], names), s["opened_week"], s["weeks_open"], STATE_LABELS[s["state"]],
         s["complaints"], s["rank"] or "—", "是" if s["escalated"] else "否"]
        for s in r.get("supervised_items", [])
    ]
    details = {d["topic"]: d for d in r.get("surge_details") or []}
    surge_rows = []
    for i, s in enumerate(surges, start=1):
        d = details.get(s["topic"], {})
        surge_rows.append([
            i, s["topic"], s["complaints"], s["baseline_mean"], s["threshold"],
            "、".join(f"{x['street'] or NO_STREET}{x['complaints']}件" for x in d.get("streets", [])) or "—",
            "、".join(f"{unit_label(x['unit'], names)}{x['complaints']}件" for x in d.get("lead_units", [])) or "—",
            "高频榜内" if s["topic"] in top_names else "突增挂牌",
        ])
    street_rows = [[x["topic"], x["street"], x["complaints"], x["baseline_mean"], x["threshold"]]
                   for x in r.get("street_surges") or []]
    overdue_sorted = sorted(overdue, key=lambda o: (-(o["days_overdue"] or 0), o["petition_id"]))
    overdue_rows = [
        [o["petition_id"], o["topic"] or "", o["street"] or "", unit_label(o["lead_unit"], names),
         o["received_at"] or "", o["feedback_due_at"] or "", o["days_overdue"]]
        for o in overdue_sorted
    ]
    invalid_rows = [[i["petition_id"], rules.REASON_LABELS[i["reason"]], i["reason"]] for i in invalid]
    trend_rows = [
        [t["period"], t["received"], pct(t["dispatch_rate"]), pct(t["feedback_rate"]), pct(t["satisfaction_rate"])]
        for t in r.get("trend", [])
    ]
    ranking = r.get("monthly_ranking")
    ranking_rows = [
        [x["rank"], unit_label(x["unit"], names), x["score"], pct(x["feedback_rate"]), pct(x["satisfaction_rate"]),
         pct(x["dispatch_rate"])]
        for x in (ranking or {}).get("units", [])
    ]
    tables = {
        "units": {"title": "各承办单位", "headers": ["承办单位", "主办受理", "应反馈", "按时反馈", "按时反馈率",
                                                  "超期未反馈", "回访", "满意及基本满意", "满意率"],
                  "rows": units_rows},
        "top_topics": {"title": "高频投诉事项", "headers": ["序号", "诉求事项", "投诉量", "主办单位", "承办单位"],
                       "rows": top_rows},
        "supervised": {"title": "挂牌督办", "headers": ["事项", "挂牌类型", "主办单位", "挂牌周", "已挂牌周数", "状态",
                                                       "本周投诉", "本周排名", "提级督办"],
                       "rows": sup_rows},
        "surges": {"title": "突增事项", "headers": ["序号", "诉求事项", "本周投诉", "前8周均值", "突增阈值", "涉及街道",
                                                   "主办单位", "挂牌督办"],
                   "rows": surge_rows},
        "street_surges": {"title": "街道突增", "headers": ["诉求事项", "街道", "本周投诉", "前8周均值", "突增阈值"],
                          "rows": street_rows},
        "overdue": {"title": "超期未反馈", "headers": ["工单编号", "诉求事项", "街道", "主办单位", "受理时间",
                                                      "反馈时限", "超期天数"],
                    "rows": overdue_rows},
        "invalid": {"title": "数据质量", "headers": ["工单编号", "问题", "代码"], "rows": invalid_rows},
        "trend": {"title": "近8周趋势", "headers": ["周", "受理量", "按时分拨率", "按时反馈率", "满意率"],
                  "rows": trend_rows},
        "ranking": {"title": "月度办件质量排名", "headers": ["名次", "承办单位", "得分", "按时反馈率", "满意率",
                                                          "按时分拨率"],
                    "rows": ranking_rows},
    }
    return {
        "r": r,
        "issue_label": issue_label(r),
        "issuer": ISSUER,
        "issued_on": r.get("issued_on", r["end"]),
        "summary_lines": [line for line in summary.splitlines() if line.strip()],
        "below_week_lines": _below_lines(r.get("below_target", {}).get("week", {}), names),
        "below_ytd_lines": _below_lines(r.get("below_target", {}).get("ytd", {}), names),
        "excluded_lines": [f"{rules.REASON_LABELS[k]} {v}件" for k, v in r["excluded"].items()],
        "invalid_total": len(invalid),
        "overdue_shown": min(len(overdue_rows), OVERDUE_SHOWN),
        "ranking": ranking,
        "surge_rule": SURGE_RULE,
        "surge_charts": [f"surge_{i}" for i in range(1, min(len(surges), SURGE_CHARTS) + 1)],
        "publicity_line": (r.get("publicity") or {}).get("text"),
        "urgent": r.get("urgent"),
        "tables": tables,
    }


def charts(report: dict) -> dict[str, bytes]:
    """近8周趋势: received per week, and the three rates against their targets."""
    plt = pyplot()
    trend = report.get("trend", [])
    labels = [t["period"][5:] for t in trend]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(labels, [t["received"] for t in trend], color="#4472c4")
    ax.set_title("近8周受理量(件)")
    for i, t in enumerate(trend):
        ax.annotate(str(t["received"]), (i, t["received"]), ha="center", va="bottom", fontsize=8)
    received_png = to_png(fig)

    fig, ax = plt.subplots(figsize=(7, 3))
    for metric, color in (("dispatch", "#4472c4"), ("feedback", "#ed7d31"), ("satisfaction", "#70ad47")):
        key = f"{metric}_rate"
        ax.plot(labels, [None if t[key] is None else t[key] * 100 for t in trend], marker="o",
                label=rules.METRIC_LABELS[metric], color=color)
    ax.axhline(rules.TARGETS["satisfaction"] * 100, color="#c00000", linestyle="--", linewidth=1,
               label=f"{rules.METRIC_LABELS['satisfaction']}目标{rules.target_text('satisfaction')}")
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title("近8周按时分拨率、按时反馈率、满意率")
    ax.legend(fontsize=8, loc="lower left")
    rates_png = to_png(fig)
    images = {"trend_received": received_png, "trend_rates": rates_png}
    details = {d["topic"]: d for d in report.get("surge_details") or []}
    for i, s in enumerate((report.get("surges") or [])[:SURGE_CHARTS], start=1):
        images[f"surge_{i}"] = surge_chart(plt, s, details.get(s["topic"], {}).get("weeks", []))
    return images


def surge_chart(plt, surge: dict, weeks: list[dict]) -> bytes:
    """突增: the topic's complaints in the 8 weeks before W and in W (red), against its threshold."""
    labels = [w["period"][5:] for w in weeks]
    counts = [w["complaints"] for w in weeks]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar(labels, counts, color=["#a5a5a5"] * max(len(counts) - 1, 0) + ["#c00000"] * min(len(counts), 1))
    for i, n in enumerate(counts):
        ax.annotate(str(n), (i, n), ha="center", va="bottom", fontsize=8)
    ax.axhline(surge["threshold"], color="#c00000", linestyle="--", linewidth=1,
               label=f"突增阈值 {surge['threshold']}")
    ax.axhline(surge["baseline_mean"], color="#4472c4", linestyle=":", linewidth=1,
               label=f"前8周均值 {surge['baseline_mean']}")
    ax.set_ylim(0, max([*counts, surge["threshold"]]) * 1.2 + 1)
    ax.set_title(f"突增: {surge['topic']}(近9周投诉量, 件)")
    ax.legend(fontsize=8, loc="upper left")
    return to_png(fig)


def html(ctx: dict, images: dict[str, bytes]) -> str:
    """The page; charts are the PNG files beside it (not inlined: base64 could mimic a number)."""
    return render_template("bulletin.html.j2", images={k: f"{k}.png" for k in images}, **ctx)


def docx(ctx: dict, images: dict[str, bytes]) -> bytes:
    """The Word bulletin, laid out by ``bulletin.docx.j2`` (one block per line, :func:`gxq.office.layout_docx`);
    the overdue table shows its first ``OVERDUE_SHOWN`` rows (the workbook has them all)."""
    tables = {name: {"headers": table["headers"],
                     "rows": [[mask_text(str(v)) for v in row]
                              for row in (table["rows"][:OVERDUE_SHOWN] if name == "overdue" else table["rows"])]}
              for name, table in ctx["tables"].items()}
    return office.layout_docx(render_template("bulletin.docx.j2", **ctx), tables, images, source="bulletin.docx.j2",
                              image_width_cm=lambda name: 15 if name.startswith("trend") else 13)


def xlsx(ctx: dict) -> bytes:
    """The workbook for the units: one sheet per table, every row (the full overdue list)."""
    wb = office.workbook()
    summary = wb.active
    summary.title = "概要"
    summary.append(["市民服务平台情况通报", ctx["issue_label"]])
    for line in ctx["summary_lines"]:
        summary.append([line])
    summary.column_dimensions["A"].width = 120
    for name in ("units", "top_topics", "supervised", "surges", "street_surges", "overdue", "invalid", "trend",
                 "ranking"):
        table = ctx["tables"][name]
        if name == "ranking" and not ctx["ranking"]:
            continue
        ws = wb.create_sheet(table["title"])
        ws.append(table["headers"])
        office.bold_row(ws, 1)
        for row in table["rows"]:
            ws.append([mask_text(v) if isinstance(v, str) else v for v in row])
        for i, _ in enumerate(table["headers"]):
            ws.column_dimensions[chr(ord("A") + i)].width = 18
    return office.xlsx_bytes(wb)


def write_files(folder: Path, ctx: dict) -> dict[str, Path]:
    """Write charts, HTML, docx and xlsx atomically; returns their paths by kind."""
    ctx = office.xml_safe(ctx)  # a control character in a topic or unit name must not crash docx/xlsx
    images = charts(ctx["r"])
    files = {}
    for name, data in images.items():
        files[name] = output.write_bytes(folder / f"{name}.png", data)
    files["html"] = output.write_text(folder / "bulletin.html", html(ctx, images))
    files["docx"] = output.write_bytes(folder / "bulletin.docx", docx(ctx, images))
    files["xlsx"] = output.write_bytes(folder / "bulletin.xlsx", xlsx(ctx))
    return files
