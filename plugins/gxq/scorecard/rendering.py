"""What people read of the 绩效考核: the office's monthly report (绩效考核月报) as HTML and Word in the
公文 layout, the workbook (总表, one sheet per unit with its deductions, the roll-ups), a chart of
the scores, each unit's own page, and the texts of the notices.

Every text comes from a template in ``include/templates/scorecard`` and goes through
``gxq.masking.mask_text`` before it is written.
"""

from __future__ import annotations

import functools
from pathlib import Path

from gxq import office, output, templating, units
from gxq.masking import mask_text
from gxq.office import pyplot, to_png, xml_safe

ISSUER = "大连高新区营商环境建设局"
REASON_LABELS = {"no_report": "未发布", "not_deployed": "未部署"}


def render_template(name: str, **ctx) -> str:
    return mask_text(templating.render(f"scorecard/{name}", **ctx)) or ""


def num(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"


def signed(value) -> str:
    if value is None:
        return "—"
    return "持平" if value == 0 else f"{value:+.2f}".rstrip("0").rstrip(".")


def title_of(key: str) -> str:
    """2021-06 -> 2021年6月, 2021-Q2 -> 2021年第二季度, 2021 -> 2021年度."""
    if "-Q" in key:
        year, q = key.split("-Q")
        return f"{year}年第{'一二三四'[int(q) - 1]}季度"
    if "-" in key:
        year, month = key.split("-")
        return f"{year}年{int(month)}月"
    return f"{key}年度"


def unit_label(code: str, names: dict[str, str]) -> str:
    return f"{units.short_name(names[code])}（{code}）" if names.get(code) else code


def build_context(report: dict) -> dict:
    names = report.get("unit_names") or {}
    label = functools.partial(unit_label, names=names)
    sources = report["weights"]["sources"]
    rules = report["weights"]["rules"]
    changes = report.get("changes") or {}
    pages = []
    for row in report["units"]:
        lines = report["trace"].get(row["unit"], [])
        by_source = {s: round(sum(d["points"] for d in row["deductions"] if d["source"] == s), 2) for s in sources}
        pages.append({
            "unit": row["unit"], "label": label(row["unit"]), "score": row["score"], "rank": row["rank"],
            "change": changes.get(row["unit"]) or {}, "by_source": by_source,
            "lines": [{**t, "source_label": sources[rules_source(t["rule"])]["label"]} for t in lines],
        })
    missing = [{**m, "reason_label": REASON_LABELS.get(m["reason"], m["reason"])} for m in report["missing_inputs"]]
    source_headers = [sources[s]["label"] for s in sources]
    tables = {
        "ranking": {"headers": ["排名", "单位", "得分", "比上月", "上月排名", *source_headers],
                    "rows": [[p["rank"], p["label"], num(p["score"]), signed(p["change"].get("score_change")),
                              p["change"].get("previous_rank") or "—", *(num(-p["by_source"][s]) if p["by_source"][s] else "0"
                                                                         for s in sources)] for p in pages]},
        "rules": {"headers": ["考核项目", "扣分标准（考核办法原文）", "每项扣分", "本条上限"],
                  "rows": [[sources[r.split(".")[0]]["label"], v["wording"], num(v["points"]), num(v["cap"]) if v["cap"] is not None else "—"]
                           for r, v in rules.items()]},
        "missing": {"headers": ["输入", "任务编号", "期间", "情况"],
                    "rows": [[sources[m["source"]]["label"], m["dag_id"], m["period"], m["reason_label"]] for m in missing]},
    }
    for r in report.get("rollups") or []:
        tables[f"rollup_{r['period']}"] = {
            "headers": ["排名", "单位", "平均得分", *(m[5:] + "月" for m in r["months"]), "累计扣分"],
            "rows": [[u["rank"], label(u["unit"]), num(u["score"]), *(num(u["months"].get(m)) for m in r["months"]),
                      num(u["deductions"])] for u in r["units"]]}
    for p in pages:
        tables[f"unit_{p['unit']}"] = {
            "headers": ["考核项目", "扣分事项", "依据", "扣分", "考核办法"],
            "rows": [[t["source_label"], t["item"], t["detail"], num(t["points"]) + ("（已达上限）" if t["capped"] else ""),
                      t["wording"]] for t in p["lines"]]}
    ctx = {
        "r": report, "title_period": title_of(report["period"]), "issuer": ISSUER, "pages": pages, "missing": missing,
        "tables": tables, "num": num, "signed": signed, "title_of": title_of, "unit_label": label,
        "sources": sources, "rollups": report.get("rollups") or [],
        "lowest": [p for p in pages if p["rank"] == pages[-1]["rank"]] if pages else [],
        "full_marks": [p for p in pages if p["score"] == report["full_score"]],
    }
    return ctx


def rules_source(rule_id: str) -> str:
    return rule_id.split(".", 1)[0]


def scores_chart(ctx: dict) -> bytes | None:
    """各单位得分: a bar per unit (lowest at the bottom), the previous month's score marked."""
    pages = ctx["pages"]
    if not pages:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.35 * len(pages) + 1)))
    labels = [p["label"] for p in reversed(pages)]
    ax.barh(labels, [p["score"] for p in reversed(pages)], color="#4472c4", label="本月得分")
    prev = [(i, p["change"].get("previous_score")) for i, p in enumerate(reversed(pages))]
    prev = [(i, v) for i, v in prev if v is not None]
    if prev:
        ax.scatter([v for _, v in prev], [i for i, _ in prev], color="#c00000", marker="|", s=200, label="上月得分", zorder=3)
    low = min(p["score"] for p in pages)
    ax.set_xlim(max(0, min(low, *(v for _, v in prev)) - 10) if prev else max(0, low - 10), ctx["r"]["full_score"])
    ax.set_title(f"各单位绩效考核得分（{ctx['title_period']}）")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return to_png(fig)


