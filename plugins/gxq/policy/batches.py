"""Redemption batches and the payment ledger in ``gxq_ops`` (兑现批次与兑现台账): paid at most once.

- An award is (policy_id, credit_code, basis_id). The ledger has a unique key on it: an award is
  paid at most once, ever, whatever is rerun or retried.
- A batch is identified by its ``batch_key``: cadence + period for the scheduled DAGs, and
  period + sorted policy_ids for adhoc runs (unique in the table). Issuing takes every candidate
  award not yet in the ledger: payable ones become items (and ledger rows), the others are recorded
  in that batch's withheld list with the reason and stay out of the ledger, so they come back in
  every later batch until the enterprise is cleared and they are paid.
- Each award keeps the trace of why it is granted as data (:mod:`gxq.policy.trace`): its basis
  columns, a row per parameter value or minimum its formula used (``policy_batch_trace_values``) and
  per policy the trace's header (``policy_batch_traces``); the workbook renders the sentences from
  them. Batches issued before stored the rendered sentences (``trace_json``) and are read from them.
- Issuing is one transaction, serialised across processes (PostgreSQL: a transaction-scoped
  advisory lock; SQLite: BEGIN IMMEDIATE). Once issued a batch is frozen: issuing the same batch_key
  again returns the stored batch, items and withheld as issued, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from gxq.periods import TZ
from gxq.policy import trace
from gxq.policy.evaluate import Evaluation
from gxq.policy.model import money, yuan

metadata = sa.MetaData()
AMOUNT = sa.Numeric(16, 2, asdecimal=True)

batches = sa.Table(
    "policy_batches", metadata,
    sa.Column("batch_id", sa.String(120), primary_key=True),
    sa.Column("batch_key", sa.String(600), nullable=False, unique=True),
    sa.Column("dag_id", sa.String(100), nullable=False),
    sa.Column("cadence", sa.String(20), nullable=False),
    sa.Column("period_key", sa.String(20), nullable=False),
    sa.Column("policy_ids", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("issued_at", sa.DateTime, nullable=False),
    sa.Column("run_id", sa.String(250)),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("withheld_count", sa.Integer, nullable=False),
    sa.Column("total_amount", AMOUNT, nullable=False),
    sa.Column("withheld_amount", AMOUNT, nullable=False),
    sa.Column("shortfalls_json", sa.Text, nullable=False),
    sa.Column("data_problems_json", sa.Text, nullable=False),
)


def _award_key() -> list[sa.Column]:
    """An award in a batch: the key of its item or withheld row and of its trace values."""
    return [sa.Column("batch_id", sa.String(120), primary_key=True),
            sa.Column("policy_id", sa.String(64), primary_key=True),
            sa.Column("credit_code", sa.String(64), primary_key=True),
            sa.Column("basis_id", sa.String(128), primary_key=True)]


def _award_table(name: str, *extra: sa.Column) -> sa.Table:
    return sa.Table(
        name, metadata,
        *_award_key(),
        sa.Column("basis_on", sa.String(10), nullable=False),
        sa.Column("enterprise_name", sa.Text),
        *extra,
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("trace_json", sa.Text),  # the rendered trace of a batch issued before policy_0003, else NULL
        sa.Column("basis_at", sa.String(19)),
        sa.Column("cert_type", sa.Text),
        sa.Column("requested_fen", sa.BigInteger),
    )


items = _award_table("policy_batch_items")
withheld = _award_table("policy_batch_withheld", sa.Column("reason", sa.String(40), nullable=False))

# Per batch and policy, the trace's header: how the sentences read the awards' columns.
trace_headers = sa.Table(
    "policy_batch_traces", metadata,
    sa.Column("batch_id", sa.String(120), primary_key=True),
    sa.Column("policy_id", sa.String(64), primary_key=True),
    sa.Column("policy", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("basis", sa.String(20), nullable=False),
    sa.Column("used_json", sa.Text, nullable=False),  # [[key, label, unit], ...] in the sentences' order
)

# Per award and key its formula used: a dated parameter's value and start, or a minimum's two sides.
trace_values = sa.Table(
    "policy_batch_trace_values", metadata,
    *_award_key(),
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text),
    sa.Column("from_on", sa.String(10)),
    sa.Column("base_fen", sa.BigInteger),
    sa.Column("limit_fen", sa.BigInteger),
)
# A reviewer's hold: the withheld row's reason, but no status of the enterprise (not in the trace).
HELD_BY_REVIEW = "held_by_review"

ledger = sa.Table(
    "policy_payment_ledger", metadata,
    sa.Column("ledger_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("policy_id", sa.String(64), nullable=False),
    sa.Column("credit_code", sa.String(64), nullable=False),
    sa.Column("basis_id", sa.String(128), nullable=False),
    sa.Column("amount", AMOUNT, nullable=False),
    sa.Column("batch_id", sa.String(120), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

# The approval an issued batch went out with (审核后报财政), written in the issuing transaction.
approvals = sa.Table(
    "policy_batch_approvals", metadata,
    sa.Column("batch_id", sa.String(120), primary_key=True),
    sa.Column("review_id", sa.Integer),
    sa.Column("approved_by", sa.String(250), nullable=False),
    sa.Column("approval_ref", sa.String(250), nullable=False),
    sa.Column("via", sa.String(10), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    sa.Column("triggered_by", sa.String(250)),
    sa.Column("holds_json", sa.Text, nullable=False),
)

_PG_LOCK_KEY = 0x6A715062  # "gxq policy batches": one issuer at a time, whatever the period


@dataclass(frozen=True)
class BatchSpec:
    """Which batch a run issues: its identity, independent of when it runs."""

    dag_id: str
    cadence: str  # monthly | quarterly | adhoc
    period_key: str
    policy_ids: tuple[str, ...]

    @property
    def batch_key(self) -> str:
        if self.cadence == "adhoc":
            return f"adhoc|{self.period_key}|{','.join(sorted(self.policy_ids))}"
        return f"{self.cadence}|{self.period_key}"

    @property
    def batch_id(self) -> str:
        if self.cadence == "adhoc":
            digest = hashlib.sha256(self.batch_key.encode()).hexdigest()[:10]
            return f"adhoc-{self.period_key}-{digest}"
        return f"{self.cadence}-{self.period_key}"


@dataclass
class Batch:
    """A batch as issued (or as a dry run would issue it)."""

    batch_id: str
    batch_key: str
    dag_id: str
    cadence: str
    period_key: str
    policy_ids: list[str]
    status: str  # issued | dry_run
    issued_at: str  # ISO, Asia/Shanghai
    items: list[dict] = field(default_factory=list)
    withheld: list[dict] = field(default_factory=list)
    shortfalls: list[dict] = field(default_factory=list)
    data_problems: list[dict] = field(default_factory=list)
    newly_issued: bool = False
    # {by, ref, via, note, decided_at, triggered_by, holds}: who approved it (None: dry run, or
    # a batch issued before reviews existed)
    approval: dict | None = None
    # Per policy with awards in the batch, its trace's header (gxq.policy.trace). Each award's
    # trace is data, its ``trace_data`` (the columns gxq.policy.trace names); an award of a batch
    # issued before the trace was data has its sentences as stored instead (``trace``).
    traces: dict[str, dict] = field(default_factory=dict)

    @property
    def total_amount(self):
        return sum((money(i["amount"]) for i in self.items), money(0))

    def trace(self, award: dict) -> dict[str, str]:
        """The sentences of an award's trace (兑现依据), rendered from its columns."""
        if "trace" in award:  # issued before the trace was data: the sentences as stored
            return award["trace"]
        sentences = trace.sentences(self.traces[award["policy_id"]], {**award, **award["trace_data"]})
        # An issued batch has always been read back from gxq_ops, where the sentences were JSON with
        # sorted keys: its 兑现依据 reads in key order (a draft's in the formula's). Kept, so that a
        # batch issued now reads as one issued before.
        return dict(sorted(sentences.items())) if self.status == "issued" else sentences

    def to_json(self) -> dict:
        def award(a: dict) -> dict:
            return {**a, "amount": str(money(a["amount"]))}

        return {
            "batch_id": self.batch_id, "batch_key": self.batch_key, "dag_id": self.dag_id,
            "cadence": self.cadence, "period_key": self.period_key, "policy_ids": self.policy_ids,
            "status": self.status, "issued_at": self.issued_at, "newly_issued": self.newly_issued,
            "items": [award(a) for a in self.items], "withheld": [award(a) for a in self.withheld],
            "shortfalls": self.shortfalls, "data_problems": self.data_problems, "approval": self.approval,
            "traces": self.traces,
        }

    @classmethod
    def from_json(cls, d: dict) -> Batch:
        def award(a: dict) -> dict:
            return {**a, "amount": money(a["amount"])}

        return cls(d["batch_id"], d["batch_key"], d["dag_id"], d["cadence"], d["period_key"],
                   list(d["policy_ids"]), d["status"], d["issued_at"],
                   [award(a) for a in d["items"]], [award(a) for a in d["withheld"]],
                   list(d["shortfalls"]), list(d["data_problems"]), bool(d.get("newly_issued")),
                   d.get("approval"), d.get("traces") or {})


