"""The trace is data (issue 24): a batch stores what each award's formula used as columns
(policy_0003), the workbook renders the sentences from them in the words batches have always
stored, and a batch issued before, with its sentences as text (``trace_json``), reads as issued.

The words are pinned here (as tests/policy/test_evaluate.py pins the evaluation's): what the
code before policy_0003 stored, key order included (it stored the sentences as JSON with sorted
keys, so an issued batch's 兑现依据 reads in key order; a draft's in the formula's order).
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from gxq import output, store
from gxq.periods import parse_key
from gxq.policy import batches, catalogue
from gxq.policy.evaluate import evaluate
from gxq.policy.testing import build_dept_policy
from openpyxl import load_workbook

from tests.policy.test_batches import M, Q, app, cert, ent, run

HTE = "hte_first_certification"
HTE_RULE = "高新技术企业首次认定: 该企业此前无更早的高新技术企业认定"
RD_RULE = "研发费用加计扣除配套: 按加计扣除额的比例奖励, 单笔封顶"


def hte_trace(cert_id: str, day: str, withheld: str | None = None) -> dict:
    trace = {"policy": f"{HTE} 高新技术企业首次认定奖励", "rule": HTE_RULE,
             "basis": f"认定 {cert_id}: 高新技术企业 认定日期 {day}",
             "amount": "首次认定奖励 = 300000 元 (自 2021-01-01 起施行)"}
    return {**trace, "withheld": withheld} if withheld else trace


def line(trace: dict) -> str:
    """The workbook's 兑现依据 cell of a trace (render.trace_text: every sentence but the policy's)."""
    return "; ".join(f"{k}: {v}" for k, v in trace.items() if k != "policy")


def in_key_order(trace: dict) -> dict:
    return dict(sorted(trace.items()))


def sheet_traces(path, policy_id: str) -> dict[str, str]:
    """basis_id -> 兑现依据 of a policy's sheet in the workbook."""
    rows = load_workbook(path)[policy_id].iter_rows(min_row=3, values_only=True)
    return {r[2]: r[5] for r in rows if r[0] and r[0] != "合计"}


def table_rows(ops, table: sa.Table) -> list[dict]:
    with ops.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()]


