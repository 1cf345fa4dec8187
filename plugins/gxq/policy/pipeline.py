"""The steps of the three 政策兑现 DAGs on the project's step contract (plan → compute → review →
issue_batch → render → publish → notify), as plain functions that run and test without Airflow.
After ``compute`` each step takes the run's plan and the evaluation's path first (:mod:`gxq.flow`). They pass small
dicts (the run plan) and file paths between them; the batch itself lives in gxq_ops.

The review (审核后报财政, :mod:`gxq.policy.review`) comes from the run's params (``approved_by`` +
``approval_ref``, and ``hold``) or, in Airflow, from a person in Required Actions. Outside Airflow
nobody can be asked: a new batch needs the params.

``python -m gxq.policy.pipeline --dag policy_redemption_monthly --period 2021-03 --approved-by 王某某
--approval-ref 高新财审〔2021〕12号`` runs one batch outside Airflow; ``--year 2021`` runs every month and
quarter of a year (the scheduled DAGs' batches).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from gxq import cadences, output, store
from gxq.connections import engine_for
from gxq.notify import Notice, deliver
from gxq.periods import TZ, PeriodError, parse_key
from gxq.policy import HOLD_FIELD, batches, catalogue, review
from gxq.policy import render as rendering
from gxq.policy.batches import Batch, BatchSpec, ledger_duplicates, ledger_totals
from gxq.policy.catalogue import PolicyParamError, parse_policy_ids
from gxq.policy.evaluate import Evaluation, check_columns
from gxq.policy.evaluate import evaluate as run_rules
from gxq.policy.model import money_json
from gxq.run import NothingToDo, Run, RunError

log = logging.getLogger(__name__)

# The 政策兑现 DAGs (gxq.cadences): their cadence (monthly | quarterly | adhoc) names the policies
# they pay, their period kinds what a period param may be.
POLICY_DAGS = {dag_id: cadences.get(dag_id) for dag_id in cadences.redemption_dags()}


def review_params(params: dict | None, triggered_by: str | None = None) -> dict:
    """The run's review params, validated at once: ``approved_by`` + ``approval_ref`` (an approval
    given outside the UI) and ``hold`` (awards to hold back, each with a note)."""
    params = params or {}
    try:
        approval = review.param_approval(params)
        holds = review.parse_holds(params.get("hold"))
    except review.ReviewError as exc:
        raise RunError(str(exc)) from None
    return {"approval": approval, "holds": holds, "triggered_by": triggered_by}


def plan(run: Run | dict) -> dict:
    """The step ``plan``: the run's batch (:func:`plan_batch` of its period, ``policy_ids`` and review
    params, checked before any query), once gxq_ops is migrated and dept_policy's columns checked."""
    run = Run.from_dict(run)
    p = plan_batch(run.dag_id, run.period.key, run.params.get("policy_ids"), run.dry_run, run.resend, run.run_id,
                   review=review_params(run.params, run.triggered_by))
    return check_schema(p)