def _key(a: dict) -> tuple[str, str, str]:
    return (a["policy_id"], a["credit_code"], a["basis_id"])


def _local_iso(naive_utc: dt.datetime) -> str:
    return naive_utc.replace(tzinfo=dt.UTC).astimezone(TZ).isoformat(timespec="seconds")


def paid_keys(conn, policy_ids) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        sa.select(ledger.c.policy_id, ledger.c.credit_code, ledger.c.basis_id)
        .where(ledger.c.policy_id.in_(list(policy_ids)))
    )
    return {tuple(r) for r in rows}


def open_awards(ev: Evaluation, policy_ids, paid: set) -> set[tuple[str, str, str]]:
    """The awards a batch of these policies would take now: candidates not yet paid."""
    wanted = set(policy_ids)
    return {key for key in ev.identities() if key[0] in wanted and key not in paid}


def compose(spec: BatchSpec, ev: Evaluation, paid: set, issued_at: str, status: str,
            holds: list[dict] | None = None) -> Batch:
    """Split the candidates not yet paid into items and withheld awards; an award the reviewer
    holds is withheld as ``held_by_review`` unless an earlier reason applies."""
    held = {(h["policy_id"], h["credit_code"], h["basis_id"]) for h in holds or []}
    batch = Batch(spec.batch_id, spec.batch_key, spec.dag_id, spec.cadence, spec.period_key,
                  sorted(spec.policy_ids), status, issued_at,
                  shortfalls=list(ev.shortfalls), data_problems=list(ev.data_problems))
    wanted = set(spec.policy_ids)
    for a in ev.rows(lambda key: key[0] in wanted and key not in paid):  # sorted by key
        header = batch.traces.setdefault(a["policy_id"], ev.traces[a["policy_id"]])
        award = {"policy_id": a["policy_id"], "credit_code": a["credit_code"], "basis_id": a["basis_id"],
                 "basis_on": a["basis_on"], "enterprise_name": a["enterprise_name"], "amount": yuan(a["amount"]),
                 "trace_data": {k: a[k] for k in trace.columns(header)}}
        if a["withhold_reason"]:
            batch.withheld.append({**award, "reason": a["withhold_reason"]})
        elif _key(a) in held:
            batch.withheld.append({**award, "reason": HELD_BY_REVIEW})
        else:
            batch.items.append(award)
    return batch


