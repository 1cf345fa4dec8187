"""What people read (阅读材料): the monthly 记分卡 (scorecard, HTML and Excel, with charts), the
quarterly 调度会议程 (agenda, Word and HTML) and the 督办函 (supervision letters, Word).

Every text comes from a template in ``include/templates/innovation/`` and goes through
:func:`gxq.masking.mask_text`. The agenda and letters are written once in a small line markup
(``# `` title, ``## `` / ``### `` headings, ``- `` bullets, ``| a | b |`` table rows) that is
rendered both to Word and to HTML, so the two never drift apart. Import lazily (inside tasks).
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

from gxq import office, output, templating
from gxq.innovation import rules
from gxq.masking import mask_text
from gxq.units import short_name, unit_names

CN_NUMBERS = "一二三四"
REASON_LABELS = {"last_month": "季度末月红灯或未报送", "two_months": "两个及以上月份红灯或未报送"}
LIGHT_COLOURS = {"green": "2E9B4A", "yellow": "E0A800", "red": "D62F2F", "unreported": "888888"}
LABEL_STATUS = {label: status for status, label in rules.STATUS_LABELS.items()}


def render_template(name: str, **context) -> str:
    """A template of include/templates/innovation, masked (no personal data ever leaves unmasked)."""
    context.setdefault("labels", rules.STATUS_LABELS)
    return mask_text(templating.render(f"innovation/{name}", **context)) or ""


def month_title(key: str) -> str:
    year, month = key.split("-")
    return f"{year}年{int(month)}月"


def quarter_title(key: str) -> str:
    year, q = key.split("-Q")
    return f"{year}年第{CN_NUMBERS[int(q) - 1]}季度"


# --- charts ----------------------------------------------------------------------------------------


def trend_chart(report: dict) -> bytes:
    """综合得分走势: the composite score of each month of the year so far."""
    plt = office.pyplot()
    points = report["composite_trend"]
    labels = [f"{int(p['period'][5:])}月" for p in points]
    values = [p["composite_score"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    xs = list(range(len(points)))
    known = [(x, v) for x, v in zip(xs, values) if v is not None]
    if known:
        ax.plot([x for x, _ in known], [v for _, v in known], marker="o", color="#b22222")
        for x, v in known:
            ax.annotate(f"{v:.2f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.axhline(100, color="#999", linestyle="--", linewidth=0.8)
    ax.set_xticks(xs, labels)
    ax.set_ylabel("综合得分")
    ax.set_title(f"{report['period'][:4]}年自创区发展评价综合得分走势")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    return office.to_png(fig)


def _label(code: str, names: dict[str, str]) -> str:
    """A unit's name for a chart axis, wrapped every 6 characters (the code when unnamed)."""
    name = short_name(names.get(code, code))
    return "\n".join(name[i:i + 6] for i in range(0, len(name), 6))


def units_chart(report: dict, names: dict[str, str] | None = None) -> bytes:
    """各责任单位红黄绿灯数量: stacked bars per unit, labelled with the units' names."""
    plt = office.pyplot()
    units = report["units"]
    names = names or {}
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(units) + 2), 3.8))
    labels = [_label(u["unit"], names) for u in units]
    bottom = [0] * len(units)
    for status in rules.STATUSES:
        values = [u[status] for u in units]
        ax.bar(labels, values, bottom=bottom, color="#" + LIGHT_COLOURS[status], label=rules.STATUS_LABELS[status])
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("项目数")
    ax.set_title(f"{month_title(report['period'])}各责任单位红黄绿灯数量")
    ax.legend(ncol=4, fontsize=8, loc="upper right")
    ax.set_ylim(0, max(bottom + [1]) * 1.25)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return office.to_png(fig)


# --- monthly scorecard ------------------------------------------------------------------------------