def plan_batch(dag_id: str, period_key: str, policy_ids=None, dry_run: bool = False, resend: bool = False,
         run_id: str | None = None, review: dict | None = None) -> dict:
    """Validate the run's params before any query and fix what the run covers (its batch).
    ``review``: :func:`review_params` of the run (default: none given, a person is asked)."""
    if dag_id not in POLICY_DAGS:
        raise RunError(f"not a policy redemption DAG: {dag_id!r}")
    cadence = POLICY_DAGS[dag_id].frequency
    try:
        period = parse_key(period_key, POLICY_DAGS[dag_id].kinds)
    except PeriodError as exc:
        raise RunError(f"{dag_id}: period: {exc}") from None
    if cadence == "adhoc":
        try:
            ids = parse_policy_ids(policy_ids)
        except PolicyParamError as exc:
            raise RunError(f"{dag_id}: {exc}") from None
        asked = policy_ids not in (None, "", [])
        paid, skipped = catalogue.select([catalogue.get(pid) for pid in ids], period)
        if asked and skipped:  # named by the operator: refused, not silently left out
            raise RunError(f"{dag_id}: policy_ids: " + "; ".join(
                f"{pid} not paid ({catalogue.SKIP_REASONS[why]}"
                + (f", {catalogue.EXAMPLES_ENV}=1 turns examples on)" if why == "example" else ")")
                for pid, why in sorted(skipped.items())))
    else:
        if policy_ids not in (None, "", []):
            raise RunError(f"{dag_id}: policy_ids is an adhoc (随时兑现) param; scheduled runs pay their cadence's policies")
        paid, skipped = catalogue.select(catalogue.for_cadence(cadence), period)
    ids = [p.id for p in paid]
    if not ids:
        reasons = "; ".join(f"{pid} ({catalogue.SKIP_REASONS[why]})" for pid, why in sorted(skipped.items()))
        if cadence != "adhoc":  # e.g. the month before the programme's first rule is in force
            raise NothingToDo(f"{dag_id} {period.key}: 本期无可兑现的政策, 不出具批次 (未纳入: {reasons})")
        raise RunError(f"{dag_id} {period.key}: no rule to pay (skipped: {reasons})")
    if skipped:
        log.info("%s %s: rules skipped: %s", dag_id, period.key,
                 ", ".join(f"{pid} ({why})" for pid, why in sorted(skipped.items())))
    spec = BatchSpec(dag_id, cadence, period.key, tuple(ids))
    return {"dag_id": dag_id, "cadence": cadence, "period_key": period.key, "policy_ids": ids,
            "batch_id": spec.batch_id, "batch_key": spec.batch_key, "dry_run": bool(dry_run),
            "resend": bool(resend), "run_id": run_id,
            "review": review or {"approval": None, "holds": [], "triggered_by": None}}


def _spec(p: dict):
    return BatchSpec(p["dag_id"], p["cadence"], p["period_key"], tuple(p["policy_ids"]))


def run_dir(p: dict) -> Path:
    """Where the run's files go: the period folder (adhoc: its batch_id subfolder), and dry_run/ below it
    for a dry run. An issued run's report.json is always also at the contract path <dag_id>/<period>/."""
    base = output.period_dir(p["dag_id"], p["period_key"])
    if p["cadence"] == "adhoc":  # several adhoc batches may share a period: one folder each
        base = base / p["batch_id"]
        base.mkdir(parents=True, exist_ok=True)
    if p["dry_run"]:
        base = base / "dry_run"
        base.mkdir(parents=True, exist_ok=True)
    return base


def check_schema(p: dict) -> dict:
    """gxq_ops created/migrated first; dept_policy has every column the rules read."""
    store.ops_engine()
    check_columns(engine_for("dept_policy"))
    return p


def compute(p: dict) -> str:
    """Every candidate award of the run's policies up to the period's end; path of its JSON."""
    period = parse_key(p["period_key"])
    policies = [catalogue.get(pid) for pid in p["policy_ids"]]
    ev = run_rules(engine_for("dept_policy"), period, policies, with_commitments=p["cadence"] == "quarterly")
    path = run_dir(p) / f".evaluation-{p['batch_id']}.json"
    output.write_text(path, json.dumps(ev.to_json(), ensure_ascii=False))
    log.info("%s %s: %d candidate award(s), %d data problem(s), %d shortfall(s)", p["dag_id"],
             p["period_key"], len(ev), len(ev.data_problems), len(ev.shortfalls))
    return str(path)


class BatchRejected(RuntimeError):
    """The reviewer rejected the batch: nothing is issued."""


class BatchSuperseded(BatchRejected):
    """The batch was issued by another run while this run's review waited: this run issues nothing."""


def _evaluation(path: str):
    return Evaluation.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def _now_local() -> str:
    return dt.datetime.now(TZ).replace(microsecond=0).isoformat()