def test_a_new_batch_stores_the_trace_as_columns_and_renders_the_same_words(dbs, monkeypatch):
    monkeypatch.setenv(catalogue.EXAMPLES_ENV, "1")  # rd_expense_subsidy: a ratio, a dated cap, a minimum
    dept, ops = dbs
    build_dept_policy(dept, {
        "enterprises": [ent("A"), ent("B", dishonest=True)],
        "applications": [app("R1", "A", 2000000, "2021-06-30 16:00:00", policy="rd_expense_subsidy"),
                         app("R2", "B", 1000000.5, "2021-07-01 09:30:00", policy="rd_expense_subsidy"),
                         app("R3", "A", 500000, "2021-08-02 10:00:00", policy="rd_expense_subsidy")],
    })
    r1 = {"policy": "rd_expense_subsidy 研发费用加计扣除配套补助", "rule": RD_RULE,
          "basis": "申请 R1: 批准时间 2021-06-30 16:00:00, 申请金额 2000000.00 元",
          "ratio": "奖励比例 = 0.1  (自 2021-01-01 起施行)",
          "cap": "单笔奖励上限 = 200000 元 (自 2021-01-01 起施行)",
          "amount": "min(200000.00, 200000.00) = 200000.00 元"}
    r2 = {**r1, "basis": "申请 R2: 批准时间 2021-07-01 09:30:00, 申请金额 1000000.50 元",
          "cap": "单笔奖励上限 = 300000 元 (自 2021-07-01 起施行)",
          "amount": "min(100000.05, 300000.00) = 100000.05 元", "withheld": "dishonest"}
    r3 = {**r1, "basis": "申请 R3: 批准时间 2021-08-02 10:00:00, 申请金额 500000.00 元",
          "cap": "单笔奖励上限 = 300000 元 (自 2021-07-01 起施行)",
          "amount": "min(50000.00, 300000.00) = 50000.00 元"}
    hold = [{"policy_id": "rd_expense_subsidy", "credit_code": "A", "basis_id": "R3", "note": "核实中"}]

    draft = run(Q, "2021-Q3", dry_run=True)
    folder = output.period_dir(Q, "2021-Q3")
    # a draft is composed, never read back from gxq_ops: its sentences in the formula's order
    assert sheet_traces(folder / "dry_run" / f"finance_batch_{draft['batch_id']}.xlsx", "rd_expense_subsidy") == {
        "R1": line(r1), "R3": line(r3)}

    report = run(Q, "2021-Q3", hold=hold)
    assert [(a["basis_id"], a["amount"]) for a in report["items"]] == [("R1", 200000)]
    assert [(w["basis_id"], w["reason"]) for w in report["withheld"]] == [("R3", "held_by_review"), ("R2", "dishonest")]
    assert set(report["items"][0]) == {"policy_id", "credit_code", "basis_id", "amount"}  # no trace in report.json
    # an issued batch's 兑现依据 in key order, as every issued batch has read
    assert sheet_traces(folder / f"finance_batch_{report['batch_id']}.xlsx", "rd_expense_subsidy") == {
        "R1": line(in_key_order(r1))}
    batch = batches.find(ops, batches.BatchSpec(Q, "quarterly", "2021-Q3", tuple(report["policy_ids"])))
    assert [batch.trace(a) for a in batch.items] == [in_key_order(r1)]
    assert [batch.trace(a) for a in batch.withheld] == [in_key_order(r3), in_key_order(r2)]  # a hold is no status

    # what gxq_ops holds: columns, no text
    stored = {r["basis_id"]: r for r in table_rows(ops, batches.items) + table_rows(ops, batches.withheld)}
    assert {b: (r["trace_json"], r["basis_at"], r["cert_type"], r["requested_fen"]) for b, r in stored.items()} == {
        "R1": (None, "2021-06-30 16:00:00", None, 200000000),
        "R2": (None, "2021-07-01 09:30:00", None, 100000050),
        "R3": (None, "2021-08-02 10:00:00", None, 50000000)}
    assert [(r["policy_id"], r["policy"], r["rule"], r["basis"], json.loads(r["used_json"]))
            for r in table_rows(ops, batches.trace_headers)] == [
        ("rd_expense_subsidy", r1["policy"], RD_RULE, "application",
         [["ratio", "奖励比例", ""], ["cap", "单笔奖励上限", "元"], ["amount", None, None]])]
    values = {(r["basis_id"], r["key"]): (r["value"], r["from_on"], r["base_fen"], r["limit_fen"])
              for r in table_rows(ops, batches.trace_values)}
    assert values == {
        ("R1", "ratio"): ("0.1", "2021-01-01", None, None), ("R1", "cap"): ("200000", "2021-01-01", None, None),
        ("R1", "amount"): (None, None, 20000000, 20000000),
        ("R2", "ratio"): ("0.1", "2021-01-01", None, None), ("R2", "cap"): ("300000", "2021-07-01", None, None),
        ("R2", "amount"): (None, None, 10000005, 30000000),
        ("R3", "ratio"): ("0.1", "2021-01-01", None, None), ("R3", "cap"): ("300000", "2021-07-01", None, None),
        ("R3", "amount"): (None, None, 5000000, 30000000),
    }
    assert run(Q, "2021-Q3", hold=hold) == report  # frozen


