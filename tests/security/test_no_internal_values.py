"""People's documents show no internal values (issue 22.4).

Every document and notice of a demo year is rendered: the weekly bulletins, every month's and
quarter's batches, evaluations and task tracking, the publicity reminders (``run_everything``),
an adhoc batch run by ``dag.test()`` (Airflow's own run type and trigger), a review request, its
rejection, reminders and escalation, the ops notice of a superseded request, and the 看板. Each
text people read (files under the output folder but report.json, the outbox's subjects and
bodies, the 看板's HTML) must hold no Python repr (``DagRunType.``, ``None``, ``{'``, ``[]``,
``True``/``False``, ``datetime.``), no unrendered template, no English placeholder and no internal
key shown bare where it has a Chinese label.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pendulum
import pytest

from tests.conftest import run_dag, sqlite_conn_json
from tests.security.runs import run_everything

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

WEEKS = int(os.environ.get("GXQ_TEST_REPR_WEEKS", "52"))
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}

REPRS = re.compile(r"DagRunType\.|\bNone\b|\{'|\[\]|\bTrue\b|\bFalse\b|datetime\.|\{\{|\}\}|\{%|%\}|"
                   r"\bTODO\b|\bTBD\b|\bN/A\b|\bnan\b|\bNaN\b|\bundefined\b|\bnull\b|<built-in|object at 0x")


def internal_keys() -> set[str]:
    """Keys with a Chinese label somewhere in the code: shown bare, they are untranslated."""
    from gxq import run
    from gxq.policy import render
    from gxq.policy.evaluate import PROBLEMS

    return set(render.REASON_CN) | set(PROBLEMS) | set(run.TRIGGERS) | {
        "waiting", "approved", "rejected", "superseded", "issued_before", "dry_run"}


def bare_keys(text: str, keys: set[str]) -> list[str]:
    """Keys not given as a code beside their label: ``(held_by_review)`` or `` `x` `` are fine."""
    found = []
    for key in keys:
        for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])", text):
            before = text[max(0, m.start() - 1):m.start()]
            after = text[m.end():m.end() + 1]
            if before in ("(", "`", "（", "/", "_", "-", ".", "=") or after in ("`", "/", "_", "-", "."):
                continue  # a code in parentheses / backticks, or part of a path, id or URL
            found.append(key)
    return found


def texts_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                         for c in row if c is not None)
    if path.suffix == ".docx":
        import docx

        doc = docx.Document(str(path))
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", text)
    return text


def problems(name: str, text: str, keys: set[str]) -> list[str]:
    out = [f"{name}: {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]!r}…" for m in REPRS.finditer(text)]
    out += [f"{name}: bare key {k!r}" for k in sorted(set(bare_keys(text, keys)))]
    return out


def test_no_internal_values_in_any_document_of_a_demo_year(dagbag, demo_sqlite, use_conns, output_dir, tmp_path,
                                                           monkeypatch):
    from gxq import store
    from gxq.dashboard import queries
    from gxq.dashboard import render as dashboard_render
    from gxq.notify.outbox import rows as outbox_rows
    from gxq.policy import pipeline, review
    from gxq.run import triggered_by

    conns = dict(demo_sqlite)
    conns["gxq_ops"] = sqlite_conn_json(tmp_path / "gxq_ops.db")
    use_conns(conns)
    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)  # demo channel: every notice a file too
    monkeypatch.setenv("GXQ_POLICY_EXAMPLES", "1")  # the demo's setting: every kind of rule rendered

    # the urgent watch where the demo year has an urgent petition not yet dispatched: due soon, overdue,
    # overdue >= 2 h (督办)
    from gxq.connections import engine_for
    with engine_for("dept_petitions").connect() as conn:
        late = conn.exec_driver_sql(
            "SELECT dispatch_due_at, dispatched_at FROM petitions WHERE is_urgent = 1 AND status <> '已撤销'"
            " AND received_at LIKE '2021-%' AND (dispatched_at IS NULL OR dispatched_at > dispatch_due_at)"
            " ORDER BY received_at").all()
    moments = [dt.datetime.fromisoformat(due) + dt.timedelta(minutes=m) for due, done in late for m in (-20, 10, 130)
               if done is None or dt.datetime.fromisoformat(done) > dt.datetime.fromisoformat(due) + dt.timedelta(minutes=m)]
    assert moments, "the demo year has a late urgent dispatch"
    minutes = sorted({f"{t:%Y-%m-%dT%H}{t.minute // 10}0" for t in moments[:6]})
    run_everything(weeks=[f"2021-W{w:02d}" for w in range(1, WEEKS + 1)], urgent=minutes, scorecards=("2021-06",),
                   months=[f"2021-{m:02d}" for m in range(1, 13)], quarters=("2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4"),
                   publicity=(dt.datetime(2021, 3, 3, 2, tzinfo=dt.UTC), dt.datetime(2021, 3, 5, 7, tzinfo=dt.UTC),
                              dt.datetime(2021, 11, 17, 2, tzinfo=dt.UTC)))
    # a batch issued by an Airflow run: its run type and trigger as Airflow gives them
    dr = run_dag(dagbag, "policy_redemption_adhoc", pendulum.datetime(2021, 12, 20, 10, tz="Asia/Shanghai"),
                 {"period": "2021-12", "policy_ids": ["hte_first_certification"], **APPROVED})
    assert str(dr.state).endswith("success")
    # 审核: a request, its rejection; another request reminded, escalated, then issued by param
    # (superseded: ops told to close it, no API connection here)
    adhoc = "policy_redemption_adhoc"
    for period, run_id in (("2021-11", "run-reject"), ("2021-10", "run-wait")):
        p = pipeline.check_schema(pipeline.plan_batch(adhoc, period, ["specialized_sme_certification"], run_id=run_id,
                                                      review=pipeline.review_params({}, triggered_by("scheduled"))))
        ev = pipeline.compute(p)
        assert "ask" in pipeline.review_start(p, ev, run_id=run_id, task_id="review", map_index=-1,
                                              base_url="http://airflow.example")
        if run_id == "run-reject":
            pipeline.review_answer(p, ev, run_id=run_id, chosen=[review.REJECT],
                                   params_input={"hold_awards": None, "note": "认定名单有误", "ref": None},
                                   responded_by={"id": "reviewer1", "name": "reviewer1"},
                                   responded_at=dt.datetime(2021, 12, 1, 2, tzinfo=dt.UTC))
    engine = store.ops_engine()
    later = dt.date.today() + dt.timedelta(days=21)  # the requests were made today: 2 and 5 working days passed
    waited = review.check_waiting(engine, later)
    assert waited["reminded"] and waited["escalated"]
    pipeline.run(adhoc, "2021-10", ["specialized_sme_certification"], **APPROVED)
    assert review.check_waiting(engine, later)["superseded"]

    keys = internal_keys()
    found: list[str] = []
    files = [p for p in output_dir.rglob("*") if p.is_file() and p.suffix in (".md", ".html", ".txt", ".xlsx", ".docx")
             and not p.name.startswith(".")]
    for path in files:
        found += problems(str(path.relative_to(output_dir)), texts_of(path), keys)
    outbox = outbox_rows(engine)
    for row in outbox:
        found += problems(f"outbox {row['recipient']} {row['kind']}", f"{row['subject']}\n{row['body']}", keys)
    now = dt.datetime(2022, 3, 2, 10, tzinfo=queries.TZ)
    html = dashboard_render.render_dashboard(queries.dashboard_data(engine, now), now=now.replace(tzinfo=None),
                                             user="tester", warning=None, unit_names=queries.unit_names(engine))
    found += problems("看板", texts_of_html(html), keys)

    kinds = {row["kind"].split(":")[0] for row in outbox}
    assert {"policy_batch", "policy_unit", "policy_rejected", "policy_review_reminder", "policy_review_escalation",
            "policy_review_superseded", "bulletin", "unit_bulletin", "urgent_office", "scorecard_office",
            "scorecard_unit"} <= kinds, kinds
    assert len(files) > WEEKS and any(p.suffix == ".docx" for p in files) and any(p.suffix == ".xlsx" for p in files)
    assert not found, f"{len(found)} internal value(s) in documents people read:\n" + "\n".join(found[:60])


def texts_of_html(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)



def test_the_scan_finds_what_it_looks_for():
    """The scan above fails on the values it names (so its passing means something)."""
    keys = internal_keys()
    text = "运行触发人 DagRunType.SCHEDULED;审核意见 None;暂缓 [] {'a': 1} True datetime.date(2021, 3, 1) {{ x }}"
    found = problems("x", text, keys)
    assert len(found) >= 7, found
    assert problems("x", "暂缓原因 held_by_review", keys) == ["x: bare key 'held_by_review'"]
    assert problems("x", "审核暂缓 (held_by_review);依据 `approved_without_approved_at`", keys) == []