def review_start(p: dict, evaluation_path: str, *, run_id: str | None = None, task_id: str | None = None,
                 map_index: int | None = None, can_ask: bool = True, base_url: str | None = None) -> dict:
    """Before a batch is issued: ``{"decision": {...}}`` when nobody needs to be asked (dry run,
    batch issued before, approval in the params or already given), else ``{"ask": {...}}`` (the
    request: subject, Markdown body, approvers, review_id) after recording it as waiting.
    A malformed or unknown ``hold`` fails here, before anything is issued."""
    if p["dry_run"]:
        return {"decision": {"status": "dry_run"}}
    engine = store.ops_engine()
    spec = _spec(p)
    existing = batches.find(engine, spec)
    if existing is not None:  # a rerun of an issued batch: reproduced, nobody asked
        return {"decision": {**(existing.approval or {}), "status": "issued_before"}}
    rv = p.get("review") or {}
    ev = _evaluation(evaluation_path)
    holds = rv.get("holds") or []
    try:
        review.check_holds(holds, batches.unpaid(engine, spec, ev))
    except review.ReviewError as exc:
        raise RunError(f"{p['dag_id']} {p['period_key']}: {exc}") from None
    if rv.get("approval"):
        decision = {**rv["approval"], "status": "approved", "note": None, "holds": holds,
                    "decided_at": _now_local(), "triggered_by": rv.get("triggered_by")}
        decision["review_id"] = review.record_decision(engine, p, decision, run_id=run_id)
        log.info("%s %s: approved by %s (%s), via param; %d hold(s)", p["dag_id"], p["period_key"],
                 decision["by"], decision["ref"], len(holds))
        return {"decision": decision}
    given = review.approved_unissued(engine, p["batch_key"])
    if given is not None:
        return {"decision": given}
    if not can_ask:
        raise RunError(f"{p['dag_id']} {p['period_key']}: batch {p['batch_id']} needs an approval: "
                             "give approved_by and approval_ref (审核后报财政)")
    return _ask(p, ev, engine, run_id=run_id, task_id=task_id, map_index=map_index, holds=holds, base_url=base_url)


def _ask(p: dict, ev, engine, *, run_id, task_id, map_index, holds, base_url, problem: str | None = None) -> dict:
    batch = batches.preview(engine, _spec(p), ev, holds, status="review")
    folder = run_dir(p) / "review"
    xlsx = rendering.workbook(batch, folder / f"finance_batch_{batch.batch_id}_draft.xlsx", True)
    html = rendering.publicity_html(batch, folder / "publicity_draft.html", True)
    base = (base_url or "").rstrip("/")
    rel = folder.relative_to(output.output_root()).as_posix()
    links = {"workbook_name": xlsx.name, "publicity_name": html.name,
             "workbook": f"{base}/gxq/files/{rel}/{xlsx.name}", "publicity": f"{base}/gxq/files/{rel}/{html.name}"}
    approvers = review.resolve_approvers(review.approver_spec(p["cadence"]), _simple_auth_users())
    previous = review.previous_batch(engine, p["cadence"], p["batch_key"], p["period_key"])
    rv = p.get("review") or {}
    problem = problem or review.last_problem(engine, p["batch_key"], run_id)
    view = review.build_view(batch, previous, links, run_id, rv.get("triggered_by"), holds, approvers, problem)
    try:
        review_id = review.open_request(engine, p, run_id=run_id, task_id=task_id, map_index=map_index,
                                        summary=view.summary, approvers=approvers,
                                        triggered_by=rv.get("triggered_by"))
    except review.ReviewBusy as exc:
        raise RunError(str(exc)) from None
    output.write_text(folder / "review_request.md", f"# {view.subject}\n\n{view.body}")
    log.info("%s %s: batch %s waits for review (request %s; approvers %s)", p["dag_id"], p["period_key"],
             p["batch_id"], review_id, approvers or "any user allowed to answer")
    return {"ask": {"subject": view.subject, "body": view.body, "approvers": approvers, "review_id": review_id,
                    "hold_text": "\n".join(" | ".join(h[f] for f in review.HOLD_FIELDS) for h in holds)}}