def _scorecard_rows(report: dict, names: dict[str, str] | None = None
                    ) -> tuple[list[dict], list[dict], list[dict]]:
    names = names or {}
    comparison = report["comparison"]
    details = {d["project_id"]: d for d in report["project_details"]}
    up, down, new_red = set(comparison["up"]), set(comparison["down"]), set(comparison["new_red"])
    previous_status = comparison.get("previous_statuses", {})
    projects = []
    for p in report["projects"]:
        pid = p["project_id"]
        change = "转好" if pid in up else "转差" if pid in down else ""
        if pid in new_red:
            change = (change + " 新增红灯").strip()
        unit = p["responsible_unit"]
        projects.append({**details.get(pid, {}), **p, "previous": previous_status.get(pid), "change": change,
                         "unit_name": names.get(unit, unit) if unit else None})
    ranking = {u["unit"]: u for u in report["unit_ranking"]}
    unit_change = {u["unit"]: u["change"] for u in comparison["units"]}
    units = sorted(({**u, **ranking[u["unit"]], "change": unit_change[u["unit"]],
                     "unit_name": names.get(u["unit"], u["unit"])} for u in report["units"]),
                   key=lambda u: (u["rank"], u["unit"]))
    previous_completion = {i["indicator_code"]: i["previous"] for i in comparison["indicators"]}
    details_i = {d["indicator_code"]: d for d in report["indicator_details"]}
    indicators = [{**details_i.get(i["indicator_code"], {}), **i, "previous": previous_completion.get(i["indicator_code"])}
                  for i in report["indicators"]]
    return projects, units, indicators


def scorecard_html(report: dict, chart_png: dict[str, bytes], names: dict[str, str] | None = None) -> str:
    projects, units, indicators = _scorecard_rows(report, names)
    return render_template(
        "scorecard.html.j2",
        r=report, c=report["comparison"], title_period=month_title(report["period"]),
        statuses=rules.STATUSES, projects=projects, units=units, indicators=indicators,
        problems=report["data_problems"], rules=list(rules.DATA_PROBLEM_RULES.items()),
        charts={k: base64.b64encode(v).decode() for k, v in chart_png.items()},
        green_max=rules.GREEN_MAX_GAP, yellow_max=rules.YELLOW_MAX_GAP, cap=rules.COMPLETION_CAP,
    )


def scorecard_xlsx(report: dict, chart_png: dict[str, bytes], names: dict[str, str] | None = None) -> bytes:
    # openpyxl is deferred to this task (gxq.office says why)
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill

    projects, units, indicators = _scorecard_rows(report, names)
    # masked, and without the control characters openpyxl refuses (department text may hold them)
    m = lambda v: office.xml_safe(mask_text(v)) if isinstance(v, str) else v
    wb = office.workbook()

    def sheet(title: str, header: list[str], rows: list[list], status_col: int | None = None, ws=None):
        ws = ws or wb.create_sheet(title)
        ws.title = title
        ws.append([f"{month_title(report['period'])} 自创区重大项目月评价 — {title}"])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(header)
        office.bold_row(ws, 2, fill="EEEEEE")
        for row in rows:
            ws.append([m(v) for v in row])
            if status_col is not None:
                cell = ws.cell(row=ws.max_row, column=status_col + 1)
                status = LABEL_STATUS.get(cell.value)
                if status:
                    cell.fill = PatternFill("solid", fgColor=LIGHT_COLOURS[status])
                    cell.font = Font(bold=True, color="222222" if status == "yellow" else "FFFFFF")
                    cell.alignment = Alignment(horizontal="center")
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col[1:]) if len(col) > 1 else 8
            ws.column_dimensions[col[0].column_letter].width = min(max(8, width * 1.6 + 2), 60)
        ws.freeze_panes = "A3"
        return ws

    labels = rules.STATUS_LABELS
    sheet("红黄绿灯", ["项目编号", "项目名称", "责任单位", "计划进度%", "实际进度%", "进度差", "评价", "上月", "变化"],
          [[p["project_id"], p.get("name"), p["unit_name"] or "（未明确）", p.get("plan_progress_pct"),
            p.get("actual_progress_pct"), p["gap"], labels[p["status"]],
            labels.get(p["previous"], "未纳入") if p["previous"] else "未纳入", p["change"]] for p in projects],
          status_col=6, ws=wb.active)
    sheet("单位排名", ["名次", "责任单位", "项目数", "绿灯", "黄灯", "红灯", "未报送", "得分", "红灯环比", "未报送环比"],
          [[u["rank"], u["unit_name"], u["projects"], u["green"], u["yellow"], u["red"], u["unreported"], u["score"],
            u["change"]["red"], u["change"]["unreported"]] for u in units])
    sheet("指标完成率", ["指标代码", "指标名称", "权重", "累计完成", "序时目标", "完成率", "上月完成率"],
          [[i["indicator_code"], i.get("name"), i.get("weight"), i.get("value_ytd"), i.get("target_to_date"),
            i["completion"], i["previous"]] for i in indicators])
    summary = sheet("综合得分", ["月份", "综合得分"],
                    [[p["period"], p["composite_score"]] for p in report["composite_trend"]])
    for key, anchor in (("trend", "D2"), ("units", "D22")):
        if key in chart_png:
            image = Image(io.BytesIO(chart_png[key]))
            image.anchor = anchor
            summary.add_image(image)
    sheet("数据问题", ["问题", "类型", "月份", "对象", "说明", "处理规则"],
          [[d["label"], d["kind"], d["month"], d["subject"], d["detail"], d["rule_zh"]]
           for d in report["data_problems"]])
    return office.xlsx_bytes(wb)


