"""The office report, workbook and notices of plan_task_tracking, from a report built in memory
over the demo task list (no database): every target in the workbook, unit names from the
directory, a burn-up chart per red target, 催办 naming what is due and the forecast."""

from __future__ import annotations

from gxq.demo import vocab
from gxq.periods import month_period
from gxq.tracking import monthly, notices, render

from tests.tracking.test_demo import _data

NAMES = dict(vocab.UNITS)


def test_unit_label():
    assert render.unit_label("U04", NAMES) == "人力资源和社会保障局（U04）"
    assert render.unit_label("U99", NAMES) == "U99"
    assert render.unit_label(None, NAMES) == "—"


def test_documents_and_notices(tmp_path, monkeypatch):
    from docx import Document
    from openpyxl import load_workbook

    monkeypatch.setattr(render.units, "unit_names", lambda: NAMES)
    report = monthly.build_report(month_period(2021, 6), _data())
    paths = render.write_files(tmp_path, report)
    reds = [t["target_id"] for t in report["targets"] if t["light"] == "red"]
    assert reds and all(paths.get(f"burnup_{tid}") for tid in reds)
    wb = load_workbook(paths["targets_xlsx"])
    all_rows = list(wb["全部任务"].iter_rows(values_only=True))
    assert [r[1] for r in all_rows[1:]] == [t["target_id"] for t in report["targets"]]
    assert "人力资源和社会保障局（U04）" in {r[0] for r in all_rows[1:]}
    text = "\n".join(p.text for p in Document(paths["report_docx"]).paragraphs)
    assert "任务清单督查月报" in text and "红灯5项" in text
    assert len(Document(paths["report_docx"]).inline_shapes) == len(reds)

    batch = notices.build("plan_task_tracking", report, paths)
    kinds = [(n.recipient, n.kind) for n in batch]
    assert kinds[0] == ("office", "task_tracking")
    assert [r for r, k in kinds if k == "task_reminder"] == report["reminders"]
    assert ("office", "task_escalation") in kinds and ("ops", "task_data_problems") not in kinds
    reminder = next(n for n in batch if n.recipient == "U01")
    due = [t for t in report["target_details"] if t["unit"] == "U01" and t["light"] != "green"]
    assert "建设局（U01）" in reminder.subject
    for t in due:
        assert t["target_id"] in reminder.body and render.num(t["expected"]) in reminder.body
        if t["forecast"] is not None:
            assert render.num(t["forecast"]) in reminder.body