def _simple_auth_users() -> str | None:
    """``[core] simple_auth_manager_users`` (user:role pairs), to expand ``role:`` approvers."""
    value = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS")
    if value is not None:
        return value
    try:
        from airflow.configuration import conf
    except ImportError:  # outside Airflow
        return None
    return conf.get("core", "simple_auth_manager_users", fallback=None)


def review_answer(p: dict, evaluation_path: str, *, run_id: str | None, chosen: list[str], params_input: dict,
                  responded_by: dict | None, responded_at) -> dict:
    """The reviewer's answer from Required Actions: stored with the request; the decision
    (approved with its holds, or rejected with the reason). An answer that cannot be taken
    (unknown award, hold without note, rejection without reason) raises RunError."""
    engine = store.ops_engine()
    spec = _spec(p)
    existing = batches.find(engine, spec)
    option = chosen[0] if chosen else None
    if option == review.SUPERSEDED:
        return _superseded(p, engine, existing, run_id=run_id, params_input=params_input or {},
                           responded_by=responded_by, responded_at=responded_at)
    if existing is not None:  # issued meanwhile by another run (approved by param): that batch stands
        log.warning("%s %s: answer %s came after batch %s was issued (%s); the issued batch stands",
                    p["dag_id"], p["period_key"], chosen, p["batch_id"], (existing.approval or {}).get("via"))
        return {**(existing.approval or {}), "status": "issued_before"}
    with engine.connect() as conn:
        review_id = conn.execute(sa.select(review.reviews.c.review_id).where(
            review.reviews.c.open_key == p["batch_key"], review.reviews.c.run_id == run_id)).scalar()
    params_input = params_input or {}
    note = (params_input.get("note") or "").strip() or None
    ref = (params_input.get("ref") or "").strip() or f"Airflow 待办审核 {p['dag_id']}/{run_id}"
    by = (responded_by or {}).get("name") or (responded_by or {}).get("id") or "unknown"
    at = responded_at if isinstance(responded_at, dt.datetime) else dt.datetime.fromisoformat(str(responded_at))
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    decided_at = at.astimezone(TZ).replace(microsecond=0).isoformat()
    try:
        if option == review.REJECT:
            if not note:
                raise review.ReviewError("a rejection needs its reason in 意见 (note)")
            holds = []
            status = "rejected"
        elif option in (review.APPROVE, review.APPROVE_WITH_HOLDS):
            holds = review.parse_holds(params_input.get(HOLD_FIELD))
            if option == review.APPROVE_WITH_HOLDS and not holds:
                raise review.ReviewError(f"{option!r} chosen without any award in 暂缓奖励 ({HOLD_FIELD})")
            review.check_holds(holds, batches.unpaid(engine, spec, _evaluation(evaluation_path)))
            status = "approved"
        else:
            raise review.ReviewError(f"unknown answer {chosen!r}")
    except review.ReviewError as exc:
        if review_id is not None:  # the request stays this run's: clearing the task asks again
            review.note_problem(engine, review_id, str(exc))
        raise RunError(f"{p['dag_id']} {p['period_key']}: the answer of {by} cannot be taken: {exc}; "
                             "nothing was issued; clear the review task to ask again") from None
    decision = {"status": status, "by": by, "ref": ref[:250], "via": "ui", "note": note, "holds": holds,
                "decided_at": decided_at, "triggered_by": (p.get("review") or {}).get("triggered_by")}
    decision["review_id"] = review.record_decision(engine, p, decision, review_id=review_id, run_id=run_id)
    log.info("%s %s: %s by %s at %s (%d hold(s))", p["dag_id"], p["period_key"], status, by, decided_at, len(holds))
    if status == "rejected":
        _tell_rejection(p, decision)
    return decision


