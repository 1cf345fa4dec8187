"""The outbox (通知发件箱): render, mask, record, then send — each notice at most once.

For every notice of a run, in this order:

1. **render**: subject, body and text attachments go through :func:`gxq.masking.mask_text`
   (a text attachment with personal data is sent as a masked copy); the payload is hashed;
2. **record**: insert-or-get the row keyed (dag_id, period_key, recipient, kind) — UNIQUE in the
   table, so concurrent runs share one row; an unsent row takes the latest rendering;
3. **claim**: one atomic ``UPDATE ... SET status='sending' WHERE status IN (pending, failed,
   dry_run, unrouted)``: of two concurrent runs exactly one gets the row (PostgreSQL re-checks the
   WHERE after the other's commit; SQLite serialises writers). The claim records its holder, the
   Airflow task try (:class:`~gxq.notify.model.Sender`). A ``sending`` row is taken over (again
   one atomic ``UPDATE`` on the claim's token) only by a later try of the *same* task instance
   (its earlier try was killed mid-send: Airflow runs one try at a time) or, by anyone, once the
   claim is stale (``GXQ_NOTIFY_CLAIM_TTL``, default 600 s): two different runs never send a
   notice at the same time. A notice sent after a takeover may have reached its group twice (the
   dead sender may have delivered the message it was sending): ``ops`` is told which, once;
4. **send** through Apprise, URL by URL, message part by message part, reading the delivery
   result from ``Apprise().notify()`` itself; every delivered part is written to the row at once
   (``channels_json``), so a retry never repeats one. Transient failures are retried with
   exponential backoff (``GXQ_NOTIFY_ATTEMPTS``, default 4; ``GXQ_NOTIFY_RETRY_DELAY``, default
   2 s); a channel that stays down leaves the row ``failed`` and the others go on;
5. **finish**: ``sent`` (with ``sent_at``) or ``failed`` (with ``last_error``).

After all notices: notices sent after a takeover are named to ``ops`` (check the group for a
double); tags without any URL are reported (log, :attr:`DeliveryResult.unrouted`, one
notice to ``ops``) without failing; then, if any notice stayed failed, :class:`DeliveryFailed`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from gxq import store
from gxq.masking import find_unmasked, mask_text
from gxq.notify import channels, pacing
from gxq.notify.model import DeliveryFailed, DeliveryResult, Notice, NoticeOutcome, Sender
from gxq.notify.tables import CLAIMABLE, delivery, outbox
from gxq.notify.templates import render
from gxq.output import output_root, period_dir, write_text

log = logging.getLogger("gxq.notify")

TEXT_SUFFIXES = {".html", ".htm", ".txt", ".csv", ".md", ".markdown", ".json", ".xml", ".tsv"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


# --- render -----------------------------------------------------------------------------------


@dataclass
class Rendered:
    recipient: str
    kind: str
    subject: str
    body: str
    body_format: str
    link: str | None
    attachments: list[str] = field(default_factory=list)
    payload_hash: str = ""


def _masked_attachment(path: Path, dag_id: str, period_key: str, recipient: str, kind: str) -> tuple[Path, str]:
    """The path to send (a masked copy when needed) and the content digest."""
    data = path.read_bytes()
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            masked = mask_text(text)
            if masked != text:
                safe = re.sub(r"[^0-9A-Za-z_.\-]+", "_", f"{dag_id}/{period_key}/{recipient}/{kind}")
                copy = output_root() / "_notices" / "_masked" / safe / path.name
                write_text(copy, masked)
                log.warning("attachment %s held unmasked personal data: sending a masked copy %s", path, copy)
                return copy, hashlib.sha256(masked.encode()).hexdigest()
    return path, hashlib.sha256(data).hexdigest()


def render_notice(notice: Notice, dag_id: str, period_key: str) -> Rendered:
    """Mask and hash one notice (nothing is written to the outbox)."""
    if not notice.recipient or not notice.kind:
        raise ValueError(f"a notice needs a recipient tag and a kind: {notice!r}")
    if len(notice.recipient) > 100 or len(notice.kind) > 200 or len(period_key) > 40 or len(dag_id) > 100:
        raise ValueError(f"recipient (100), kind (200), period key (40) or dag id (100) too long: {notice.kind!r}")
    subject = mask_text(notice.subject or "") or ""
    body = mask_text(notice.body or "") or ""
    link = notice.link or None
    paths, digests = [], []
    for a in notice.attachments or []:
        p = Path(a)
        if not p.is_file():
            raise FileNotFoundError(f"attachment of {notice.recipient}/{notice.kind} not found: {a}")
        sent_path, digest = _masked_attachment(p, dag_id, period_key, notice.recipient, notice.kind)
        paths.append(str(sent_path))
        digests.append([p.name, digest])
    payload = json.dumps(
        {"subject": subject, "body": body, "format": notice.format, "link": link, "attachments": digests},
        ensure_ascii=False,
        sort_keys=True,
    )
    return Rendered(
        recipient=notice.recipient,
        kind=notice.kind,
        subject=subject,
        body=body,
        body_format=notice.format or "markdown",
        link=link,
        attachments=paths,
        payload_hash=hashlib.sha256(payload.encode()).hexdigest(),
    )


# --- record and claim ------------------------------------------------------------------------


def _key_clause(dag_id: str, period_key: str, recipient: str, kind: str):
    return sa.and_(
        outbox.c.dag_id == dag_id,
        outbox.c.period_key == period_key,
        outbox.c.recipient == recipient,
        outbox.c.kind == kind,
    )


def _payload_values(r: Rendered) -> dict:
    return {
        "subject": r.subject,
        "body": r.body,
        "body_format": r.body_format,
        "link": r.link,
        "attachments_json": json.dumps(r.attachments, ensure_ascii=False),
        "payload_hash": r.payload_hash,
    }


def _get(conn, row_id: int):
    return conn.execute(sa.select(outbox).where(outbox.c.id == row_id)).mappings().one()


def record(engine, dag_id: str, period_key: str, r: Rendered, status: str = "pending", run_id: str | None = None):
    """Insert-or-get the outbox row of a rendered notice; an unsent row takes the new payload."""
    key = _key_clause(dag_id, period_key, r.recipient, r.kind)
    with engine.begin() as conn:
        row = conn.execute(sa.select(outbox).where(key)).mappings().first()
        if row is None:
            now = _now()
            try:
                with conn.begin_nested():
                    conn.execute(
                        outbox.insert().values(
                            dag_id=dag_id, period_key=period_key, recipient=r.recipient, kind=r.kind,
                            status=status, attempts=0, channels_json="[]", resend_count=0, run_id=run_id,
                            created_at=now, updated_at=now, **_payload_values(r),
                        )
                    )
            except sa.exc.IntegrityError:
                pass  # a concurrent run recorded it first: use that row
            row = conn.execute(sa.select(outbox).where(key)).mappings().one()
        elif row["status"] in CLAIMABLE and row["payload_hash"] != r.payload_hash:
            conn.execute(
                outbox.update()
                .where(outbox.c.id == row["id"], outbox.c.status.in_(CLAIMABLE))
                .values(updated_at=_now(), **_payload_values(r))
            )
            row = _get(conn, row["id"])
    return row


def _stale_cutoff() -> dt.datetime:
    return _now() - dt.timedelta(seconds=_env_float("GXQ_NOTIFY_CLAIM_TTL", 600))


def current_sender() -> Sender | None:
    """The Airflow task try running this code, or None outside a task (a script, a test)."""
    if "airflow.sdk" not in sys.modules:  # not inside a task: do not import Airflow for nothing
        return None
    try:
        from airflow.sdk import get_current_context

        ti = get_current_context()["ti"]
        map_index = getattr(ti, "map_index", None)
        return Sender(dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id,
                      map_index=-1 if map_index is None else int(map_index),
                      try_number=int(getattr(ti, "try_number", None) or 1),
                      max_tries=getattr(ti, "max_tries", None))
    except Exception:  # noqa: BLE001 - no task context: an unattributed sender
        return None


def _holder_values(token: str, run_id: str | None, sender: Sender | None) -> dict:
    now = _now()
    return {"status": "sending", "claim_token": token, "claimed_at": now, "updated_at": now,
            "run_id": run_id or (sender.run_id if sender else None),
            "claim_holder": sender.holder if sender else None,
            "claim_try": sender.try_number if sender else None}


def _claim(engine, row_id: int, token: str, run_id: str | None, sender: Sender | None = None) -> bool:
    """Atomically take a row for sending; False when someone holds it or it is sent."""
    with engine.begin() as conn:
        res = conn.execute(
            outbox.update()
            .where(outbox.c.id == row_id, outbox.c.status.in_(CLAIMABLE))
            .values(**_holder_values(token, run_id, sender))
        )
        return res.rowcount == 1


def _take_over(engine, row, token: str, run_id: str | None, sender: Sender | None) -> bool:
    """Atomically take over the claim ``row`` shows, if its sender is dead: an earlier try of
    this very task instance, or any sender whose claim is stale. False when the claim changed
    meanwhile or is not ours to take."""
    dead = [outbox.c.claimed_at < _stale_cutoff()]
    if sender is not None:
        dead.append(sa.and_(outbox.c.claim_holder == sender.holder, outbox.c.claim_try < sender.try_number))
    with engine.begin() as conn:
        res = conn.execute(
            outbox.update()
            .where(outbox.c.id == row["id"], outbox.c.status == "sending",
                   outbox.c.claim_token == row["claim_token"], sa.or_(*dead))
            .values(**_holder_values(token, run_id, sender))
        )
        return res.rowcount == 1


def _holder_text(row, sender: Sender | None) -> str:
    """Who holds (or held) a row's claim, in words."""
    holder, tried = row["claim_holder"], row["claim_try"]
    if holder and sender is not None and holder == sender.holder:
        return f"an earlier try ({tried}) of this task"
    if holder:
        dag_id, run_id, task_id, map_index = (holder.split("|", 3) + ["", "", "", ""])[:4]
        task = task_id + (f"[{map_index}]" if map_index not in ("", "-1") else "")
        return f"run {run_id} of {dag_id} (task {task}, try {tried})"
    return f"another sender (run {row['run_id'] or 'unknown'})"


