"""Who is told what (通知对象), once ever per (petition, stage): dispatch stages to ``office`` naming
the 街道 (先予处置), feedback stages to the lead unit (``office`` when there is none), escalations to
``office`` as 督办, quarantined urgent rows to ``ops``.

The table ``petition_urgent_notified`` (``gxq_ops``, migration urgent_0001) holds every (petition,
stage) ever notified with the run (as_of minute) that notified it: a run claims the ones nobody has
claimed (the primary key settles two runs that race), then sends one notice per recipient with the
items it claimed, rendered from what it stored. A rerun of the same minute renders the same notices
(the outbox sends nothing twice); a backfill of an earlier minute finds the later runs' claims and
tells nobody again. Each notice fits one chat message: a flood lists what fits and counts the rest.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from gxq import templating
from gxq.notify import Notice, deliver
from gxq.notify.alerts import base_url
from gxq.petitions.rules import REASON_LABELS
from gxq.urgent import watch
from gxq.urgent.tables import notified

# A notice's subject and body together stay within this many UTF-8 bytes: one 企业微信 text
# message (2,048 bytes, the smallest limit of the chat platforms) with room for the bot's framing.
MESSAGE_BUDGET = 1800
ESCALATED = "escalated"  # 督办, once per petition
INVALID = "invalid"  # a quarantined urgent row, once per petition, to ops
KINDS = {"office": "urgent_office", "ops": "urgent_quarantine"}  # a unit's: urgent_unit
UNIT_KIND = "urgent_unit"
TITLES = {"office": "急险工单先予处置与督办", "ops": "急险工单数据质量提示"}
UNIT_TITLE = "急险工单反馈提醒"
_ORDER = {stage: i for i, stage in enumerate((*watch.STAGES, ESCALATED, INVALID))}


@dataclass(frozen=True)
class Claim:
    petition_id: str
    stage: str
    recipient: str
    detail: dict


def wanted(report: dict) -> list[Claim]:
    """What the report's alerts, escalations and quarantined rows call for, to whom."""
    by_id = {w["petition_id"]: w for w in report.get("watched_petitions", [])}
    out = []
    for alert in report["alerts"]:
        pid, stage = alert["petition_id"], alert["stage"]
        detail = {k: alert[k] for k in ("stage", "unit", "street", "due_at", "minutes")}
        detail["topic"] = (by_id.get(pid) or {}).get("topic")
        recipient = "office" if stage in watch.DISPATCH_STAGES else (alert["unit"] or "office")
        out.append(Claim(pid, stage, recipient, detail))
        if pid in report["escalated"]:
            out.append(Claim(pid, ESCALATED, "office", detail))
    for row in report.get("invalid", []):
        out.append(Claim(row["petition_id"], INVALID, "ops", {"reason": row["reason"]}))
    return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def claimed(ops, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (petition, stage) pairs among ``keys`` notified already, by any run."""
    found: set[tuple[str, str]] = set()
    ids = sorted({pid for pid, _ in keys})
    with ops.connect() as conn:
        for i in range(0, len(ids), 500):
            q = sa.select(notified.c.petition_id, notified.c.stage).where(notified.c.petition_id.in_(ids[i:i + 500]))
            found.update((r.petition_id, r.stage) for r in conn.execute(q))
    return found & set(keys)


def claim(ops, period_key: str, claims: list[Claim]) -> int:
    """Record the claims nobody has made yet as this run's (``period_key``); returns how many.

    Each new claim gets the number of this run's next notice to its recipient (``seq``): a rerun
    that finds more than the first time sends them in a notice of their own."""
    taken = claimed(ops, [(c.petition_id, c.stage) for c in claims])
    new = [c for c in claims if (c.petition_id, c.stage) not in taken]
    made = 0
    now = _now()
    with ops.begin() as conn:
        for c in new:
            try:
                with conn.begin_nested():
                    conn.execute(notified.insert().values(
                        petition_id=c.petition_id, stage=c.stage, recipient=c.recipient, period_key=period_key,
                        seq=None, detail_json=json.dumps(c.detail, ensure_ascii=False, sort_keys=True),
                        notified_at=now))
                made += 1
            except sa.exc.IntegrityError:
                pass  # another run claimed it first: it tells
        for recipient in sorted({c.recipient for c in new}):
            mine = sa.and_(notified.c.period_key == period_key, notified.c.recipient == recipient)
            last = conn.execute(sa.select(sa.func.max(notified.c.seq)).where(mine)).scalar() or 0
            conn.execute(notified.update().where(mine, notified.c.seq.is_(None)).values(seq=last + 1))
    return made


def stored(ops, period_key: str) -> list[dict]:
    """This run's claims, as stored: ``{"petition_id", "stage", "recipient", "seq", "detail"}``."""
    with ops.connect() as conn:
        rows = conn.execute(sa.select(notified).where(notified.c.period_key == period_key)).mappings().all()
    return [{"petition_id": r["petition_id"], "stage": r["stage"], "recipient": r["recipient"], "seq": r["seq"] or 1,
             "detail": json.loads(r["detail_json"])} for r in rows]


def _late_text(minutes: int) -> str:
    if minutes < 0:
        return f"还有 {-minutes} 分钟到期"
    hours, rest = divmod(minutes, 60)
    return f"已超时 {hours} 小时 {rest} 分钟" if hours else f"已超时 {minutes} 分钟"


def _line(item: dict) -> str:
    d = item["detail"]
    due = (d.get("due_at") or "")[5:16].replace("T", " ")
    parts = [item["petition_id"], d.get("topic") or "未注明事项", d.get("street") or "未注明街道"]
    label = watch.STAGE_LABELS.get(d.get("stage"), d.get("stage") or "")
    return f"{' · '.join(parts)} · {label}，{_late_text(d['minutes'])}（时限 {due}）"


def render(recipient: str, items: list[dict], as_of: str, link: str) -> tuple[str, str]:
    """(subject, body) of one notice, within :data:`MESSAGE_BUDGET` bytes: as many items as fit,
    in the alerts' order, the rest counted by stage."""
    items = sorted(items, key=lambda it: (_ORDER.get(it["stage"], 99), it["petition_id"]))
    title = TITLES.get(recipient, UNIT_TITLE)

    def attempt(shown: list[dict]) -> tuple[str, str]:
        hidden = Counter(it["stage"] for it in items[len(shown):])
        labels = {**watch.STAGE_LABELS, ESCALATED: "督办", INVALID: "数据有误"}
        return templating.render_notice(
            "urgent/notice.txt.j2", title=title, as_of=as_of, recipient=recipient, link=link,
            line=_line, escalate_minutes=watch.ESCALATE_MINUTES,
            dispatch=[it for it in shown if it["stage"] in watch.DISPATCH_STAGES],
            feedback=[it for it in shown if it["stage"] in ("feedback_overdue", "feedback_due_soon")],
            escalated=[it for it in shown if it["stage"] == ESCALATED],
            invalid=[{**it, "reason_label": REASON_LABELS.get(it["detail"].get("reason"), it["detail"].get("reason"))}
                     for it in shown if it["stage"] == INVALID],
            hidden=[f"{labels.get(s, s)} {n} 件" for s, n in sorted(hidden.items(), key=lambda kv: _ORDER.get(kv[0], 99))],
            hidden_total=sum(hidden.values()),
        )

    def size(text: tuple[str, str]) -> int:
        return len(text[0].encode()) + len(text[1].encode())

    lo, hi = 0, len(items)  # the most items that fit (at least the summary line does)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(attempt(items[:mid])) <= MESSAGE_BUDGET:
            lo = mid
        else:
            hi = mid - 1
    return attempt(items[:lo])


def dashboard_link() -> str:
    return f"{base_url()}/gxq/#urgent"


def build(items: list[dict], as_of: str) -> list[Notice]:
    """One notice per (recipient, seq) of the items."""
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for it in items:
        groups[(it["recipient"], it["seq"])].append(it)
    link = dashboard_link() if groups else None
    out = []
    for (recipient, seq), group in sorted(groups.items()):
        kind = KINDS.get(recipient, UNIT_KIND)
        subject, body = render(recipient, group, as_of, link)
        out.append(Notice(recipient=recipient, kind=kind if seq == 1 else f"{kind}:{seq}", subject=subject,
                          body=body, link=link, format="text"))
    return out


def notify(ops, report: dict, dag_id: str, *, dry_run: bool = False, resend: bool = False,
           run_id: str | None = None) -> dict:
    """Claim what is new and send this run's notices (nothing claimed on a dry run)."""
    period_key = report["period"]
    as_of = report["as_of"][:16].replace("T", " ")
    claims = wanted(report)
    if dry_run:
        taken = claimed(ops, [(c.petition_id, c.stage) for c in claims])
        items = [{"petition_id": c.petition_id, "stage": c.stage, "recipient": c.recipient, "seq": 1,
                  "detail": c.detail} for c in claims if (c.petition_id, c.stage) not in taken]
    else:
        claim(ops, period_key, claims)
        items = stored(ops, period_key)
    notices = build(items, as_of)
    if not notices:
        return {"notices": 0}
    result = deliver(dag_id, period_key, notices, dry_run=dry_run, resend=resend, engine=ops, run_id=run_id)
    return {"notices": len(notices), **{k: v for k, v in result.to_dict().items() if k != "notices"}}