def _issue_the_old_way(ops, policy_ids: list[str]) -> dict[str, dict]:
    """A March batch as the code before policy_0003 issued it: the store at policy_0002, each award's
    sentences stored as JSON with sorted keys in ``trace_json``. Returns basis_id -> its trace."""
    from alembic import command

    store.ensure_schema(ops)
    with ops.begin() as conn:
        command.downgrade(store._alembic_config(conn), "policy_0002")
    store._migrated.clear()
    assert "policy_0002" in store.current_revisions(ops)
    assert "trace_json" in {c["name"] for c in sa.inspect(ops).get_columns("policy_batch_items")}
    assert "requested_fen" not in {c["name"] for c in sa.inspect(ops).get_columns("policy_batch_items")}
    traces = {"H1": hte_trace("H1", "2021-03-05"), "H2": hte_trace("H2", "2021-03-06", "dishonest")}
    issued = dt.datetime(2021, 4, 1, 1, 0, 0)  # naive UTC, as stored
    old = lambda t: json.dumps(t, ensure_ascii=False, sort_keys=True)
    award = lambda basis_id, code, day: {"batch_id": "monthly-2021-03", "policy_id": HTE, "credit_code": code,
                                         "basis_id": basis_id, "basis_on": day, "enterprise_name": f"{code}科技有限公司",
                                         "amount": 300000, "trace_json": old(traces[basis_id])}
    with ops.begin() as conn:  # only the columns of policy_0002 (the Table objects have more)
        conn.execute(batches.batches.insert().values(
            batch_id="monthly-2021-03", batch_key="monthly|2021-03", dag_id=M, cadence="monthly",
            period_key="2021-03", policy_ids=",".join(policy_ids), status="issued", issued_at=issued, run_id="old",
            item_count=1, withheld_count=1, total_amount=300000, withheld_amount=300000, shortfalls_json="[]",
            data_problems_json="[]"))
        conn.execute(sa.insert(batches.items).values(award("H1", "A", "2021-03-05")))
        conn.execute(sa.insert(batches.withheld).values({**award("H2", "B", "2021-03-06"), "reason": "dishonest"}))
        conn.execute(batches.ledger.insert().values(policy_id=HTE, credit_code="A", basis_id="H1", amount=300000,
                                                    batch_id="monthly-2021-03", recorded_at=issued))
        conn.execute(batches.approvals.insert().values(
            batch_id="monthly-2021-03", review_id=None, approved_by="审核人", approval_ref="文〔2021〕1号", via="param",
            note=None, decided_at=issued, triggered_by=None, holds_json="[]"))
    return traces


def test_a_batch_issued_with_trace_json_reads_as_issued_after_the_migration(dbs):
    dept, ops = dbs
    build_dept_policy(dept, {"enterprises": [ent("A"), ent("B", dishonest=True)],
                             "certifications": [cert("H1", "A", "2021-03-05"), cert("H2", "B", "2021-03-06")]})
    period = parse_key("2021-03")
    paid, _skipped = catalogue.select(catalogue.for_cadence("monthly"), period)
    ids = sorted(p.id for p in paid)
    traces = _issue_the_old_way(ops, ids)

    report = run(M, "2021-03")  # migrates gxq_ops first, then finds the batch issued: frozen
    assert store.current_revisions(ops) == store.HEADS
    assert report["items"] == [{"policy_id": HTE, "credit_code": "A", "basis_id": "H1", "amount": 300000}]
    assert report["withheld"] == [{"policy_id": HTE, "credit_code": "B", "basis_id": "H2", "reason": "dishonest"}]
    assert report["issued_at"] == "2021-04-01T09:00:00+08:00" and report["approval"]["by"] == "审核人"
    folder = output.period_dir(M, "2021-03")
    assert sheet_traces(folder / "finance_batch_monthly-2021-03.xlsx", HTE) == {"H1": line(in_key_order(traces["H1"]))}
    batch = batches.find(ops, batches.BatchSpec(M, "monthly", "2021-03", tuple(ids)))
    assert [batch.trace(a) for a in batch.items + batch.withheld] == [traces["H1"], traces["H2"]]
    # the rows as the old code wrote them: text, no columns
    assert [(r["trace_json"] is not None, r["basis_at"], r["cert_type"], r["requested_fen"])
            for r in table_rows(ops, batches.items) + table_rows(ops, batches.withheld)] == [(True, None, None, None)] * 2
    assert table_rows(ops, batches.trace_values) == [] and table_rows(ops, batches.trace_headers) == []

    # the same awards composed now and rendered from their columns: the words the old code stored
    ev = evaluate(dept, period, paid, with_commitments=False)
    fresh = batches.compose(batches.BatchSpec(M, "monthly", "2021-03", tuple(ids)), ev, set(), "-", "issued")
    assert {a["basis_id"]: fresh.trace(a) for a in fresh.items + fresh.withheld} == traces
    assert [list(fresh.trace(a)) for a in fresh.items] == [sorted(traces["H1"])]

    assert run(M, "2021-03") == report
    april = run(M, "2021-04")  # a new batch beside the old one: columns; B still withheld
    assert [(w["basis_id"], w["reason"]) for w in april["withheld"]] == [("H2", "dishonest")]
    assert [r["trace_json"] for r in table_rows(ops, batches.withheld) if r["batch_id"] == "monthly-2021-04"] == [None]
