"""审核后报财政 on SQLite and PostgreSQL (hand-built dept_policy, fresh gxq_ops per test): the review
request's body, approve / hold / reject as the Required Actions answer or the params give them,
one waiting request per batch, and at most once whatever is rerun."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from gxq import output
from gxq.policy import batches, pipeline, review
from gxq.policy.testing import build_dept_policy

from tests.policy.test_batches import cert, ent, keys, ledger_rows

M, Q = "policy_redemption_monthly", "policy_redemption_quarterly"
AP = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}
HTE = "hte_first_certification"


def _data(dept, n=12):
    build_dept_policy(dept, {
        "enterprises": [ent(f"E{i:02d}", name=f"大连第{i}科技有限公司") for i in range(n)] + [ent("BAD", dishonest=True)],
        "certifications": [cert(f"H{i:02d}", f"E{i:02d}", f"2021-03-{i + 1:02d}") for i in range(n)]
        + [cert("HB", "BAD", "2021-03-20"), cert("HF", "E00", "2021-02-03")],
    })


def _start(dag_id, period, run_id, **params):
    p = pipeline.check_schema(pipeline.plan_batch(dag_id, period, run_id=run_id,
                                            review=pipeline.review_params(params, "tester")))
    ev = pipeline.compute(p)
    return p, ev, pipeline.review_start(p, ev, run_id=run_id, task_id="review", map_index=-1,
                                        base_url="http://airflow.example")


def _answer(p, ev, run_id, option, by="reviewer1", **form):
    params_input = {"hold_awards": None, "note": None, "ref": None, **form}
    return pipeline.review_answer(p, ev, run_id=run_id, chosen=[option], params_input=params_input,
                                  responded_by={"id": by, "name": by},
                                  responded_at=dt.datetime(2021, 4, 6, 2, 30, tzinfo=dt.UTC))


def _finish(p, ev, decision):
    batch_path = pipeline.issue_batch(p, ev, decision)
    rendered = pipeline.render(p, ev, batch_path)
    return json.loads(open(pipeline.publish(p, ev, batch_path, rendered), encoding="utf-8").read())


def _reviews(ops):
    with ops.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(review.reviews).order_by(review.reviews.c.review_id)).mappings()]


# ------------------------------------------------------------------ pure parts


def test_parse_holds_forms_and_errors():
    one = {"policy_id": HTE, "credit_code": "E01", "basis_id": "H01", "note": "核实中"}
    assert review.parse_holds([one]) == [one]
    assert review.parse_holds(json.dumps([one], ensure_ascii=False)) == [one]
    assert review.parse_holds(f"{HTE} | E01 | H01 | 核实中\n\n") == [one]
    assert review.parse_holds(None) == [] and review.parse_holds("") == []
    with pytest.raises(review.ReviewError, match="missing a note"):
        review.parse_holds([{**one, "note": " "}])
    with pytest.raises(review.ReviewError, match="missing a note"):
        review.parse_holds(f"{HTE} | E01 | H01")
    with pytest.raises(review.ReviewError, match="unknown field"):
        review.parse_holds([{**one, "amount": 1}])
    with pytest.raises(review.ReviewError, match="twice"):
        review.parse_holds([one, one])
    with pytest.raises(review.ReviewError, match="not valid JSON"):
        review.parse_holds("[{")
    with pytest.raises(review.ReviewError, match="expected"):
        review.parse_holds("just text")
    with pytest.raises(review.ReviewError, match="not in this batch"):
        review.check_holds([one], {(HTE, "E02", "H02")})


def test_param_approval_needs_both_and_approvers_resolve_roles(monkeypatch):
    assert review.param_approval({}) is None
    assert review.param_approval(AP) == {"by": "王某某", "ref": "高新财审〔2021〕12号", "via": "param"}
    with pytest.raises(review.ReviewError, match="needs approval_ref"):
        review.param_approval({"approved_by": "王某某"})
    with pytest.raises(review.ReviewError, match="without approved_by"):
        review.param_approval({"approval_ref": "x"})
    with pytest.raises(pipeline.RunError, match="missing a note"):
        pipeline.review_params({**AP, "hold": [{"policy_id": HTE, "credit_code": "A", "basis_id": "H"}]})
    monkeypatch.delenv("GXQ_APPROVERS", raising=False)
    monkeypatch.setenv("GXQ_APPROVERS_MONTHLY", "role:finance, zhang")
    spec = review.approver_spec("monthly")
    assert spec == ["role:finance", "user:zhang"]
    assert review.resolve_approvers(spec, "admin:admin,li:finance,wang:finance") == ["li", "wang", "zhang"]
    assert review.approver_spec("quarterly") == ["role:admin"]


# ------------------------------------------------------------------ on both backends


def test_review_body_and_one_waiting_request(dbs):
    dept, ops = dbs
    _data(dept)
    pipeline.run(M, "2021-02", send=False, **AP)  # the previous monthly batch: E00/HF, 300,000
    p, _ev, start = _start(M, "2021-03", "run-A")
    ask = start["ask"]
    body = ask["body"]
    assert "政策兑现批次待审核(月兑现 2021-03)" in body
    assert "兑现笔数:**11** 笔,兑现金额合计:**3,300,000.00 元**" in body
    assert "上一批次 `monthly-2021-02`(2021-03" not in body and "上一批次 `monthly-2021-02`(2021-02):1 笔" in body
    assert "本批次笔数 +10,金额 +3,000,000.00 元(+1000.0%)" in body
    top = body.split("### 金额最大的十项")[1].split("###")[0]
    assert sum(1 for line in top.splitlines() if line.startswith("| ") and "`hte_first" in line) == 10
    assert "严重失信 (dishonest)" in body and "| HB |" in body  # the withheld list with its reason
    assert "### 数据问题" in body and "### 双承诺未履约" in body
    assert "http://airflow.example/gxq/files/policy_redemption_monthly/2021-03/review/publicity_draft.html" in body
    assert "大连第1科技有限公司" in body  # enterprise names (public, as in the 公示), personal data masked
    assert ask["subject"].startswith("【待审核】政策兑现月兑现批次 2021-03")
    folder = output.output_root() / M / "2021-03" / "review"
    assert (folder / "publicity_draft.html").exists() and (folder / "finance_batch_monthly-2021-03_draft.xlsx").exists()
    assert batches.find(ops, pipeline._spec(p)) is None  # nothing issued while it waits
    rows = _reviews(ops)
    assert [(r["status"], r["run_id"], r["open_key"]) for r in rows][-1] == ("waiting", "run-A", "monthly|2021-03")
    # the same run asking again (a cleared task) keeps its request; another run does not make a second one
    assert _start(M, "2021-03", "run-A")[2]["ask"]["review_id"] == ask["review_id"]
    with pytest.raises(pipeline.RunError, match="already waits for review in run run-A"):
        _start(M, "2021-03", "run-B")
    assert sum(1 for r in _reviews(ops) if r["status"] == "waiting") == 1
    # outside Airflow nobody can be asked: a new batch needs the params
    with pytest.raises(pipeline.RunError, match="needs an approval"):
        pipeline.run(M, "2021-04", send=False)


def test_a_request_without_an_airflow_run_says_so(dbs):
    """run_id is None outside Airflow: the request names the command line, never prints None."""
    dept, _ops = dbs
    _data(dept)
    body = _start(M, "2021-03", None)[2]["ask"]["body"]
    assert "- 发起运行:命令行(无 Airflow 运行),手动触发（tester）" in body and "None" not in body


def test_ui_approve_with_hold_then_held_award_paid_once_later(dbs):
    dept, ops = dbs
    _data(dept, n=3)
    p, ev, start = _start(M, "2021-03", "run-A")
    assert "ask" in start
    decision = _answer(p, ev, "run-A", review.APPROVE_WITH_HOLDS, note="其余无异议", ref="",
                       hold_awards=f"{HTE} | E01 | H01 | 待核实注册地址")
    assert decision["status"] == "approved" and decision["via"] == "ui" and decision["by"] == "reviewer1"
    assert decision["decided_at"] == "2021-04-06T10:30:00+08:00"
    report = _finish(p, ev, decision)
    assert report["approval"] == {"by": "reviewer1", "ref": "Airflow 待办审核 policy_redemption_monthly/run-A", "via": "ui"}
    assert report["review"]["note"] == "其余无异议" and report["review"]["holds"][0]["note"] == "待核实注册地址"
    assert {(w["credit_code"], w["reason"]) for w in report["withheld"]} == {("E01", "held_by_review"), ("BAD", "dishonest")}
    assert keys(report["items"]) == [(HTE, "E00", "HF"), (HTE, "E02", "H02")]
    assert _reviews(ops)[-1]["status"] == "approved" and _reviews(ops)[-1]["open_key"] is None
    html = (output.output_root() / M / "2021-03" / "publicity.html").read_text(encoding="utf-8")
    assert "审核人:reviewer1" in html
    from openpyxl import load_workbook

    wb = load_workbook(output.output_root() / M / "2021-03" / "finance_batch_monthly-2021-03.xlsx")
    cells = [c for row in wb["汇总"].iter_rows(values_only=True) for c in row if c]
    assert "审核人" in cells and "reviewer1" in cells
    held = [r for r in wb["暂缓兑现"].iter_rows(values_only=True) if r[3] == "H01"]
    assert held and held[0][6].startswith("审核暂缓") and held[0][7] == "待核实注册地址"
    # a rerun of the issued batch reproduces it, approval included, and asks nobody
    p2, ev2, again = _start(M, "2021-03", "run-rerun")
    assert again["decision"]["status"] == "issued_before" and again["decision"]["by"] == "reviewer1"
    assert _finish(p2, ev2, again["decision"]) == report
    # the held award comes back in April and is paid there, once
    april = pipeline.run(M, "2021-04", send=False, **AP)
    assert keys(april["items"]) == [(HTE, "E01", "H01")]
    assert april["approval"] == {"by": "王某某", "ref": "高新财审〔2021〕12号", "via": "param"}
    pipeline.run(M, "2021-04", send=False)  # rerun: frozen, no approval needed
    assert pipeline.run(M, "2021-05", send=False, **AP)["items"] == []
    assert len(ledger_rows(ops)) == 3 and batches.ledger_duplicates(ops) == 0


def test_param_hold_and_malformed_hold_fails_before_issue(dbs):
    dept, ops = dbs
    _data(dept, n=3)
    bad = [{"policy_id": HTE, "credit_code": "E09", "basis_id": "H09", "note": "x"}]
    with pytest.raises(pipeline.RunError, match="not in this batch"):
        pipeline.run(M, "2021-03", send=False, hold=bad, **AP)
    with pytest.raises(pipeline.RunError, match="missing a note"):
        pipeline.run(M, "2021-03", send=False, hold=[{"policy_id": HTE, "credit_code": "E00", "basis_id": "H00"}], **AP)
    assert ledger_rows(ops) == [] and batches.find(ops, pipeline._spec(pipeline.plan_batch(M, "2021-03"))) is None
    hold = [{"policy_id": HTE, "credit_code": "E02", "basis_id": "H02", "note": "签批附件缺页"}]
    report = pipeline.run(M, "2021-03", send=False, hold=hold, triggered_by="ops_li", **AP)
    assert ("E02", "held_by_review") in {(w["credit_code"], w["reason"]) for w in report["withheld"]}
    assert report["review"]["triggered_by"] == "ops_li"
    with ops.connect() as conn:
        row = conn.execute(sa.select(batches.approvals)).mappings().one()
    assert (row["approved_by"], row["via"], row["triggered_by"]) == ("王某某", "param", "ops_li")


def test_reject_issues_nothing_tells_the_unit_and_next_run_asks_afresh(dbs):
    dept, ops = dbs
    _data(dept, n=2)
    p, ev, _ = _start(M, "2021-03", "run-A")
    with pytest.raises(pipeline.RunError, match="rejection needs its reason"):
        _answer(p, ev, "run-A", review.REJECT)
    assert _reviews(ops)[-1]["status"] == "waiting"  # the answer was not taken: still this run's request
    assert "上次答复未被采纳" in _start(M, "2021-03", "run-A")[2]["ask"]["body"]
    decision = _answer(p, ev, "run-A", review.REJECT, note="认定名单与科技局公告不符")
    assert decision["status"] == "rejected"
    with pytest.raises(pipeline.BatchRejected, match="认定名单与科技局公告不符"):
        pipeline.issue_batch(p, ev, decision)
    assert ledger_rows(ops) == [] and batches.find(ops, pipeline._spec(p)) is None
    with ops.connect() as conn:
        sent = conn.execute(sa.text("SELECT recipient, kind FROM gxq_notify_outbox")).all()
    # each competent unit of the batch's policies is told why (monthly, examples off: U14 only)
    assert sorted(r for r, k in sent if k.startswith("policy_rejected:")) == ["U14"]
    assert (output.output_root() / M / "2021-03" / "review" / f"rejected_{decision['review_id']}_U14.md").exists()
    # a later run of the period evaluates afresh and asks again
    _p, _ev, again = _start(M, "2021-03", "run-C")
    assert again["ask"]["review_id"] != decision["review_id"]


def test_waiting_run_and_param_run_pay_once(dbs):
    dept, ops = dbs
    _data(dept, n=3)
    p, ev, start = _start(M, "2021-03", "run-wait")
    assert "ask" in start
    paid = pipeline.run(M, "2021-03", send=False, run_id="run-param", **AP)  # the paper approval wins
    assert paid["approval"]["via"] == "param" and len(paid["items"]) == 3
    assert [r["status"] for r in _reviews(ops)] == ["superseded", "approved"]
    late = _answer(p, ev, "run-wait", review.APPROVE)  # the UI answer comes after: the issued batch stands
    assert late["status"] == "issued_before"
    assert _finish(p, ev, late) == paid
    assert len(ledger_rows(ops)) == 3 and batches.ledger_duplicates(ops) == 0


def test_reminder_after_2_and_escalation_after_5_working_days_once(dbs):
    dept, ops = dbs
    _data(dept, n=2)
    _start(M, "2021-03", "run-A")
    with ops.begin() as conn:  # asked on Monday 2021-03-01 09:00 (Asia/Shanghai)
        conn.execute(review.reviews.update().values(requested_at=dt.datetime(2021, 3, 1, 1, 0)))

    def outbox():
        with ops.connect() as conn:
            return sorted((r, k.split(":")[0]) for r, k in conn.execute(sa.text(
                "SELECT recipient, kind FROM gxq_notify_outbox WHERE kind LIKE 'policy_review_%'")))

    assert review.check_waiting(ops, dt.date(2021, 3, 2))["reminded"] == []  # 1 working day
    assert outbox() == []
    assert review.check_waiting(ops, dt.date(2021, 3, 3))["reminded"] == ["monthly-2021-03"]  # 2 working days
    review.check_waiting(ops, dt.date(2021, 3, 4))
    assert outbox() == [("finance", "policy_review_reminder")]  # once
    assert review.check_waiting(ops, dt.date(2021, 3, 5))["escalated"] == []  # Friday: Mon..Thu, 4 working days
    assert review.check_waiting(ops, dt.date(2021, 3, 8))["escalated"] == ["monthly-2021-03"]
    assert outbox() == [("finance", "policy_review_reminder"), ("office", "policy_review_escalation")]
    row = _reviews(ops)[-1]
    assert row["reminded_at"] is not None and row["escalated_at"] is not None
    from gxq.dashboard.queries import reviews_section

    section = reviews_section(ops, dt.date(2021, 3, 8))
    assert [(r["batch_id"], r["age_working_days"], r["escalated"]) for r in section.rows] == [("monthly-2021-03", 5, True)]
    from gxq.dashboard.queries import TZ, dashboard_data
    from gxq.dashboard.render import render_dashboard

    # the 看板's row shows the batch's count of awards (a dict key named like dict.items)
    html = render_dashboard(dashboard_data(ops, dt.datetime(2021, 3, 8, 9, tzinfo=TZ)), now=dt.datetime(2021, 3, 8, 9))
    cells = html.split('id="reviews"', 1)[1].split("</section>", 1)[0]
    assert "built-in method" not in cells
    assert f'<td class="num">{section.rows[0]["items"]}</td>' in cells and section.rows[0]["items"] > 0
