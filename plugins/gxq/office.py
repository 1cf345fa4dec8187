"""Office documents and charts for people, in Chinese (Word, Excel, PNG charts): the CJK fonts and
the rules every such file follows, in one place.

- Word: :func:`document` (a document whose styles carry the CJK fonts of an official document,
  公文: 仿宋 body, 黑体 headings, 宋体 title), :func:`east_asia` (a run's CJK font), :func:`shade`
  (a table cell's fill), :func:`docx_bytes`, and :func:`layout_docx`, which lays a document out
  from a template's block lines (TITLE / SUB / H / P / TABLE <name> / IMAGE <name>).
- Excel: :func:`workbook`, :func:`bold_row`, :func:`xlsx_bytes`.
- Charts: :func:`pyplot` (matplotlib on the Agg backend with an installed CJK font, so Chinese
  labels render as characters, not boxes), :func:`to_png`.
- :func:`xml_safe`: department text without the control characters XML (docx, xlsx) cannot hold.

python-docx, openpyxl and matplotlib are imported inside the functions that use them: together
~1.2 s to import (python -X importtime: matplotlib.pyplot 960 ms, openpyxl 270 ms, docx 130 ms),
which every task that only reads or sends would otherwise pay.
"""

from __future__ import annotations

import functools
import io
import re

BODY_FONT = "仿宋"  # FangSong
HEADING_FONT = "黑体"  # SimHei
TITLE_FONT = "宋体"  # SimSun
LATIN_BODY_FONT = "FangSong"  # the same face under the name Word and LibreOffice know for Latin text

# Installed CJK families matplotlib may use, best first (Debian: fonts-wqy-microhei, scripts/setup.sh).
CHART_FONTS = (
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
    "SimHei", "Microsoft YaHei", "PingFang SC",
)

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class NoCJKFontError(RuntimeError):
    pass


def xml_safe(value):
    """``value`` (text, or dicts / lists / tuples of it) without the control characters XML cannot
    hold: a control character in a department's text must not crash a docx or xlsx."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, dict):
        return {k: xml_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(xml_safe(v) for v in value)
    return value


# --- Word ------------------------------------------------------------------------------------


def east_asia(target, font: str) -> None:
    """Set the font of a run or style, its East Asian font included (Word takes CJK glyphs from it)."""
    from docx.oxml.ns import qn

    target.font.name = font
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def document(size_pt: float = 12):
    """A new Word document: body 仿宋 at ``size_pt``, headings 黑体, title 宋体."""
    import docx
    from docx.shared import Pt

    doc = docx.Document()
    normal = doc.styles["Normal"]
    east_asia(normal, BODY_FONT)
    normal.font.name = LATIN_BODY_FONT
    normal.font.size = Pt(size_pt)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        east_asia(doc.styles[name], HEADING_FONT)
    east_asia(doc.styles["Title"], TITLE_FONT)
    return doc


def shade(cell, colour: str) -> None:
    """Fill a table cell with a colour (``"EEEEEE"``)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fill = OxmlElement("w:shd")
    fill.set(qn("w:val"), "clear")
    fill.set(qn("w:color"), "auto")
    fill.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(fill)


def docx_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def layout_docx(layout: str, tables: dict, images: dict[str, bytes], *, source: str,
                image_width_cm=lambda name: 15) -> bytes:
    """A 公文-style Word file from a template's layout, one block per line: ``TITLE text``,
    ``SUB text`` (centred), ``H text``, ``P text`` (indented paragraph), ``TABLE <name>`` (one of
    ``tables``: ``{"headers": [...], "rows": [[...]]}``, cells as given, so mask them first) and
    ``IMAGE <name>`` (a PNG of ``images``; absent ones are left out). ``source`` names the template
    in the error an unknown block raises."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    doc = document(size_pt=12)
    for line in layout.splitlines():
        if not line.strip():
            continue
        kind, _, text = line.partition(" ")
        if kind == "TITLE":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(text)
            run.bold = True
            run.font.size = Pt(24)
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
            east_asia(run, TITLE_FONT)
        elif kind == "SUB":
            doc.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "H":
            for run in doc.add_heading(text, level=2).runs:
                east_asia(run, HEADING_FONT)
        elif kind == "P":
            doc.add_paragraph(text).paragraph_format.first_line_indent = Pt(24)
        elif kind == "IMAGE":
            if images.get(text):
                doc.add_picture(io.BytesIO(images[text]), width=Cm(image_width_cm(text)))
        elif kind == "TABLE":
            table = tables[text]
            t = doc.add_table(rows=1, cols=len(table["headers"]))
            t.style = "Table Grid"
            for cell, header in zip(t.rows[0].cells, table["headers"]):
                cell.text = header
            for values in table["rows"]:
                for cell, value in zip(t.add_row().cells, values):
                    cell.text = str(value)
        else:
            raise ValueError(f"{source}: unknown block {kind!r}")
    return docx_bytes(doc)


# --- Excel -----------------------------------------------------------------------------------


def workbook():
    """A new workbook (Excel and WPS take CJK glyphs from the system's fallback font)."""
    from openpyxl import Workbook

    return Workbook()


def bold_row(ws, row: int | None = None, fill: str | None = None) -> None:
    """Bold the cells of a row (default: the last one), optionally on a fill colour."""
    from openpyxl.styles import Font, PatternFill

    for cell in ws[row or ws.max_row]:
        cell.font = Font(bold=True)
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)


def table_sheet(wb, table: dict, *, fills: dict[str, str] | None = None, widths: dict[str, float] | None = None,
                width: float = 16, filtered: bool = False):
    """A sheet ``table["title"]`` of ``table["headers"]`` (bold) and ``table["rows"]`` (text masked): a
    cell whose value is a key of ``fills`` on that colour; each column ``widths[header]`` wide, else
    ``width``; ``filtered``: the header frozen and an autofilter over the rows."""
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    from gxq.masking import mask_text

    fills = fills or {}
    ws = wb.create_sheet(table["title"])
    ws.append(table["headers"])
    bold_row(ws, 1)
    for values in table["rows"]:
        ws.append([mask_text(v) if isinstance(v, str) else v for v in values])
        for cell in ws[ws.max_row]:
            if cell.value in fills:
                cell.fill = PatternFill("solid", fgColor=fills[cell.value])
    for i, header in enumerate(table["headers"], start=1):
        ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(header, width)
    if filtered:
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table['headers']))}{ws.max_row}"
    return ws


def xlsx_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- charts ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The first installed CJK font family of :data:`CHART_FONTS`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CHART_FONTS:
        if family in installed:
            return family
    raise NoCJKFontError("no CJK font found for charts: install Debian's fonts-wqy-microhei (scripts/setup.sh does)")


def pyplot():
    """matplotlib.pyplot configured for Chinese text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [cjk_font(), "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def to_png(fig, dpi: int = 120) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()
