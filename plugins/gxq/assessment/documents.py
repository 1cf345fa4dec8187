"""The documents of ``assessment_rectification``: the weekly 整改通报 as HTML and Word in the 公文
layout of the other reports, a chart of every indicator's score and city rank across rounds, and
the 整改台账 workbook (one row per finding with its state as of the week, an autofilter on every
column so a reader filters by round, unit or indicator).

Every text comes from a template in ``include/templates/assessment`` (or the report's own values)
and is masked (``gxq.masking.mask_text``) before it is written.
"""

from __future__ import annotations

from pathlib import Path

from gxq import office, output
from gxq.assessment import render, rules
from gxq.masking import mask_text
from gxq.office import pyplot, to_png, xml_safe

STATE_FILLS = {"逾期未整改": "F4CCCC", "已整改待验收": "FFF2CC", "已验收销号": "D9EAD3"}
ROUND_COLOURS = ("#9dc3e6", "#4472c4", "#1f3864", "#7f7f7f")


def _yes(value) -> str:
    return {True: "是", False: "否"}.get(value, "")


def tables(ctx: dict) -> dict:
    """The tables of the 通报 and the workbook: ``{name: {"title", "headers", "rows"}}``."""
    r, label, rlabel = ctx["r"], ctx["unit_label"], ctx["round_label"]
    ledger_headers = ["问题编号", "评估轮次", "指标编号", "指标", "责任单位", "问题", "整改时限", "整改完成日期",
                      "验收销号日期", f"状态（截至{r['as_of']}）", "逾期天数", "按期整改", "督办"]

    def ledger_row(d: dict) -> list:
        return [d["finding_id"], rlabel(d["round"]), d["indicator_code"], d["indicator"] or "", label(d["unit"]),
                d["problem"] or "", d["due_on"], d["rectified_on"] or "", d["verified_on"] or "", d["state_label"],
                d["days_overdue"] if d["days_overdue"] is not None else "", _yes(d["on_time"]),
                "是" if d["escalated"] else ""]

    round_keys = [x["round"] for x in r["rounds"]]
    return {
        "rounds": {"title": "各轮整改情况", "headers": ["评估轮次", "问题数", "已整改", "已验收销号", "逾期未整改", "销号率"],
                   "rows": [[rlabel(x["round"]), x["findings"], x["rectified"], x["verified"], x["overdue"],
                             "—" if x["closure_rate"] is None else f"{x['closure_rate'] * 100:.1f}%"]
                            for x in r["rounds"]]},
        "overdue": {"title": "逾期未整改问题", "headers": ["问题编号", "评估轮次", "指标", "责任单位", "问题", "整改时限",
                                                     "逾期天数", "督办"],
                    "rows": [[d["finding_id"], rlabel(d["round"]), d["indicator"] or d["indicator_code"],
                              label(d["unit"]), d["problem"] or "", d["due_on"], d["days_overdue"],
                              "是" if d["escalated"] else ""] for d in ctx["overdue"]]},
        "awaiting": {"title": "已整改待验收销号", "headers": ["问题编号", "评估轮次", "指标", "责任单位", "问题",
                                                       "整改时限", "整改完成日期"],
                     "rows": [[d["finding_id"], rlabel(d["round"]), d["indicator"] or d["indicator_code"],
                               label(d["unit"]), d["problem"] or "", d["due_on"], d["rectified_on"]]
                              for d in ctx["awaiting"]]},
        "indicators": {"title": "指标得分和全市排名",
                       "headers": ["指标编号", "指标", "责任单位", *(f"{rlabel(k)}得分" for k in round_keys),
                                   "变化", "最近一轮全市排名", "全市前列"],
                       "rows": [[t["indicator_code"], t["name"] or "", label(t["unit"]),
                                 *(t["scores"].get(k, "") for k in round_keys),
                                 "—" if i["change"] is None else f"{i['change']:+.2f}",
                                 "—" if i["city_rank"] is None else
                                 f"{i['city_rank']}/{t['districts']}" if t["districts"] else i["city_rank"],
                                 {True: "是", False: "否", None: "—"}[i["target_met"]]]
                                for t, i in zip(r["indicator_trends"], r["indicators"], strict=True)]},
        "ledger": {"title": "整改台账", "headers": ledger_headers,
                   "rows": [ledger_row(d) for d in r["finding_details"]]},
        "problems": {"title": "数据问题", "headers": ["对象", "问题", "详情"],
                     "rows": [[p["subject"], p["label"], p["detail"]] for p in r["data_problems"]]},
    }