def _held_elsewhere(row, sender: Sender | None) -> str:
    """Why a notice was not sent: it is claimed by a sender that is not this one's dead try."""
    ttl = _env_float("GXQ_NOTIFY_CLAIM_TTL", 600)
    claimed = row["claimed_at"]
    expires = claimed + dt.timedelta(seconds=ttl) if claimed else None
    return (f"being sent by {_holder_text(row, sender)} since {claimed:%Y-%m-%d %H:%M:%S} UTC; if that sender died, "
            f"its claim expires at {expires:%H:%M:%S} UTC and the first attempt after that sends it"
            if claimed else f"being sent by {_holder_text(row, sender)}")


def _reopen_for_resend(engine, row_id: int, r: Rendered, run_id: str | None) -> bool:
    with engine.begin() as conn:
        res = conn.execute(
            outbox.update()
            .where(outbox.c.id == row_id, outbox.c.status == "sent")
            .values(
                status="pending", channels_json="[]", resend_count=outbox.c.resend_count + 1,
                resend_run_id=run_id, updated_at=_now(), **_payload_values(r),
            )
        )
        return res.rowcount == 1


def _update_owned(engine, row_id: int, token: str, **values) -> None:
    with engine.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.id == row_id, outbox.c.claim_token == token)
            .values(updated_at=_now(), **values)
        )