def _superseded(p: dict, engine, existing, *, run_id, params_input: dict, responded_by, responded_at) -> dict:
    """The answer :data:`review.SUPERSEDED` (policy_review_watch's, through the REST API): taken only
    when the batch really was issued by another run; the request is closed and this run issues nothing."""
    review_id = review.request_of(engine, p["batch_key"], run_id)
    if existing is None:
        problem = f"{review.SUPERSEDED!r} chosen but batch {p['batch_id']} has not been issued"
        if review_id is not None:
            review.note_problem(engine, review_id, problem)
        raise RunError(f"{p['dag_id']} {p['period_key']}: the answer cannot be taken: {problem}; "
                             "nothing was issued; clear the review task to ask again")
    by = (responded_by or {}).get("name") or (responded_by or {}).get("id") or "unknown"
    at = responded_at if isinstance(responded_at, dt.datetime) else dt.datetime.fromisoformat(str(responded_at))
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    note = (params_input.get("note") or "").strip() or f"批次 {p['batch_id']} 已由其他运行出具"
    decision = {"status": "superseded", "by": by, "ref": None, "via": "ui", "note": note, "holds": [],
                "decided_at": at.astimezone(TZ).replace(microsecond=0).isoformat(),
                "triggered_by": (p.get("review") or {}).get("triggered_by")}
    decision["review_id"] = review.record_decision(engine, p, decision, review_id=review_id, run_id=run_id)
    log.info("%s %s: review closed by %s as superseded: %s", p["dag_id"], p["period_key"], by, note)
    return decision


def _tell_rejection(p: dict, decision: dict) -> None:
    """A rejected batch: each competent unit of its policies is told why (through the outbox)."""
    units: dict[str, list[str]] = {}
    for pid in p["policy_ids"]:
        pol = catalogue.CATALOGUE.get(pid)
        if pol:
            units.setdefault(pol.competent_unit, []).append(pid)
    notices = []
    for unit, pids in sorted(units.items()):
        subject, body = rendering._subject_body(
            "review_rejected.md.j2", unit_name=catalogue.CATALOGUE[pids[0]].competent_unit_name, batch_id=p["batch_id"],
            period_key=p["period_key"], cadence_cn=cadences.get(p["dag_id"]).label,
            policies=[catalogue.CATALOGUE[x].name for x in pids], by=decision["by"],
            decided_at=decision["decided_at"], note=decision["note"])
        notices.append(Notice(recipient=unit, kind=f"policy_rejected:{p['batch_id']}:{decision['review_id']}",
                              subject=subject, body=body))
        output.write_text(run_dir(p) / "review" / f"rejected_{decision['review_id']}_{unit}.md", f"# {subject}\n\n{body}")
    deliver(p["dag_id"], p["period_key"], notices, run_id=p.get("run_id"))