# --- chart -----------------------------------------------------------------------------------


def indicators_chart(ctx: dict) -> bytes | None:
    """各指标历轮得分（柱）和全市排名（点，1 在上，前3名为全市前列）; None without a scored indicator."""
    r = ctx["r"]
    trends = r["indicator_trends"]
    if not trends:
        return None
    plt = pyplot()
    rounds = [x["round"] for x in r["rounds"] if any(x["round"] in t["scores"] for t in trends)]
    names = [t["name"] or t["indicator_code"] for t in trends]
    xs = list(range(len(trends)))
    width = 0.8 / max(1, len(rounds))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for n, key in enumerate(rounds):
        offset = (n - (len(rounds) - 1) / 2) * width
        colour = ROUND_COLOURS[n % len(ROUND_COLOURS)]
        label = ctx["round_label"](key)
        top.bar([x + offset for x in xs], [t["scores"].get(key, 0) for t in trends], width, color=colour, label=label)
        ranked = [(x + offset, t["ranks"].get(key)) for x, t in zip(xs, trends) if t["ranks"].get(key) is not None]
        if ranked:
            bottom.plot([p for p, _ in ranked], [v for _, v in ranked], "o", color=colour, label=label)
    top.set_ylabel("得分")
    top.set_ylim(0, 112)  # headroom for the legend above the bars (scores are 0–100)
    top.set_yticks(range(0, 101, 20))
    top.set_title(f"营商环境提升指标历轮得分和全市排名（截至{r['as_of']}）")
    top.legend(fontsize=8, ncol=len(rounds), loc="upper center")
    districts = max((t["districts"] for t in trends if isinstance(t["districts"], int)), default=10)
    bottom.axhspan(0.5, rules.TARGET_RANK + 0.5, color="#d9ead3", label=f"全市前列（前{rules.TARGET_RANK}名）")
    bottom.set_ylim(districts + 3, 0.5)  # rank 1 on top; room below the last rank for the legend
    bottom.set_yticks(range(1, districts + 1))
    bottom.set_ylabel("全市排名")
    bottom.legend(fontsize=8, ncol=len(rounds) + 1, loc="lower center")
    bottom.set_xticks(xs)
    bottom.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    fig.tight_layout()
    return to_png(fig)


# --- documents -------------------------------------------------------------------------------


def html(ctx: dict, images: dict[str, bytes]) -> str:
    """The page; the chart is the PNG file beside it."""
    return render.render_template("rectification.html.j2", images={k: f"{k}.png" for k in images}, **ctx)


def docx(ctx: dict, images: dict[str, bytes]) -> bytes:
    """The Word 通报, laid out by ``rectification.docx.j2`` (:func:`gxq.office.layout_docx`)."""
    masked = {name: {"headers": t["headers"], "rows": [[mask_text(str(v)) for v in row] for row in t["rows"]]}
              for name, t in ctx["tables"].items()}
    return office.layout_docx(render.render_template("rectification.docx.j2", **ctx), masked, images,
                              source="rectification.docx.j2", image_width_cm=lambda name: 16)


def xlsx(ctx: dict) -> bytes:
    """整改台账 first (autofilter, frozen header), then rounds, overdue, awaiting, indicators, problems."""
    wb = office.workbook()
    wb.remove(wb.active)
    widths = {"问题": 48, "指标": 22, "责任单位": 24}
    for name in ("ledger", "rounds", "overdue", "awaiting", "indicators", "problems"):
        office.table_sheet(wb, ctx["tables"][name], fills=STATE_FILLS, widths=widths, width=14, filtered=True)
    return office.xlsx_bytes(wb)


def write_files(folder: Path, report: dict, names: dict[str, str] | None = None) -> dict[str, str]:
    """Chart, HTML, docx and xlsx (each written atomically); their paths by kind."""
    ctx = render.build_context(report, names)
    ctx["tables"] = tables(ctx)
    ctx = xml_safe(ctx)  # a control character in a problem's text must not crash docx/xlsx
    chart = indicators_chart(ctx)
    images = {"indicators": chart} if chart else {}
    files = {name: output.write_bytes(folder / f"{name}.png", data) for name, data in images.items()}
    files["report_html"] = output.write_text(folder / "rectification.html", html(ctx, images))
    files["report_docx"] = output.write_bytes(folder / "rectification.docx", docx(ctx, images))
    files["ledger_xlsx"] = output.write_bytes(folder / "ledger.xlsx", xlsx(ctx))
    return {k: str(v) for k, v in files.items()}