# --- send -----------------------------------------------------------------------------------

_PERMANENT_HTTP = re.compile(r"(?:error=|\b)(4(?!08|29)\d\d)\b")

PLATFORM_LABELS = {"wecombot": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}


def _level(entry) -> int:
    level = getattr(entry, "level", logging.WARNING)
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
    return level if isinstance(level, int) else logging.WARNING


@dataclass
class Attempt:
    """What one request to one URL gave."""

    ok: bool
    error: str = ""
    transient: bool = True
    code: int | None = None  # the platform's errcode / code (chat bots)
    message: str | None = None  # the platform's errmsg / msg
    too_fast: bool = False  # refused as too fast: send again after the window
    refused: bool = False  # refused for good: an operator must fix the configuration


def _send_once(server, msg: channels.Message, body_format: str, ctx: dict) -> Attempt:
    """One Apprise delivery of one message to one URL."""
    import apprise  # deferred to sending (see gxq.notify.channels.asset)

    apobj = apprise.Apprise(asset=channels.asset())
    apobj.add(server)
    token = channels.CURRENT.set(ctx)
    try:
        result = apobj.notify(
            body=msg.body or " ",
            title=msg.title,
            body_format=body_format,
            attach=msg.attach or None,
        )
    except Exception as exc:  # noqa: BLE001 - a plugin crash is a failed, retryable delivery
        return Attempt(False, f"{type(exc).__name__}: {exc}")
    finally:
        channels.CURRENT.reset(token)
    code = getattr(server, "response_code", None)
    if result:
        return Attempt(True, code=code, message=getattr(server, "response_message", None))
    if hasattr(server, "is_refused_for_good"):  # a chat bot of gxq.notify.platforms
        message = getattr(server, "response_message", None) or ""
        label = PLATFORM_LABELS.get(channels.scheme_of(server), channels.scheme_of(server))
        error = f"{label} {code}: {message}" if code is not None else f"{label}: {message}"
        refused = server.is_refused_for_good()
        return Attempt(False, error[:1000], transient=not refused, code=code, message=message or None,
                       too_fast=server.is_too_fast(), refused=refused)
    try:
        entries = list(result.logs())
    except Exception:  # noqa: BLE001
        entries = []
    text = " | ".join(str(getattr(e, "message", e)) for e in entries if _level(e) >= logging.WARNING)
    text = text or f"Apprise reported failure ({getattr(result, 'status', 'failed')})"
    permanent = _PERMANENT_HTTP.search(text)
    return Attempt(False, text[-1000:], transient=not permanent)