def issue_batch(p: dict, evaluation_path: str, decision: dict | None = None) -> str:
    """Issue the approved batch (one transaction, frozen once issued) or, on a dry run, preview it.
    A rejected batch raises :class:`BatchRejected`; a batch needs an approval to be issued."""
    ev = _evaluation(evaluation_path)
    engine = store.ops_engine()
    decision = decision or {}
    status = decision.get("status")
    if p["dry_run"]:
        batch = batches.preview(engine, _spec(p), ev)
    elif status == "superseded":
        raise BatchSuperseded(f"batch {p['batch_id']}: this run's review was closed by {decision.get('by')} at "
                              f"{decision.get('decided_at')}: {decision.get('note')}")
    elif status == "rejected":
        raise BatchRejected(f"batch {p['batch_id']} rejected by {decision.get('by')} at {decision.get('decided_at')}: "
                            f"{decision.get('note')}; nothing issued")
    elif status == "approved":
        batch = batches.issue(engine, _spec(p), ev, run_id=p.get("run_id"), approval=decision)
    elif status == "issued_before":
        batch = batches.find(engine, _spec(p))
        if batch is None:
            raise RunError(f"batch {p['batch_id']} was issued before but is not in gxq_ops")
    else:
        raise RunError(f"batch {p['batch_id']}: no approval, nothing issued (审核后报财政)")
    log.info("batch %s (%s): %d item(s), %s yuan, %d withheld%s", batch.batch_id, batch.status,
             len(batch.items), batch.total_amount, len(batch.withheld),
             "; newly issued" if batch.newly_issued else "; as issued before (frozen)")
    path = run_dir(p) / "batch.json"
    output.write_text(path, json.dumps(batch.to_json(), ensure_ascii=False, indent=1))
    return str(path)


def _load_batch(path: str):
    return Batch.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def render(p: dict, evaluation_path: str, batch_path: str) -> dict:
    """Workbook, 兑现公示 HTML and the notices; returns {files, notices}."""
    batch = _load_batch(batch_path)
    folder = run_dir(p)
    dry = p["dry_run"] or batch.status == "dry_run"
    xlsx = rendering.workbook(batch, folder / f"finance_batch_{batch.batch_id}.xlsx", dry)
    html = rendering.publicity_html(batch, folder / "publicity.html", dry)
    notices = rendering.notices(batch, xlsx, dry)
    for n in notices:  # a readable copy of each notice beside the report
        name = f"notice_{n['recipient']}_{n['kind'].split(':')[0]}.md"
        output.write_text(folder / "notices" / name, f"# {n['subject']}\n\n{n['body']}")
    return {"files": [xlsx.name, html.name], "notices": notices}


def build_report(batch, files: list[str] | None = None) -> dict:
    """report.json (docs/reference.md keys; extra keys allowed): identical for a rerun of a frozen batch."""
    def award(a: dict, *extra: str) -> dict:
        d = {"policy_id": a["policy_id"], "credit_code": a["credit_code"], "basis_id": a["basis_id"]}
        for k in extra:
            d[k] = money_json(a[k]) if k == "amount" else a[k]
        return d

    key = lambda a: (a["policy_id"], a["credit_code"], a["basis_id"])
    ap = batch.approval
    report = {
        "period": batch.period_key,
        "cadence": batch.cadence,
        "batch_id": batch.batch_id,
        "approval": {"by": ap["by"], "ref": ap["ref"], "via": ap["via"]} if ap else None,
        "items": [award(a, "amount") for a in sorted(batch.items, key=key)],
        "withheld": [award(a, "reason") for a in sorted(batch.withheld, key=key)],
        "total_amount": money_json(batch.total_amount),
        "commitment_shortfalls": [
            {"commitment_id": s["commitment_id"], "credit_code": s["credit_code"],
             "promised_amount": s["promised_amount"], "fulfilled_amount": s["fulfilled_amount"],
             "kind": s.get("kind"), "due_on": s.get("due_on")}
            for s in sorted(batch.shortfalls, key=lambda s: s["commitment_id"])
        ] if batch.cadence == "quarterly" else [],
        # extra keys
        "status": batch.status,
        "issued_at": batch.issued_at,
        "policy_ids": list(batch.policy_ids),
        # the rules evaluated, and the cadence's others skipped (examples not enabled, not in force)
        "rules": catalogue.rules_of(batch.cadence, parse_key(batch.period_key), batch.policy_ids),
        "by_policy": [{k: row[k] for k in ("policy_id", "count", "amount", "withheld", "withheld_amount")}
                      for row in rendering.summary(batch)],
        "data_problems": sorted(batch.data_problems, key=lambda d: (d["policy_id"], d["application_id"])),
        "review": {"decided_at": ap.get("decided_at"), "note": ap.get("note"), "triggered_by": ap.get("triggered_by"),
                   "holds": ap.get("holds") or []} if ap else None,
    }
    for row in report["by_policy"]:
        row["amount"] = money_json(row["amount"])
        row["withheld_amount"] = money_json(row["withheld_amount"])
    if files is not None:
        report["files"] = sorted(files)
    return report


