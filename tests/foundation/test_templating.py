"""One Jinja environment (gxq.templating) and one Office/CJK helper (gxq.office) for the package."""

from __future__ import annotations

import io
from pathlib import Path

import jinja2
import pytest
from gxq import office, sql, templating

REPO = Path(__file__).resolve().parents[2]
SQL_FILES = sorted(p.relative_to(templating.SQL).as_posix() for p in templating.SQL.rglob("*.sql")
                   if not p.name.startswith("_"))


def test_one_environment_and_one_office_helper_in_the_package():
    for path in (REPO / "plugins").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "templating.py":
            assert "jinja2.Environment(" not in text and "Environment(" not in text, path
        if path.name != "office.py":  # documents, fonts and XML safety are gxq.office's
            for made_here in ("Document()", "Workbook()", "w:eastAsia", "ILLEGAL_CHARACTERS_RE", "font_manager",
                              'matplotlib.use("Agg")', "\\x0b"):
                assert made_here not in text, f"{path}: {made_here}"


@pytest.mark.parametrize("name", SQL_FILES)
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sql_keeps_its_tokens_under_the_shared_whitespace_rules(name, dialect, monkeypatch):
    """A block tag ending a line eats that newline (trim_blocks): in SQL that must never glue two
    tokens together. Same tokens as under Jinja's default whitespace rules (write ``+%}`` if not)."""
    shared = sql.render(name, dialect)
    as_written_env = templating.environment().overlay(trim_blocks=False, lstrip_blocks=False)
    sql._template.cache_clear()
    monkeypatch.setattr(templating, "environment", lambda: as_written_env)
    try:
        as_written = sql.render(name, dialect)
    finally:
        sql._template.cache_clear()
    assert shared.split() == as_written.split()


def test_rules_of_the_environment(tmp_path):
    env = templating.environment()
    assert env.get_template("notify/task_failed.md.j2").environment is env
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    assert templating.render("dashboard/login_required.html", login_url="/x?a=<b>", status_code=401).count("<b>") == 0
    subject, body = templating.render_notice(
        "notify/unrouted.md.j2", dag_id="d", period_key="2021-W09", tags=["<U01>"], config="c")
    assert subject and "<U01>" in subject + body  # Markdown notices are not HTML-escaped
    assert env.filters["pct"](0.9567) == "95.7%" and env.filters["yuan"](1300000) == "1,300,000"


def test_xml_safe_strips_what_xml_cannot_hold():
    value = {"a": "x\x00y\x0bz", "b": ["\x1f", ("ok\x7f",)], "c": 3}
    assert office.xml_safe(value) == {"a": "xyz", "b": ["", ("ok",)], "c": 3}


def test_word_document_carries_the_cjk_fonts():
    import docx

    doc = office.document(size_pt=11)
    doc.add_heading("标题", level=1)
    doc.add_paragraph("正文")
    data = office.docx_bytes(doc)
    back = docx.Document(io.BytesIO(data))
    fonts = back.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == office.BODY_FONT
    heading = back.styles["Heading 1"].element.rPr.rFonts
    assert heading.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == office.HEADING_FONT
    assert back.styles["Normal"].font.size.pt == 11


def test_workbook_bold_header():
    import openpyxl

    wb = office.workbook()
    ws = wb.active
    ws.append(["单位", "满意率"])
    office.bold_row(ws, 1, fill="EEEEEE")
    ws.append(["U01", 0.95])
    back = openpyxl.load_workbook(io.BytesIO(office.xlsx_bytes(wb)))
    assert back.active["A1"].font.b and not back.active["A2"].font.b
    assert back.active["B1"].fill.fgColor.rgb.endswith("EEEEEE")


def test_a_template_is_compiled_once_not_in_every_task():
    """Each task is a process: the second process loads the first one's compiled template from
    Jinja's bytecode cache and never compiles it (compiling raises there)."""
    import os
    import subprocess
    import sys

    code = ("import sys, jinja2\n"
            "from gxq import templating\n"
            "if sys.argv[1] == 'cached':\n"
            "    def refuse(*a, **k): raise AssertionError('compiled again')\n"
            "    jinja2.Environment.compile = refuse\n"
            "print(templating.environment().get_template('petitions/urgent.sql') is not None)\n")
    for mode in ("first", "cached"):
        proc = subprocess.run([sys.executable, "-c", code, mode], cwd=REPO, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO / "plugins")}, check=False)
        assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr[-2000:]