def _record_part(engine, row_id: int, token: str, server, uid: str, m, a: Attempt, done: list[str] | None,
                 attempts_total: int) -> None:
    """One message part's state after a request, with the notice's delivered parts, at once."""
    now = _now()
    status = "accepted" if a.ok else ("refused" if a.refused else "waiting")
    bot = server.bot_id() if hasattr(server, "bot_id") else uid
    key = sa.and_(delivery.c.outbox_id == row_id, delivery.c.url_id == uid, delivery.c.part == m.part,
                  delivery.c.parts == m.parts)
    values = {"status": status, "platform_code": a.code, "platform_message": (a.message or a.error or None),
              "last_attempt_at": now, "bot": bot, "platform": channels.scheme_of(server)[:20]}
    if a.ok:
        values["accepted_at"] = now
        values["platform_message"] = a.message
    with engine.begin() as conn:
        res = conn.execute(
            delivery.update().where(key).values(
                attempts=delivery.c.attempts + 1, too_fast=delivery.c.too_fast + (1 if a.too_fast else 0), **values
            )
        )
        if res.rowcount == 0:
            conn.execute(delivery.insert().values(
                outbox_id=row_id, url_id=uid, part=m.part, parts=m.parts, attempts=1,
                too_fast=1 if a.too_fast else 0, first_attempt_at=now, **values,
            ))
        row_values = {"attempts": attempts_total, "updated_at": now}
        if done is not None:
            row_values["channels_json"] = json.dumps(done)
        conn.execute(outbox.update().where(outbox.c.id == row_id, outbox.c.claim_token == token).values(**row_values))


