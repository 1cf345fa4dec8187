"""审核后报财政: every batch is approved by a person before it goes to ``finance``.

A batch is reviewed between evaluation and issue. The review either

- comes with the run (params ``approved_by`` + ``approval_ref``: a signed paper 签批, an acceptance
  run; ``via`` "param"), and the run does not wait; or
- is asked of a person in Airflow's Required Actions (``via`` "ui"); the run waits, with no
  approval on timeout. The reviewer approves, approves while holding single awards back with a
  note (withheld as ``held_by_review``; they come back in later batches), or rejects the whole
  batch with a reason (nothing is issued; a later run of the period evaluates afresh).

This module is the part that runs without Airflow: holds (parse, check), who may answer, the
review request's Markdown body, and the ``policy_reviews`` rows in gxq_ops (one waiting request
per batch: the unique ``open_key``). The operator that waits is :class:`gxq.policy.steps.BatchReview`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass

import sqlalchemy as sa

from gxq import cadences
from gxq.periods import TZ
from gxq.policy import APPROVE, APPROVE_WITH_HOLDS, HOLD_FIELD, OPTIONS, REJECT, SUPERSEDED  # noqa: F401

metadata = sa.MetaData()

reviews = sa.Table(
    "policy_reviews", metadata,
    sa.Column("review_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_key", sa.String(600), nullable=False),
    sa.Column("batch_id", sa.String(120), nullable=False),
    sa.Column("dag_id", sa.String(100), nullable=False),
    sa.Column("cadence", sa.String(20), nullable=False),
    sa.Column("period_key", sa.String(20), nullable=False),
    sa.Column("run_id", sa.String(250)),
    sa.Column("task_id", sa.String(250)),
    sa.Column("map_index", sa.Integer),
    sa.Column("status", sa.String(20), nullable=False),  # waiting | approved | rejected | superseded
    sa.Column("open_key", sa.String(600), unique=True),  # batch_key while waiting, else NULL
    sa.Column("requested_at", sa.DateTime, nullable=False),
    sa.Column("decided_at", sa.DateTime),
    sa.Column("decided_by", sa.String(250)),
    sa.Column("via", sa.String(10)),
    sa.Column("ref", sa.String(250)),
    sa.Column("note", sa.Text),
    sa.Column("holds_json", sa.Text, nullable=False),
    sa.Column("triggered_by", sa.String(250)),
    sa.Column("approvers", sa.Text),
    sa.Column("summary_json", sa.Text),
    sa.Column("reminded_at", sa.DateTime),
    sa.Column("escalated_at", sa.DateTime),
)

HELD = "held_by_review"
HOLD_FIELDS = ("policy_id", "credit_code", "basis_id", "note")
# Who may answer when nothing is configured: the Airflow users with the role admin.
DEFAULT_APPROVERS = "role:admin"
REMIND_AFTER_WORKING_DAYS = 2
ESCALATE_AFTER_WORKING_DAYS = 5


class ReviewError(ValueError):
    """A review that cannot be taken as given (bad hold, approval without reference, ...)."""


class ReviewBusy(ReviewError):
    """Another run already asks for the review of this batch: no second request."""


# ---------------------------------------------------------------- holds and paper approvals


def parse_holds(value) -> list[dict]:
    """The awards to hold: a list of {policy_id, credit_code, basis_id, note}, from the run param
    (a list, or its JSON text) or from the Required Actions form (one award a line:
    ``policy_id | credit_code | basis_id | 备注``). Sorted by award; a clear error when malformed."""
    if value in (None, "", []):
        return []
    items: list
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ReviewError(f"hold: not valid JSON ({exc.msg} at {exc.pos})") from None
        else:
            items = []
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                parts = [p.strip() for p in re.split(r"[|｜]", line, maxsplit=3)]
                if len(parts) < 3:
                    raise ReviewError(f"hold line {n}: expected 'policy_id | credit_code | basis_id | 备注', got {line!r}")
                items.append(dict(zip(HOLD_FIELDS, parts + [""] * (4 - len(parts)))))
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ReviewError(f"hold must be a list of awards, got {type(value).__name__}")
    out: dict[tuple, dict] = {}
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ReviewError(f"hold #{n}: an award is an object with {', '.join(HOLD_FIELDS)}, got {item!r}")
        unknown = set(item) - set(HOLD_FIELDS)
        if unknown:
            raise ReviewError(f"hold #{n}: unknown field(s) {sorted(unknown)}")
        award = {}
        for f in HOLD_FIELDS:
            v = item.get(f)
            if not isinstance(v, str) or not v.strip():
                what = "a note (备注: why it is held)" if f == "note" else f
                raise ReviewError(f"hold #{n} ({item.get('policy_id')}, {item.get('credit_code')}, "
                                  f"{item.get('basis_id')}): missing {what}")
            award[f] = v.strip()
        key = (award["policy_id"], award["credit_code"], award["basis_id"])
        if key in out:
            raise ReviewError(f"hold #{n}: award {key} is listed twice")
        out[key] = award
    return [out[k] for k in sorted(out)]


def check_holds(holds: list[dict], open_awards: set[tuple[str, str, str]]) -> None:
    """Every held award must be an award of this batch (a candidate not paid before)."""
    unknown = [(h["policy_id"], h["credit_code"], h["basis_id"]) for h in holds
               if (h["policy_id"], h["credit_code"], h["basis_id"]) not in open_awards]
    if unknown:
        shown = ", ".join("/".join(k) for k in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ReviewError(f"hold: {len(unknown)} award(s) not in this batch (unknown or already paid): {shown}{more}")


def param_approval(params: dict) -> dict | None:
    """The approval given with the run (``approved_by`` + ``approval_ref``), or None."""
    by = (params.get("approved_by") or "").strip() if isinstance(params.get("approved_by"), str) else params.get("approved_by")
    ref = (params.get("approval_ref") or "").strip() if isinstance(params.get("approval_ref"), str) else params.get("approval_ref")
    if by in (None, "") and ref in (None, ""):
        return None
    if not isinstance(by, str) or not by:
        raise ReviewError("approval_ref given without approved_by (the approver's name)")
    if not isinstance(ref, str) or not ref:
        raise ReviewError("approved_by needs approval_ref (the 签批 or 文件 number of the approval)")
    return {"by": by[:250], "ref": ref[:250], "via": "param"}


# ---------------------------------------------------------------- who may answer


def approver_spec(cadence: str) -> list[str]:
    """Configured approvers of a cadence: ``GXQ_APPROVERS_<CADENCE>`` (else ``GXQ_APPROVERS``,
    else ``role:admin``), comma-separated entries ``user:<name>`` or ``role:<role>`` (a bare
    name is a user)."""
    raw = os.environ.get(f"GXQ_APPROVERS_{cadence.upper()}") or os.environ.get("GXQ_APPROVERS") or DEFAULT_APPROVERS
    out = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        out.append(part if part.startswith(("user:", "role:")) else f"user:{part}")
    return out


def resolve_approvers(spec: list[str], users_roles: str | None) -> list[str]:
    """User names of the spec; ``role:<r>`` expands through the simple auth manager's
    ``user:role`` list (``[core] simple_auth_manager_users``). Sorted, unique."""
    roles: dict[str, list[str]] = {}
    for pair in (users_roles or "").split(","):
        if ":" in pair:
            user, role = (s.strip() for s in pair.split(":", 1))
            roles.setdefault(role, []).append(user)
    names = set()
    for entry in spec:
        kind, _, name = entry.partition(":")
        if kind == "role":
            names.update(roles.get(name, []))
        else:
            names.add(name)
    return sorted(n for n in names if n)


# ---------------------------------------------------------------- the request body


@dataclass
class ReviewView:
    """What the reviewer reads about one batch (built from its preview)."""

    subject: str
    body: str
    summary: dict  # counts and totals, kept with the request (看板, reminders)


def previous_batch(engine, cadence: str, batch_key: str, period_key: str) -> dict | None:
    """The last issued batch of the same cadence before this one (by period, adhoc: by issue time)."""
    from gxq.policy.batches import batches

    q = sa.select(batches.c.batch_id, batches.c.period_key, batches.c.item_count, batches.c.total_amount,
                  batches.c.issued_at).where(batches.c.cadence == cadence, batches.c.batch_key != batch_key)
    if cadence != "adhoc":
        q = q.where(batches.c.period_key < period_key).order_by(batches.c.period_key.desc())
    else:
        q = q.order_by(batches.c.issued_at.desc())
    with engine.connect() as conn:
        row = conn.execute(q.limit(1)).mappings().first()
    if row is None:
        return None
    return {"batch_id": row["batch_id"], "period_key": row["period_key"], "item_count": row["item_count"],
            "total_amount": float(row["total_amount"])}


def build_view(batch, previous: dict | None, links: dict, run_id: str | None, triggered_by: str | None,
               holds: list[dict] | None = None, approvers: list[str] | None = None,
               problem: str | None = None) -> ReviewView:
    """The Markdown request (Chinese) from the batch preview: per policy, change against the
    previous batch, ten largest awards, withheld, data problems, 双承诺, links to the drafts."""
    from gxq.masking import mask_text
    from gxq.policy import render as r
    from gxq.policy.evaluate import PROBLEMS
    from gxq.policy.model import money

    rows = r.summary(batch)
    total = float(batch.total_amount)
    count = len(batch.items)
    withheld_total = float(sum((money(w["amount"]) for w in batch.withheld), money(0)))
    change = None
    if previous is not None:
        d_total = total - previous["total_amount"]
        change = {**previous, "d_count": count - previous["item_count"], "d_total": d_total,
                  "pct": (d_total / previous["total_amount"] * 100) if previous["total_amount"] else None}
    name = lambda a: mask_text(a.get("enterprise_name") or a["credit_code"])
    top = sorted(batch.items, key=lambda a: (-money(a["amount"]), a["policy_id"], a["credit_code"], a["basis_id"]))[:10]
    top_rows = [{"policy_id": a["policy_id"], "name": name(a), "credit_code": a["credit_code"],
                 "basis_id": a["basis_id"], "amount": float(a["amount"])} for a in top]
    limit = 50
    withheld_rows = [{"policy_id": w["policy_id"], "name": name(w), "credit_code": w["credit_code"],
                      "basis_id": w["basis_id"], "amount": float(w["amount"]),
                      "reason": r.REASON_CN.get(w["reason"], w["reason"])} for w in batch.withheld[:limit]]
    problems = [{**d, "label": PROBLEMS.get(d["problem"], d["problem"])} for d in batch.data_problems[:limit]]
    shortfalls = batch.shortfalls[:limit]
    subject, body = r._subject_body(
        "review_request.md.j2", batch=batch, cadence_cn=cadences.get(batch.dag_id).label,
        summary=rows, count=count, total=total, withheld_count=len(batch.withheld), withheld_total=withheld_total,
        change=change, top=top_rows, withheld=withheld_rows, withheld_more=max(0, len(batch.withheld) - limit),
        problems=problems, problems_more=max(0, len(batch.data_problems) - limit), shortfalls=shortfalls,
        shortfalls_more=max(0, len(batch.shortfalls) - limit), links=links, run_id=run_id,
        triggered_by=r.trigger_words(triggered_by) if triggered_by else None, holds=holds or [],
        approvers=approvers or [], problem=problem,
        options={"approve": APPROVE, "hold": APPROVE_WITH_HOLDS, "reject": REJECT, "superseded": SUPERSEDED})
    summary = {"items": count, "total_amount": total, "withheld": len(batch.withheld),
               "data_problems": len(batch.data_problems), "shortfalls": len(batch.shortfalls)}
    return ReviewView(subject, body, summary)


# ---------------------------------------------------------------- policy_reviews rows


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def local_iso(naive_utc: dt.datetime | None) -> str | None:
    if naive_utc is None:
        return None
    return naive_utc.replace(tzinfo=dt.UTC).astimezone(TZ).isoformat(timespec="seconds")


def _base(plan: dict) -> dict:
    return {"batch_key": plan["batch_key"], "batch_id": plan["batch_id"], "dag_id": plan["dag_id"],
            "cadence": plan["cadence"], "period_key": plan["period_key"]}


def open_request(engine, plan: dict, *, run_id: str | None, task_id: str | None, map_index: int | None,
                 summary: dict, approvers: list[str], triggered_by: str | None,
                 now: dt.datetime | None = None) -> int:
    """Record that this run asks for the batch's review; returns the review_id. The same run
    asking again (a retry, a cleared task) refreshes its own request; another run asking while
    one waits raises :class:`ReviewBusy` (one waiting request per batch)."""
    now = now or _now()
    values = {**_base(plan), "run_id": run_id, "task_id": task_id, "map_index": map_index, "status": "waiting",
              "open_key": plan["batch_key"], "requested_at": now, "holds_json": "[]", "triggered_by": triggered_by,
              "approvers": ",".join(approvers), "summary_json": json.dumps(summary, ensure_ascii=False)}
    with engine.begin() as conn:
        row = conn.execute(sa.select(reviews.c.review_id, reviews.c.run_id, reviews.c.requested_at)
                           .where(reviews.c.open_key == plan["batch_key"])).first()
        if row is not None:
            if row.run_id != run_id:
                raise ReviewBusy(f"batch {plan['batch_id']} already waits for review in run {row.run_id} "
                                 f"(asked {local_iso(row.requested_at)}): answer it there; this run asks nobody again")
            conn.execute(reviews.update().where(reviews.c.review_id == row.review_id).values(
                task_id=task_id, map_index=map_index, summary_json=values["summary_json"],
                approvers=values["approvers"]))
            return row.review_id
        try:
            return conn.execute(reviews.insert().values(**values)).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            pass
    # lost the race for open_key: another run asked at the same moment
    with engine.connect() as conn:
        other = conn.execute(sa.select(reviews.c.run_id).where(reviews.c.open_key == plan["batch_key"])).scalar()
    raise ReviewBusy(f"batch {plan['batch_id']} already waits for review in run {other}")


def record_decision(engine, plan: dict, decision: dict, *, review_id: int | None = None,
                    run_id: str | None = None) -> int:
    """Store an answer: closes this run's waiting request (or adds a row for a param approval)."""
    at = dt.datetime.fromisoformat(decision["decided_at"]).astimezone(dt.UTC).replace(tzinfo=None)
    values = {"status": decision["status"], "open_key": None, "decided_at": at, "decided_by": decision.get("by"),
              "via": decision.get("via"), "ref": decision.get("ref"), "note": decision.get("note"),
              "holds_json": json.dumps(decision.get("holds") or [], ensure_ascii=False, sort_keys=True),
              "triggered_by": decision.get("triggered_by")}
    with engine.begin() as conn:
        if review_id is not None:
            conn.execute(reviews.update().where(reviews.c.review_id == review_id).values(**values))
            return review_id
        return conn.execute(reviews.insert().values(
            **_base(plan), run_id=run_id, requested_at=at, **values)).inserted_primary_key[0]