def _find(conn, batch_key: str) -> Batch | None:
    row = conn.execute(sa.select(batches).where(batches.c.batch_key == batch_key)).mappings().first()
    if row is None:
        return None
    order = lambda t: (t.c.policy_id, t.c.credit_code, t.c.basis_id)
    its = conn.execute(sa.select(items).where(items.c.batch_id == row["batch_id"]).order_by(*order(items)))
    whs = conn.execute(sa.select(withheld).where(withheld.c.batch_id == row["batch_id"]).order_by(*order(withheld)))

    headers = {r["policy_id"]: {"policy": r["policy"], "rule": r["rule"], "basis": r["basis"],
                                "used": [tuple(u) for u in json.loads(r["used_json"])]}
               for r in conn.execute(sa.select(trace_headers).where(trace_headers.c.batch_id == row["batch_id"]))
               .mappings()}
    used: dict[tuple, dict] = {}  # award -> its used keys' columns
    for r in conn.execute(sa.select(trace_values).where(trace_values.c.batch_id == row["batch_id"])).mappings():
        cols = used.setdefault((r["policy_id"], r["credit_code"], r["basis_id"]), {})
        if r["from_on"] is None:  # a minimum
            cols[f"{r['key']}.base"], cols[f"{r['key']}.limit"] = r["base_fen"], r["limit_fen"]
        else:
            cols[f"{r['key']}.value"], cols[f"{r['key']}.from"] = r["value"], r["from_on"]

    def award(r, reason: str | None = None) -> dict:
        a = {"policy_id": r["policy_id"], "credit_code": r["credit_code"], "basis_id": r["basis_id"],
             "basis_on": r["basis_on"], "enterprise_name": r["enterprise_name"], "amount": money(r["amount"])}
        if r["trace_json"] is not None:  # issued before the trace was data
            return {**a, "trace": json.loads(r["trace_json"])}
        status = None if reason == HELD_BY_REVIEW else reason
        return {**a, "trace_data": {"basis_at": r["basis_at"], "cert_type": r["cert_type"],
                                    "requested": r["requested_fen"], "withhold_reason": status,
                                    **used.get(_key(r), {})}}

    batch = Batch(
        row["batch_id"], row["batch_key"], row["dag_id"], row["cadence"], row["period_key"],
        [p for p in row["policy_ids"].split(",") if p], row["status"], _local_iso(row["issued_at"]),
        items=sorted((award(r) for r in its.mappings()), key=_key),
        withheld=sorted(({**award(r, r["reason"]), "reason": r["reason"]} for r in whs.mappings()), key=_key),
        shortfalls=json.loads(row["shortfalls_json"]), data_problems=json.loads(row["data_problems_json"]),
        traces=headers,
    )
    ap = conn.execute(sa.select(approvals).where(approvals.c.batch_id == row["batch_id"])).mappings().first()
    if ap is not None:
        batch.approval = {"by": ap["approved_by"], "ref": ap["approval_ref"], "via": ap["via"], "note": ap["note"],
                          "decided_at": _local_iso(ap["decided_at"]), "triggered_by": ap["triggered_by"],
                          "holds": json.loads(ap["holds_json"]), "review_id": ap["review_id"]}
    return batch