def _deliver_part(engine, server, m, body_format: str, ctx: dict, on_attempt) -> tuple[Attempt, int]:
    """Send one message part to one URL until the platform accepts it, refuses it for good, or
    the retries are spent: (last attempt, requests made).

    Chat bots are paced per bot (:mod:`gxq.notify.pacing`); a refusal as too fast blocks the
    bot for one window and the part goes again after it (``GXQ_NOTIFY_TOO_FAST_RETRIES``,
    default 3); transient errors are retried with exponential backoff (``GXQ_NOTIFY_ATTEMPTS``,
    ``GXQ_NOTIFY_RETRY_DELAY``, ``GXQ_NOTIFY_MAX_DELAY``). ``on_attempt(attempt, n)`` records
    every answer before the next request.
    """
    attempts = max(1, int(_env_float("GXQ_NOTIFY_ATTEMPTS", 4)))
    too_fast_max = max(0, int(_env_float("GXQ_NOTIFY_TOO_FAST_RETRIES", 3)))
    delay = _env_float("GXQ_NOTIFY_RETRY_DELAY", 2.0)
    max_delay = _env_float("GXQ_NOTIFY_MAX_DELAY", 30.0)
    limits = pacing.limits_of(server)
    scheme = channels.scheme_of(server)
    bot = server.bot_id() if limits else None
    n = too_fast = failures = 0
    while True:
        try:
            send_id = pacing.acquire(engine, bot, scheme, limits) if limits else None
        except TimeoutError as exc:  # the bot's queue is too long: nothing sent, the retry sends it
            return Attempt(False, str(exc)), n
        try:
            a = _send_once(server, m, body_format, ctx)
        finally:
            pacing.release(engine, send_id)
        n += 1
        on_attempt(a, n)
        if a.ok or a.refused:
            return a, n
        if a.too_fast:
            too_fast += 1
            if too_fast > too_fast_max:
                return a, n
            window = max(seconds for _, seconds in limits) if limits else delay
            log.warning("%s: refused as too fast (%s); sending again after %.1fs", scheme, a.code, window)
            if bot:
                pacing.block(engine, bot, window, scheme)
            else:
                time.sleep(window)
            continue
        failures += 1
        if not a.transient or failures >= attempts:
            return a, n
        wait = min(delay * 2 ** (failures - 1), max_delay)
        log.warning("%s: attempt %d/%d failed (%s); retrying in %.2fs", scheme, failures, attempts, a.error[:200], wait)
        time.sleep(wait)


def _send_row(engine, apobj, row, token: str, dag_id: str, period_key: str) -> NoticeOutcome:
    recipient, kind = row["recipient"], row["kind"]
    outcome = NoticeOutcome(recipient, kind, "failed", outbox_id=row["id"])
    servers, via_fallback = channels.routes(apobj, recipient)
    if not servers:
        msg = f"no Apprise URL for tag {recipient!r} in GXQ_APPRISE_CONFIG={channels.config_path()}"
        _update_owned(engine, row["id"], token, status="unrouted", last_error=msg, claim_token=None)
        outcome.status, outcome.error = "unrouted", msg
        return outcome
    if via_fallback:
        log.info("tag %s has no URL of its own: using the 'fallback' URL(s)", recipient)
    notice = Notice(recipient, kind, row["subject"], row["body"], json.loads(row["attachments_json"] or "[]"),
                    row["link"], row["body_format"])
    done: list[str] = json.loads(row["channels_json"] or "[]")
    errors: list[str] = []
    refusals: list[dict] = []
    total = row["attempts"]
    for server in servers:
        uid = channels.url_id(server)
        messages = channels.compose(server, notice, notice.attachments)
        outcome.channels += 1
        for m in messages:
            part_key = f"{uid}#{m.part}/{m.parts}"
            if part_key in done:
                continue
            ctx = {"recipient": recipient, "dag_id": dag_id, "period_key": period_key, "kind": kind,
                   "part": m.part, "parts": m.parts}

            def on_attempt(a: Attempt, n: int, m=m, uid=uid, part_key=part_key, server=server) -> None:
                nonlocal total
                total += 1
                if a.ok:
                    done.append(part_key)
                _record_part(engine, row["id"], token, server, uid, m, a, done if a.ok else None, total)

            a, _n = _deliver_part(engine, server, m, notice.format, ctx, on_attempt)
            if not a.ok:
                where = f"{channels.scheme_of(server)}://… ({uid})"
                part = f" part {m.part}/{m.parts}" if m.parts > 1 else ""
                errors.append(f"{where}{part}: {a.error}")
                if a.refused:
                    refusals.append({"platform": PLATFORM_LABELS.get(channels.scheme_of(server),
                                                                     channels.scheme_of(server)),
                                     "url_id": uid, "code": a.code, "message": a.message or ""})
                break  # the rest of this URL's parts wait for the retry; other URLs go on
            outcome.messages += 1
    outcome.attempts = total - row["attempts"]
    if errors:
        outcome.error = " ; ".join(errors)
        outcome.status = "refused" if refusals else "failed"
        outcome.refusals = refusals
        _update_owned(engine, row["id"], token, status=outcome.status, last_error=outcome.error[-4000:],
                      attempts=total, claim_token=None, channels_json=json.dumps(done))
        log.error("notice %s/%s for %s %s %s: %s", recipient, kind, dag_id, period_key,
                  "refused by the platform" if refusals else "failed", outcome.error)
    else:
        outcome.status = "sent"
        _update_owned(engine, row["id"], token, status="sent", last_error=None, sent_at=_now(),
                      attempts=total, claim_token=None, channels_json=json.dumps(done))
    return outcome