def approved_unissued(engine, batch_key: str) -> dict | None:
    """An approval already given for this batch that has not been issued yet (e.g. the issue
    failed and the run was cleared): reused instead of asking again."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(reviews).where(reviews.c.batch_key == batch_key, reviews.c.status == "approved")
                           .order_by(reviews.c.review_id.desc()).limit(1)).mappings().first()
    return decision_of(row) if row else None


def decision_of(row) -> dict:
    return {"status": row["status"], "by": row["decided_by"], "ref": row["ref"], "via": row["via"],
            "note": row["note"], "holds": json.loads(row["holds_json"] or "[]"),
            "decided_at": local_iso(row["decided_at"]), "triggered_by": row["triggered_by"],
            "review_id": row["review_id"]}


def waiting(engine) -> list[dict]:
    """Requests waiting for an answer, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(reviews).where(reviews.c.status == "waiting")
                            .order_by(reviews.c.requested_at, reviews.c.review_id)).mappings().all()
    out = []
    for row in rows:
        d = dict(row)
        d["summary"] = json.loads(row["summary_json"] or "{}")
        out.append(d)
    return out


def mark(engine, review_id: int, column: str, at: dt.datetime | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(reviews.update().where(reviews.c.review_id == review_id).values(**{column: at or _now()}))


def note_problem(engine, review_id: int, problem: str) -> None:
    """An answer that could not be taken: kept on the (still waiting) request for the next ask."""
    with engine.begin() as conn:
        conn.execute(reviews.update().where(reviews.c.review_id == review_id).values(note=f"上次答复未被采纳: {problem}"))


def last_problem(engine, batch_key: str, run_id: str | None) -> str | None:
    with engine.connect() as conn:
        note = conn.execute(sa.select(reviews.c.note).where(reviews.c.open_key == batch_key,
                                                            reviews.c.run_id == run_id)).scalar()
    return note.split(": ", 1)[1] if note and note.startswith("上次答复未被采纳: ") else None


# ---------------------------------------------------------------- while a batch waits


def _link(base_url: str | None, row: dict) -> str:
    path = f"/dags/{row['dag_id']}/runs/{row['run_id']}/tasks/{row['task_id'] or 'review'}/required_actions"
    return f"{(base_url or '').rstrip('/')}{path}"


def superseded(engine) -> list[dict]:
    """Waiting requests whose batch has been issued meanwhile by another run (approved by param, or
    answered in another run): each with the issued batch's run, time and approval."""
    from gxq.policy.batches import approvals, batches

    q = (sa.select(reviews.c.review_id, reviews.c.dag_id, reviews.c.run_id, reviews.c.task_id, reviews.c.map_index,
                   reviews.c.batch_id, reviews.c.period_key, batches.c.run_id.label("issued_run_id"),
                   batches.c.issued_at, approvals.c.approved_by, approvals.c.approval_ref)
         .join(batches, batches.c.batch_key == reviews.c.batch_key)
         .outerjoin(approvals, approvals.c.batch_id == batches.c.batch_id)
         # waiting, or closed in gxq_ops when the batch was issued (batches.issue) while its HITL
         # request still waits in Airflow (no decided_at: nobody has answered it)
         .where(sa.or_(reviews.c.status == "waiting",
                       sa.and_(reviews.c.status == "superseded", reviews.c.decided_at.is_(None))))
         .order_by(reviews.c.review_id))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def superseded_note(row: dict) -> str:
    """What the closed request says (意见): the batch, the run that issued it, when and who approved it."""
    by = f",审核人 {row['approved_by']}(审批文号 {row['approval_ref']})" if row.get("approved_by") else ""
    return (f"批次 {row['batch_id']} 已由运行 {row['issued_run_id'] or '(命令行)'} 于 {local_iso(row['issued_at'])} 出具"
            f"{by}。本审核请求由系统关闭:本运行不出具、不拨付,无需再答复。")


def close_superseded(engine, api, *, dry_run: bool = False) -> list[dict]:
    """Answer every waiting request of an already issued batch with :data:`SUPERSEDED`, through the
    REST API a person uses (``api``: :class:`gxq.airflow_api.AirflowApi`), naming the issued batch;
    the waiting task records it and ends without issuing. Returns the requests closed."""
    closed = []
    for row in superseded(engine):
        note = superseded_note(row)
        if not dry_run:
            answered = api.answer_hitl(row["dag_id"], row["run_id"], row["task_id"] or "review", row["map_index"],
                                       [SUPERSEDED], {HOLD_FIELD: None, "note": note, "ref": None})
            if answered is None:  # answered before, or the run is gone: nothing waits any more
                close_request(engine, row["review_id"], note, by=api.user)
        closed.append({**row, "note": note})
    return closed


def close_request(engine, review_id: int, note: str, by: str) -> None:
    """Mark a request closed without an answer from its task (its run is gone or answered otherwise)."""
    with engine.begin() as conn:
        conn.execute(reviews.update().where(reviews.c.review_id == review_id, reviews.c.decided_at.is_(None)).values(
            status="superseded", open_key=None, decided_at=_now(), decided_by=by, note=note))


def request_of(engine, batch_key: str, run_id: str | None) -> int | None:
    """This run's request for the batch not answered yet (waiting, or closed by the batch's issue)."""
    with engine.connect() as conn:
        return conn.execute(sa.select(reviews.c.review_id).where(
            reviews.c.batch_key == batch_key, reviews.c.run_id == run_id, reviews.c.decided_at.is_(None),
            reviews.c.status.in_(("waiting", "superseded"))).order_by(reviews.c.review_id.desc()).limit(1)).scalar()


def check_waiting(engine, today: dt.date, *, base_url: str | None = None, dry_run: bool = False,
                  resend: bool = False, run_id: str | None = None, dag_id: str | None = None,
                  api=None) -> dict:
    """Close the requests of batches issued meanwhile by another run (:func:`close_superseded`,
    through ``api``; without one, ``ops`` is told once to close them by hand), then remind the
    approvers (tag ``GXQ_APPROVERS_TAG``, default ``finance``) of every batch waiting 2 working days
    or more, and escalate to ``office`` at 5; each once per request (outbox kinds
    ``policy_review_reminder:<review_id>`` / ``policy_review_escalation:<review_id>``)."""
    dag_id = dag_id or cadences.dag_of("policy", "daily")  # the review watch
    from gxq.calendar.workdays import working_days
    from gxq.notify import Notice, deliver
    from gxq.policy import render as r

    tag = os.environ.get("GXQ_APPROVERS_TAG") or "finance"
    out = {"waiting": 0, "reminded": [], "escalated": [], "superseded": []}
    if api is not None:
        gone = close_superseded(engine, api, dry_run=dry_run)
    else:
        gone = superseded(engine)
        for row in gone:
            subject, body = r._subject_body("review_superseded_ops.md.j2", note=superseded_note(row),
                                            dag_label=cadences.get(row["dag_id"]).label, run_id=row["run_id"],
                                            period_key=row["period_key"], link=_link(base_url, row))
            deliver(dag_id, row["period_key"], [Notice(recipient="ops", kind=f"policy_review_superseded:{row['review_id']}",
                                                       subject=subject, body=body)],
                    dry_run=dry_run, resend=resend, run_id=run_id)
    out["superseded"] = [row["batch_id"] for row in gone]
    closed = {row["review_id"] for row in gone}
    for row in waiting(engine):
        if row["review_id"] in closed:
            continue
        out["waiting"] += 1
        asked = row["requested_at"].replace(tzinfo=dt.UTC).astimezone(TZ)
        age = len(working_days(asked.date(), today))
        steps = []
        if age >= REMIND_AFTER_WORKING_DAYS:
            steps.append(("policy_review_reminder", tag, False, "reminded_at"))
        if age >= ESCALATE_AFTER_WORKING_DAYS:
            steps.append(("policy_review_escalation", "office", True, "escalated_at"))
        summary = row["summary"] or {}
        for kind, recipient, escalate, column in steps:
            subject, body = r._subject_body(
                "review_reminder.md.j2", escalate=escalate, working_days=age, batch_id=row["batch_id"],
                cadence_cn=cadences.get(row["dag_id"]).label, period_key=row["period_key"],
                requested_at=local_iso(row["requested_at"]), items=summary.get("items", 0),
                total=float(summary.get("total_amount") or 0), approvers=(row["approvers"] or "").replace(",", "、"),
                link=_link(base_url, row))
            notice = Notice(recipient=recipient, kind=f"{kind}:{row['review_id']}", subject=subject, body=body)
            deliver(dag_id, row["period_key"], [notice], dry_run=dry_run, resend=resend, run_id=run_id)
            if not dry_run and row[column] is None:
                mark(engine, row["review_id"], column)
            out["escalated" if escalate else "reminded"].append(row["batch_id"])
    return out
