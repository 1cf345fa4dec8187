"""Notices and documents for departments, finance and the office are in Chinese only; English
stays in code, logs and the engineers' (ops) notices. Unit names stand where a reader expects them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "include" / "templates"
# Read by engineers (ops alerts) or not text at all (the dashboard's own pages, markup comments).
ENGINEERS = {"notify/deadline_missed.md.j2", "notify/task_failed.md.j2", "notify/unrouted.md.j2",
             "notify/refused.md.j2", "notify/interrupted.md.j2", "notify/calendar_coverage.md.j2", "dashboard/reference.html", "dashboard/login_required.html"}
# Names a Chinese reader uses as they are: file formats, products, the mail header key.
ALLOWED = {"Subject", "Word", "Excel", "HTML", "PNG", "PDF", "APP", "Airflow", "URL", "ID", "min"}
WORD = re.compile(r"[A-Za-z]{3,}")


def people_templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*")
                  if p.is_file() and p.relative_to(TEMPLATES).as_posix() not in ENGINEERS)


def english_words(text: str) -> list[str]:
    """English words of a template's literal text (not its Jinja code, HTML/CSS or markup)."""
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.DOTALL)
    text = re.sub(r"<style.*?</style>|<script.*?</script>|<code>.*?</code>", " ", text, flags=re.DOTALL)
    # the Word bulletin's line markup: TITLE / SUB / H / P / TABLE <name> / IMAGE <name>
    text = re.sub(r"(^|%\})\s*(TITLE|SUB|H|P|(TABLE|IMAGE)( \w+)?)\b", " ", text, flags=re.MULTILINE)
    text = re.sub(r"<[^>]*>|&\w+;|`[^`]*`", " ", text)
    return [w for w in WORD.findall(text) if w not in ALLOWED]


@pytest.mark.parametrize("path", people_templates(), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_texts_for_people_are_chinese(path):
    assert english_words(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_english():
    assert english_words("- 兑现期间 Period: **{{ batch.period_key }}**") == ["Period"]
    assert english_words("<p class=\"x\">{{ a }} 合计 <code>gxq_ops</code></p>") == []


def test_scorecard_names_units():
    from gxq.innovation import render

    assert render._label("U14", {"U14": "高新区科技和工业信息化局"}) == "科技和工业信\n息化局"
    assert render._label("U99", {}) == "U99"