# --- the entry point ------------------------------------------------------------------------


def _engine(engine):
    return store.ensure_schema(engine) if engine is not None else store.ops_engine()


def deliver(
    dag_id: str,
    period_key: str,
    notices: list[Notice],
    dry_run: bool = False,
    resend: bool = False,
    engine=None,
    run_id: str | None = None,
    config_path: str | None = None,
    report_unrouted: bool = True,
    sender: Sender | None = None,
) -> DeliveryResult:
    """Record and send a run's notices through the outbox; see the module docstring.

    ``dry_run``: render and record (status ``dry_run``), send nothing. ``resend``: send again
    notices already sent for this period (once per ``run_id``, so a retried task does not resend
    twice). ``sender``: the task try sending (default: the running Airflow task, if any), recorded
    with each claim. Raises :class:`DeliveryFailed` after everything was attempted if any notice
    failed.
    """
    engine = _engine(engine)
    sender = sender or current_sender()
    result = DeliveryResult(dag_id, period_key)
    seen: set[tuple[str, str]] = set()
    for n in notices:
        if (n.recipient, n.kind) in seen:
            raise ValueError(f"two notices of kind {n.kind!r} for {n.recipient!r} in one delivery")
        seen.add((n.recipient, n.kind))
    rendered = [render_notice(n, dag_id, period_key) for n in notices]
    for r in rendered:
        leaks = find_unmasked(r.subject) + find_unmasked(r.body)
        if leaks:  # cannot happen after mask_text; a guard, not a feature
            raise AssertionError(f"unmasked personal data in {r.recipient}/{r.kind}")

    if dry_run:
        for r in rendered:
            row = record(engine, dag_id, period_key, r, status="dry_run", run_id=run_id)
            if row["status"] == "sent":
                result.skipped_already_sent += 1
                result.notices.append(NoticeOutcome(r.recipient, r.kind, "skipped_already_sent", row["id"],
                                                    changed_since_sent=row["payload_hash"] != r.payload_hash))
            else:
                result.dry_run += 1
                result.notices.append(NoticeOutcome(r.recipient, r.kind, "dry_run", row["id"]))
        log.info("dry run of %s %s: %d notice(s) recorded, none sent", dag_id, period_key, result.dry_run)
        return result

    if not channels.config_path():
        log.warning("GXQ_APPRISE_CONFIG is not set and there is no demo config: no notice can be routed")
    apobj = channels.load(config_path)

    for r in rendered:
        row = record(engine, dag_id, period_key, r, run_id=run_id)
        outcome = _process(engine, apobj, row, r, dag_id, period_key, resend, run_id, sender)
        _count(result, outcome)

    taken = [n for n in result.notices if n.taken_over and not n.kind.startswith("interrupted:")]
    if taken and report_unrouted:
        # Keyed by the claims taken over: a retry of this delivery does not tell ops twice.
        subjects = {(x.recipient, x.kind): x.subject for x in rendered}
        r = render_notice(_interrupted_notice(dag_id, period_key, taken, sender, subjects), dag_id, period_key)
        row = record(engine, dag_id, period_key, r, run_id=run_id)
        _count(result, _process(engine, apobj, row, r, dag_id, period_key, False, run_id, sender))

    if result.unrouted and report_unrouted:
        tags = sorted(set(result.unrouted))
        log.warning("%s %s: no Apprise URL for tag(s) %s; their notices wait in the outbox (status unrouted)",
                    dag_id, period_key, ", ".join(tags))
        if "ops" not in tags:
            ops_notice = _unrouted_notice(dag_id, period_key, tags)
            r = render_notice(ops_notice, dag_id, period_key)
            row = record(engine, dag_id, period_key, r, run_id=run_id)
            outcome = _process(engine, apobj, row, r, dag_id, period_key, False, run_id, sender)
            _count(result, outcome)

    refused = [n for n in result.notices if n.status == "refused" and n.recipient != "ops"]
    if refused and report_unrouted:
        # ops hears of it through its own route; keyed by what was refused, so a retry of the
        # same refusal does not alert twice.
        r = render_notice(_refused_notice(dag_id, period_key, refused), dag_id, period_key)
        row = record(engine, dag_id, period_key, r, run_id=run_id)
        _count(result, _process(engine, apobj, row, r, dag_id, period_key, False, run_id, sender))

    log.info(
        "notifications of %s %s: %d sent, %d already sent, %d in progress elsewhere, %d failed "
        "(%d refused by the platform), unrouted %s",
        dag_id, period_key, result.sent, result.skipped_already_sent, result.in_progress, result.failed,
        result.refused, result.unrouted or "none",
    )
    if result.failed or result.in_progress:
        raise DeliveryFailed(result)
    return result