def write_scorecard(dag_id: str, report: dict) -> dict[str, str]:
    """scorecard.html, scorecard.xlsx and the two chart PNGs; returns their paths by name."""
    folder = output.period_dir(dag_id, report["period"])
    names = unit_names()
    chart_png = {"trend": trend_chart(report), "units": units_chart(report, names)}
    paths = {
        "trend_chart": output.write_bytes(folder / "composite_trend.png", chart_png["trend"]),
        "units_chart": output.write_bytes(folder / "unit_lights.png", chart_png["units"]),
        "scorecard_html": output.write_text(folder / "scorecard.html", scorecard_html(report, chart_png, names)),
        "scorecard_xlsx": output.write_bytes(folder / "scorecard.xlsx", scorecard_xlsx(report, chart_png, names)),
    }
    return {k: str(v) for k, v in paths.items()}


# --- line markup -> Word / HTML ----------------------------------------------------------------------


def parse_markup(text: str) -> list[tuple[str, object]]:
    """Blocks of the line markup: (kind, payload) with kind title/h2/h3/bullet/table/para."""
    blocks: list[tuple[str, object]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(cells)
            else:
                blocks.append(("table", [cells]))
        elif line.startswith("### "):
            blocks.append(("h3", line[4:]))
        elif line.startswith("## "):
            blocks.append(("h2", line[3:]))
        elif line.startswith("# "):
            blocks.append(("title", line[2:]))
        elif line.startswith("- "):
            blocks.append(("bullet", line[2:]))
        else:
            blocks.append(("para", line))
    return blocks


def _cell_status(text: str) -> str | None:
    for label, status in LABEL_STATUS.items():
        if text.startswith(label):
            return status
    return None


def markup_to_docx(text: str) -> bytes:
    # python-docx is deferred to this task (gxq.office says why)
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    text = office.xml_safe(text)  # XML (docx) cannot hold control characters
    document = office.document(size_pt=11)

    for kind, payload in parse_markup(text):
        if kind == "title":
            para = document.add_heading(payload, level=0)
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "h2":
            document.add_heading(payload, level=1)
        elif kind == "h3":
            document.add_heading(payload, level=2)
        elif kind == "bullet":
            document.add_paragraph(payload, style="List Bullet")
        elif kind == "para":
            document.add_paragraph(payload)
        else:
            rows = payload
            width = max(len(r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            table.style = "Table Grid"
            for i, cells in enumerate(rows):
                for j, value in enumerate(cells):
                    cell = table.cell(i, j)
                    cell.text = value
                    run = cell.paragraphs[0].runs[0] if cell.paragraphs[0].runs else None
                    if run is None:
                        continue
                    run.font.size = Pt(9.5)
                    if i == 0:
                        run.font.bold = True
                        office.shade(cell, "EEEEEE")
                    elif (status := _cell_status(value)) is not None:
                        office.shade(cell, LIGHT_COLOURS[status])
                        run.font.bold = True
                        run.font.color.rgb = RGBColor.from_string("222222" if status == "yellow" else "FFFFFF")
    return office.docx_bytes(document)


def markup_to_html(text: str, title: str) -> str:
    parts = []
    for kind, payload in parse_markup(text):
        if kind == "table":
            rows = payload
            head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
            body = []
            for cells in rows[1:]:
                tds = []
                for c in cells:
                    status = _cell_status(c)
                    cls = f' class="light-cell {status}"' if status else ""
                    tds.append(f"<td{cls}>{html.escape(c)}</td>")
                body.append("<tr>" + "".join(tds) + "</tr>")
            parts.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")
        elif kind == "bullet":
            if parts and parts[-1].endswith("</ul>"):
                parts[-1] = parts[-1][:-5] + f"<li>{html.escape(payload)}</li></ul>"
            else:
                parts.append(f"<ul><li>{html.escape(payload)}</li></ul>")
        else:
            tag = {"title": "h1", "h2": "h2", "h3": "h3", "para": "p"}[kind]
            parts.append(f"<{tag}>{html.escape(payload)}</{tag}>")
    return render_template("document.html.j2", title=title, body="\n".join(parts))


# --- quarterly agenda and letters -------------------------------------------------------------------


def _with_reasons(details: list[dict]) -> list[dict]:
    return [{**d, "reason_text": "；".join(REASON_LABELS[r] for r in d["reasons"])} for d in details]


def quarter_context(report: dict, month_counts: dict[str, dict]) -> dict:
    agenda = [{"unit": g["unit"], "projects": _with_reasons(g["projects"])} for g in report["agenda"]]
    details = {d["project_id"]: d for d in report["dispatch_details"]}
    return {
        "letter_projects": [details[pid] for pid in report["supervision_letters"]],
        "r": {**report, "agenda": agenda},
        "title_period": quarter_title(report["period"]),
        "month_titles": [month_title(k) for k in report["months"]],
        "unit_count": len(agenda),
        "month_counts": month_counts,
    }


def write_agenda(dag_id: str, report: dict) -> dict[str, str]:
    """调度会议程 (agenda.docx, agenda.html) and one 督办函 per project red all quarter."""
    folder = output.period_dir(dag_id, report["period"])
    ctx = quarter_context(report, report["month_counts"])
    text = render_template("agenda.txt.j2", **ctx)
    paths = {
        "agenda_docx": output.write_bytes(folder / "agenda.docx", markup_to_docx(text)),
        "agenda_html": output.write_text(folder / "agenda.html",
                                         markup_to_html(text, f"自创区重大项目季度调度会议程（{ctx['title_period']}）")),
    }
    details = {d["project_id"]: d for d in report["dispatch_details"]}
    for number, pid in enumerate(report["supervision_letters"], start=1):
        letter = render_template("supervision_letter.txt.j2", p=details[pid], number=number,
                                 quarter_key=report["period"], months=report["months"], **ctx)
        safe = re.sub(r"[^0-9A-Za-z_.\-]+", "_", pid)
        paths[f"letter:{pid}"] = output.write_bytes(folder / "letters" / f"督办函_{safe}.docx", markup_to_docx(letter))
    return {k: str(v) for k, v in paths.items()}


def read_text(path: str | Path) -> str:
    return Path(path).read_text(encoding="utf-8")