def publish(p: dict, evaluation_path: str, batch_path: str, rendered: dict) -> str:
    """Write report.json last (dry runs: under dry_run/, not recorded in gxq_ops)."""
    batch = _load_batch(batch_path)
    report = build_report(batch, rendered.get("files"))
    if p["dry_run"]:
        report["dry_run"] = True
        path = output.write_text(run_dir(p) / "report.json", output.report_json(report))
    else:
        if p["cadence"] == "adhoc":  # the batch's own copy, beside its files
            output.write_text(run_dir(p) / "report.json", output.report_json(report))
        path = output.write_report(p["dag_id"], p["period_key"], report)
        store.record_report(store.ops_engine(), p["dag_id"], p["period_key"], report, run_id=p.get("run_id"))
    return str(path)


def notify(p: dict, evaluation_path: str, rendered: dict) -> dict:
    """Send the notices through the outbox (dry run: recorded, not sent)."""
    notices = [Notice(recipient=n["recipient"], kind=n["kind"], subject=n["subject"], body=n["body"],
                      attachments=list(n.get("attachments") or [])) for n in rendered["notices"]]
    result = deliver(p["dag_id"], p["period_key"], notices, dry_run=p["dry_run"], resend=p["resend"],
                     run_id=p.get("run_id"))
    return result.to_dict()


def run(dag_id: str, period_key: str, policy_ids=None, dry_run: bool = False, resend: bool = False,
        run_id: str | None = None, send: bool = True, approved_by: str | None = None,
        approval_ref: str | None = None, hold=None, triggered_by: str | None = None) -> dict:
    """Every step in order, outside Airflow; returns the report. A new batch needs
    ``approved_by`` + ``approval_ref`` (nobody can be asked here); a rerun of an issued one does not."""
    rv = review_params({"approved_by": approved_by, "approval_ref": approval_ref, "hold": hold}, triggered_by)
    p = check_schema(plan_batch(dag_id, period_key, policy_ids, dry_run, resend, run_id, review=rv))
    evaluation_path = compute(p)
    decision = review_start(p, evaluation_path, run_id=run_id, can_ask=False)["decision"]
    batch_path = issue_batch(p, evaluation_path, decision)
    rendered = render(p, evaluation_path, batch_path)
    report_path = publish(p, evaluation_path, batch_path, rendered)
    if send:
        notify(p, evaluation_path, rendered)
    return json.loads(Path(report_path).read_text(encoding="utf-8"))


def year_periods(year: int) -> list[tuple[str, str]]:
    """(dag_id, period) of every scheduled batch of a year, in the order the schedule issues them."""
    out = []
    for m in range(1, 13):
        out.append((cadences.dag_of("policy", "monthly"), f"{year}-{m:02d}"))
        if m % 3 == 0:
            out.append((cadences.dag_of("policy", "quarterly"), f"{year}-Q{m // 3}"))
    return out