def _count(result: DeliveryResult, outcome: NoticeOutcome) -> None:
    result.notices.append(outcome)
    if outcome.status == "sent":
        result.sent += 1
    elif outcome.status == "skipped_already_sent":
        result.skipped_already_sent += 1
    elif outcome.status == "in_progress":
        result.in_progress += 1
    elif outcome.status == "unrouted":
        if outcome.recipient not in result.unrouted:
            result.unrouted.append(outcome.recipient)
    else:
        result.failed += 1
        if outcome.status == "refused":
            result.refused += 1


def _process(engine, apobj, row, r: Rendered, dag_id, period_key, resend: bool, run_id,
             sender: Sender | None = None) -> NoticeOutcome:
    if row["status"] == "sent":
        if resend and (run_id is None or row["resend_run_id"] != run_id):
            if _reopen_for_resend(engine, row["id"], r, run_id):
                log.info("resend of %s/%s forced by the operator", r.recipient, r.kind)
            with engine.connect() as conn:
                row = _get(conn, row["id"])
        if row["status"] == "sent":
            return NoticeOutcome(r.recipient, r.kind, "skipped_already_sent", row["id"],
                                 changed_since_sent=row["payload_hash"] != r.payload_hash)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + _env_float("GXQ_NOTIFY_WAIT_IN_PROGRESS", 120)
    taken_over = None
    while not _claim(engine, row["id"], token, run_id, sender):
        # Someone holds it. Our own earlier try, killed mid-send: take over at once. Another run:
        # wait for its outcome rather than report success for a notice that may yet fail (or
        # whose sender died: its claim is taken over once stale, GXQ_NOTIFY_CLAIM_TTL).
        with engine.connect() as conn:
            row = _get(conn, row["id"])
        if row["status"] == "sent":
            return NoticeOutcome(r.recipient, r.kind, "skipped_already_sent", row["id"])
        if row["status"] == "sending":
            if _take_over(engine, row, token, run_id, sender):
                taken_over = {"by": _holder_text(row, sender),
                              "claimed_at": f"{row['claimed_at']:%Y-%m-%d %H:%M:%S} UTC"}
                log.warning("%s/%s of %s %s: taking over the claim of %s, which died while sending it; "
                            "the message it was sending may have been delivered (ops is told to check for a "
                            "double)", r.recipient, r.kind, dag_id, period_key, taken_over["by"])
                break
            if time.monotonic() >= deadline:
                return NoticeOutcome(r.recipient, r.kind, "in_progress", row["id"],
                                     error=_held_elsewhere(row, sender))
            time.sleep(0.5)
    with engine.connect() as conn:
        row = _get(conn, row["id"])
    try:
        outcome = _send_row(engine, apobj, row, token, dag_id, period_key)
        outcome.taken_over = taken_over
        return outcome
    except Exception as exc:
        # Never leave a claimed row behind: it would wait for the claim TTL.
        _update_owned(engine, row["id"], token, status="failed", claim_token=None,
                      last_error=f"{type(exc).__name__}: {exc}"[-4000:])
        raise