def html(ctx: dict, images: dict[str, bytes]) -> str:
    return render_template("report.html.j2", images={k: f"{k}.png" for k in images}, **ctx)


def unit_html(ctx: dict, page: dict) -> str:
    return render_template("unit.html.j2", page=page, **ctx)


def docx(ctx: dict, images: dict[str, bytes]) -> bytes:
    tables = {name: {"headers": t["headers"], "rows": [[mask_text(str(v)) for v in row] for row in t["rows"]]}
              for name, t in ctx["tables"].items()}
    return office.layout_docx(render_template("report.docx.j2", **ctx), tables, images, source="report.docx.j2")


def xlsx(ctx: dict) -> bytes:
    """总表 (ranking), 扣分标准, one sheet per unit with its deductions, the roll-ups, missing inputs."""
    wb = office.workbook()
    wb.remove(wb.active)

    def sheet(title: str, table: dict, widths=None):
        ws = wb.create_sheet(title[:31])
        ws.append(table["headers"])
        office.bold_row(ws, 1)
        for values in table["rows"]:
            ws.append([mask_text(v) if isinstance(v, str) else v for v in values])
        for i, _ in enumerate(table["headers"]):
            ws.column_dimensions[chr(ord("A") + i)].width = (widths or {}).get(i, 16)

    sheet("总表", ctx["tables"]["ranking"])
    for p in ctx["pages"]:
        sheet(f"{p['unit']} {p['label'].split('（')[0]}", ctx["tables"][f"unit_{p['unit']}"], {1: 24, 2: 48, 4: 48})
    for r in ctx["rollups"]:
        sheet(f"{title_of(r['period'])}考核", ctx["tables"][f"rollup_{r['period']}"])
    sheet("扣分标准", ctx["tables"]["rules"], {1: 60})
    if ctx["missing"]:
        sheet("缺少输入", ctx["tables"]["missing"])
    return office.xlsx_bytes(wb)


def write_files(folder: Path, report: dict) -> dict[str, str]:
    """Chart, HTML, docx, xlsx and each unit's page (``units/<code>.html``); their paths by kind."""
    ctx = xml_safe(build_context(report))
    chart = scores_chart(ctx)
    images = {"scores": chart} if chart else {}
    files = {name: output.write_bytes(folder / f"{name}.png", data) for name, data in images.items()}
    files["report_html"] = output.write_text(folder / "scorecard.html", html(ctx, images))
    files["report_docx"] = output.write_bytes(folder / "scorecard.docx", docx(ctx, images))
    files["report_xlsx"] = output.write_bytes(folder / "scorecard.xlsx", xlsx(ctx))
    for page in ctx["pages"]:
        files[f"unit_{page['unit']}"] = output.write_text(folder / "units" / f"{page['unit']}.html", unit_html(ctx, page))
    return {k: str(v) for k, v in files.items()}
