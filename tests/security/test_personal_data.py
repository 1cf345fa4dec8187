"""Personal data: after a demo run of every DAG (a whole demo year of the weekly bulletin, the
policy and innovation periods of the year, the publicity reminders) no unmasked mobile or ID
number is in any report, file, notice, outbox row, stored report or log line the project wrote.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

import pytest
import sqlalchemy as sa

from tests.conftest import sqlite_conn_json
from tests.reliability import figures
from tests.security.runs import run_everything

pytestmark = pytest.mark.slow

WEEKS = int(os.environ.get("GXQ_TEST_PII_WEEKS", "52"))


def test_no_unmasked_personal_data_anywhere_after_a_demo_year(demo_sqlite, use_conns, output_dir, tmp_path,
                                                              monkeypatch, capfd):
    from gxq.connections import engine_for
    from gxq.masking import find_unmasked, scan_tree
    from gxq.notify.outbox import rows as outbox_rows
    from gxq.store import ops_engine

    conns = dict(demo_sqlite)
    conns["gxq_ops"] = sqlite_conn_json(tmp_path / "gxq_ops.db")
    use_conns(conns)
    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)  # demo channel: every notice a file

    # the data does hold personal data to leak: the scan below means something
    with engine_for("dept_petitions").connect() as conn:
        raw = conn.execute(sa.text("SELECT citizen_phone, content FROM petitions LIMIT 500")).all()
    raw_hits = sum(len(find_unmasked(f"{p} {c}")) for p, c in raw)
    assert raw_hits > 100

    lines: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda rec: lines.append(f"{rec.getMessage()} {rec.exc_text or ''}")
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    weeks = [f"2021-W{w:02d}" for w in range(1, WEEKS + 1)]
    try:
        reports = run_everything(
            weeks=weeks, months=("2021-01", "2021-03", "2021-06", "2021-12"),
            quarters=("2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4"),
            publicity=(dt.datetime(2021, 3, 3, 2, tzinfo=dt.UTC),
                       dt.datetime(2021, 3, 5, 7, tzinfo=dt.UTC),
                       dt.datetime(2021, 11, 17, 2, tzinfo=dt.UTC)))
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    captured = capfd.readouterr()

    files_found = scan_tree(output_dir)
    n_files = sum(1 for p in output_dir.rglob("*") if p.is_file())
    notices = list((output_dir / "_notices").rglob("*.md"))
    assert len(notices) > WEEKS, "the demo channel wrote the notices as files"
    engine = ops_engine()
    outbox = outbox_rows(engine)
    outbox_found = [(r["recipient"], r["kind"]) for r in outbox
                    if find_unmasked(r["subject"]) or find_unmasked(r["body"])]
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(sa.text("SELECT report_json FROM gxq_reports"))]
    stored_found = [s[:80] for s in stored if find_unmasked(s)]
    report_found = [k for k, r in reports.items() if find_unmasked(json.dumps(r, ensure_ascii=False, default=str))]
    log_found = [line[:120] for line in lines + captured.out.splitlines() + captured.err.splitlines()
                 if find_unmasked(line)]

    total = len(files_found) + len(outbox_found) + len(stored_found) + len(report_found) + len(log_found)
    figures.record("personal_data", "runs", len(reports))
    figures.record("personal_data", "bulletin_weeks", WEEKS)
    figures.record("personal_data", "files_scanned", n_files)
    figures.record("personal_data", "notices_scanned", len(outbox))
    figures.record("personal_data", "log_lines_scanned", len(lines) + len(captured.out.splitlines()))
    figures.record("personal_data", "unmasked_found", total)
    assert files_found == {}
    assert outbox_found == [] and stored_found == [] and report_found == [] and log_found == []
    assert len(outbox) > WEEKS and len(stored) == len(reports)