def year_holds(dag_id: str, period_key: str, per_batch: int, held_before: set) -> list[dict]:
    """For ``--hold-per-batch``: the first awards (by key) of the batch not held before, as a reviewer
    holding them would (each with a note)."""
    if per_batch <= 0:
        return []
    p = check_schema(plan_batch(dag_id, period_key))
    if batches.find(store.ops_engine(), _spec(p)) is not None:
        return []
    ev = _evaluation(compute(p))
    withheld_other = {key for key, reason in zip(ev.identities(), ev.awards["withhold_reason"]) if reason}
    keys = sorted(batches.unpaid(store.ops_engine(), _spec(p), ev) - withheld_other - held_before)[:per_batch]
    return [{"policy_id": k[0], "credit_code": k[1], "basis_id": k[2], "note": "演示:暂缓待核"} for k in keys]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="政策兑现 batches outside Airflow")
    ap.add_argument("--dag", choices=sorted(POLICY_DAGS))
    ap.add_argument("--period")
    ap.add_argument("--policy-ids", default=None, help="adhoc: comma-separated policy ids")
    ap.add_argument("--year", type=int, help="run every month and quarter of the year")
    ap.add_argument("--times", type=int, default=1, help="with --year: run the whole year this many times")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--no-send", action="store_true", help="skip the notify step")
    ap.add_argument("--approved-by", help="the approver's name (审核后报财政; a new batch needs it)")
    ap.add_argument("--approval-ref", help="the 签批 / 文件 number of the approval")
    ap.add_argument("--hold", help='awards to hold: JSON list of {"policy_id","credit_code","basis_id","note"}')
    ap.add_argument("--hold-per-batch", type=int, default=0,
                    help="with --year: hold this many awards of each new batch (the first by key not held before)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    approval = {"approved_by": args.approved_by, "approval_ref": args.approval_ref, "triggered_by": "cli"}
    if args.year:
        first: dict = {}
        changed = 0
        held_before: set = set()
        for n in range(args.times):
            for dag_id, key in year_periods(args.year):
                holds = year_holds(dag_id, key, args.hold_per_batch, held_before) if not args.dry_run else []
                held_before |= {(h["policy_id"], h["credit_code"], h["basis_id"]) for h in holds}
                rep = run(dag_id, key, dry_run=args.dry_run, send=not args.no_send, hold=holds, **approval)
                if n == 0:
                    first[(dag_id, key)] = rep
                elif rep != first[(dag_id, key)]:
                    changed += 1
        per_policy = defaultdict(lambda: [0, 0])
        paid = set()
        for rep in first.values():
            for item in rep["items"]:
                per_policy[item["policy_id"]][0] += 1
                per_policy[item["policy_id"]][1] += item["amount"]
                paid.add((item["policy_id"], item["credit_code"], item["basis_id"]))
        withheld_open = {(w["policy_id"], w["credit_code"], w["basis_id"])
                         for w in first[year_periods(args.year)[-1]]["withheld"]}
        print(f"{'policy':32s} {'awards':>7s} {'paid (yuan)':>17s}")
        for pid in sorted(catalogue.CATALOGUE):
            n, amount = per_policy.get(pid, (0, 0))
            print(f"{pid:32s} {n:7d} {amount:17,.2f}")
        print(f"{'TOTAL':32s} {sum(v[0] for v in per_policy.values()):7d} "
              f"{sum(v[1] for v in per_policy.values()):17,.2f}")
        engine = store.ops_engine()
        ledger_n, ledger_sum = ledger_totals(engine)
        print(f"ledger rows {ledger_n}, ledger total {ledger_sum:,.2f}; still withheld at year end "
              f"{len(withheld_open)}; passes {args.times}; rerun reports that differ from the first: {changed}; "
              f"ledger duplicates: {ledger_duplicates(engine)}")
        if args.hold_per_batch:
            print(f"held by review: {len(held_before)}; of them paid later in the year: {len(held_before & paid)}; "
                  f"not paid by year end (held in the year's last batches): {len(held_before - paid)}; "
                  f"awards paid twice: {ledger_duplicates(engine)}")
        return 0
    if not (args.dag and args.period):
        ap.error("--dag and --period, or --year")
    hold = json.loads(args.hold) if args.hold else None
    rep = run(args.dag, args.period, args.policy_ids, dry_run=args.dry_run, send=not args.no_send, hold=hold, **approval)
    print(json.dumps({k: rep[k] for k in ("period", "batch_id", "total_amount", "approval")}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