def _unrouted_notice(dag_id: str, period_key: str, tags: list[str]) -> Notice:
    subject, body = render("unrouted", dag_id=dag_id, period_key=period_key, tags=tags,
                           config=channels.config_path() or "(GXQ_APPRISE_CONFIG not set)")
    kind = "unrouted:" + ",".join(tags)
    if len(kind) > 200:
        kind = "unrouted:" + hashlib.sha256(",".join(tags).encode()).hexdigest()[:16]
    return Notice("ops", kind, subject, body)


def _interrupted_notice(dag_id: str, period_key: str, taken: list[NoticeOutcome], sender: Sender | None,
                        subjects: dict) -> Notice:
    items = [{"recipient": n.recipient, "kind": n.kind, "subject": subjects.get((n.recipient, n.kind), ""),
              "status": n.status, "error": n.error,
              "by": n.taken_over["by"], "claimed_at": n.taken_over["claimed_at"]} for n in taken]
    subject, body = render("interrupted", dag_id=dag_id, period_key=period_key, items=items,
                           this=(f"try {sender.try_number} of task {sender.task}" if sender else "this delivery"))
    digest = hashlib.sha256(json.dumps([[n.outbox_id, n.taken_over["claimed_at"]] for n in taken]).encode())
    return Notice("ops", f"interrupted:{digest.hexdigest()[:16]}", subject, body)


def _refused_notice(dag_id: str, period_key: str, refused: list[NoticeOutcome]) -> Notice:
    items = [{"recipient": n.recipient, "kind": n.kind, "refusals": n.refusals} for n in refused]
    subject, body = render("refused", dag_id=dag_id, period_key=period_key, items=items,
                           config=channels.config_path() or "(GXQ_APPRISE_CONFIG not set)")
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return Notice("ops", f"refused:{digest}", subject, body)


def deliveries(engine, outbox_id: int | None = None) -> list[dict]:
    """Per-message delivery rows (part, bot, platform code, attempts), oldest first."""
    q = sa.select(delivery).order_by(delivery.c.id)
    if outbox_id is not None:
        q = q.where(delivery.c.outbox_id == outbox_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def rows(engine, dag_id: str | None = None, period_key: str | None = None) -> list[dict]:
    """Outbox rows (for reports, tests and the dashboard)."""
    q = sa.select(outbox).order_by(outbox.c.id)
    if dag_id:
        q = q.where(outbox.c.dag_id == dag_id)
    if period_key:
        q = q.where(outbox.c.period_key == period_key)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def deliver_run(run, notices: list[Notice]) -> dict:
    """:func:`deliver` a run's notices (its DAG, key and flags: a :class:`gxq.run.Run`); the outcome
    is kept beside the report (``notifications.json``), not in it, so that report.json stays
    reproducible. Returns the outcome without the per-notice list."""
    result = deliver(run.dag_id, run.key, notices, dry_run=run.dry_run, resend=run.resend, run_id=run.run_id)
    outcome = result.to_dict()
    write_text(period_dir(run.dag_id, run.key) / "notifications.json",
               json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    return {k: v for k, v in outcome.items() if k != "notices"}