def find(engine, spec: BatchSpec) -> Batch | None:
    with engine.connect() as conn:
        return _find(conn, spec.batch_key)


def _lock(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock before the first read
    else:
        conn.execute(sa.text("SET LOCAL lock_timeout = '10min'"))
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def _rows(batch_id: str, awards: list[dict], with_reason: bool) -> list[dict]:
    out = []
    for a in awards:
        t = a["trace_data"]
        row = {"batch_id": batch_id, "policy_id": a["policy_id"], "credit_code": a["credit_code"],
               "basis_id": a["basis_id"], "basis_on": a["basis_on"], "enterprise_name": a["enterprise_name"],
               "amount": money(a["amount"]), "trace_json": None, "basis_at": t["basis_at"],
               "cert_type": t["cert_type"], "requested_fen": t["requested"]}
        if with_reason:
            row["reason"] = a["reason"]
        out.append(row)
    return out


def _trace_rows(batch: Batch) -> tuple[list[dict], list[dict]]:
    """The batch's trace headers and its awards' used values as rows of their tables."""
    headers = [{"batch_id": batch.batch_id, "policy_id": pid, "policy": h["policy"], "rule": h["rule"],
                "basis": h["basis"], "used_json": json.dumps([list(u) for u in h["used"]], ensure_ascii=False)}
               for pid, h in sorted(batch.traces.items())]
    values = []
    for a in batch.items + batch.withheld:
        t = a["trace_data"]
        for key, label, _unit in batch.traces[a["policy_id"]]["used"]:
            row = {"batch_id": batch.batch_id, "policy_id": a["policy_id"], "credit_code": a["credit_code"],
                   "basis_id": a["basis_id"], "key": key, "value": None, "from_on": None, "base_fen": None,
                   "limit_fen": None}
            if label is None:  # a minimum
                row["base_fen"], row["limit_fen"] = t[f"{key}.base"], t[f"{key}.limit"]
            else:
                row["value"], row["from_on"] = t[f"{key}.value"], t[f"{key}.from"]
            values.append(row)
    return headers, values


def issue(engine, spec: BatchSpec, ev: Evaluation, run_id: str | None = None,
          now: dt.datetime | None = None, approval: dict | None = None) -> Batch:
    """Issue the batch of ``spec`` in one transaction, or return it as issued before (frozen).

    ``approval`` ({by, ref, via, note, decided_at, triggered_by, holds, review_id}) is stored with
    the batch; its held awards are withheld as ``held_by_review``. A request for this batch still
    waiting in another run is closed (superseded) in the same transaction."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    try:
        with engine.connect() as conn:
            _lock(conn)
            existing = _find(conn, spec.batch_key)
            if existing is not None:
                conn.rollback()
                return existing
            holds = (approval or {}).get("holds") or []
            batch = compose(spec, ev, paid_keys(conn, spec.policy_ids), _local_iso(now), "issued", holds)
            total = batch.total_amount
            withheld_total = sum((money(w["amount"]) for w in batch.withheld), money(0))
            conn.execute(batches.insert().values(
                batch_id=batch.batch_id, batch_key=batch.batch_key, dag_id=batch.dag_id, cadence=batch.cadence,
                period_key=batch.period_key, policy_ids=",".join(batch.policy_ids), status="issued",
                issued_at=now, run_id=run_id, item_count=len(batch.items), withheld_count=len(batch.withheld),
                total_amount=total, withheld_amount=withheld_total,
                shortfalls_json=json.dumps(batch.shortfalls, ensure_ascii=False, sort_keys=True),
                data_problems_json=json.dumps(batch.data_problems, ensure_ascii=False, sort_keys=True),
            ))
            if batch.items:
                conn.execute(items.insert(), _rows(batch.batch_id, batch.items, False))
                conn.execute(ledger.insert(), [
                    {"policy_id": a["policy_id"], "credit_code": a["credit_code"], "basis_id": a["basis_id"],
                     "amount": money(a["amount"]), "batch_id": batch.batch_id, "recorded_at": now}
                    for a in batch.items
                ])
            if batch.withheld:
                conn.execute(withheld.insert(), _rows(batch.batch_id, batch.withheld, True))
            headers, values = _trace_rows(batch)
            if headers:
                conn.execute(trace_headers.insert(), headers)
            if values:
                conn.execute(trace_values.insert(), values)
            if approval is not None:
                decided = dt.datetime.fromisoformat(approval["decided_at"]).astimezone(dt.UTC).replace(tzinfo=None)
                conn.execute(approvals.insert().values(
                    batch_id=batch.batch_id, review_id=approval.get("review_id"), approved_by=approval["by"],
                    approval_ref=approval["ref"], via=approval["via"], note=approval.get("note"),
                    decided_at=decided, triggered_by=approval.get("triggered_by"),
                    holds_json=json.dumps(holds, ensure_ascii=False, sort_keys=True)))
                _supersede_open_review(conn, batch.batch_key, batch.batch_id)
            conn.commit()
    except sa.exc.IntegrityError:
        # Another issuer won (only possible without the lock, e.g. a foreign writer): the unique
        # keys kept the ledger right; what was issued under this key is the batch.
        existing = find(engine, spec)
        if existing is None:
            raise
        return existing
    stored = find(engine, spec)
    stored.newly_issued = True
    return stored


def _supersede_open_review(conn, batch_key: str, batch_id: str) -> None:
    """The batch was issued: a review request still waiting for it (another run's) is closed.
    (``policy_reviews`` of gxq.policy.review, named here so this module does not import it.)"""
    t = sa.table("policy_reviews", sa.column("open_key"), sa.column("status"), sa.column("note"))
    conn.execute(t.update().where(t.c.open_key == batch_key).values(
        status="superseded", open_key=None, note=f"批次 {batch_id} 已由其他运行批准出具"))


def preview(engine, spec: BatchSpec, ev: Evaluation, holds: list[dict] | None = None,
            status: str = "dry_run") -> Batch:
    """What ``issue`` would issue now, writing nothing (dry run, review); the frozen batch if issued."""
    with engine.connect() as conn:
        existing = _find(conn, spec.batch_key)
        if existing is not None:
            return existing
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        return compose(spec, ev, paid_keys(conn, spec.policy_ids), _local_iso(now), status, holds)


def unpaid(engine, spec: BatchSpec, ev: Evaluation) -> set[tuple[str, str, str]]:
    """The awards this batch would take now (for checking a reviewer's holds)."""
    with engine.connect() as conn:
        return open_awards(ev, spec.policy_ids, paid_keys(conn, spec.policy_ids))


def ledger_duplicates(engine) -> int:
    """Awards paid more than once in the ledger (0, or the database is broken)."""
    with engine.connect() as conn:
        sub = (sa.select(ledger.c.policy_id, ledger.c.credit_code, ledger.c.basis_id)
               .group_by(ledger.c.policy_id, ledger.c.credit_code, ledger.c.basis_id)
               .having(sa.func.count() > 1).subquery())
        return conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()


def ledger_totals(engine) -> tuple[int, float]:
    """(rows, total amount) of the payment ledger."""
    with engine.connect() as conn:
        n, total = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(ledger.c.amount), 0))).one()
    return n, float(total)
