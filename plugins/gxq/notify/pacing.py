"""Pacing per chat bot (限速), across processes and Celery workers, through ``gxq_ops``.

企业微信 and 钉钉 bots take 20 messages per 60 s, 飞书 bots 5 per second and 100 per minute
(:attr:`gxq.notify.platforms.ChatBot.rate_limits`); one more and the platform refuses it (HTTP
200, ``errcode`` 45009 / 130101 / 11232). The weekly bulletin alone sends ~22 notices, often to
one bot, and several runs or workers may send at once, so the allowance is kept where every
sender sees it: table ``gxq_notify_bot_sends`` holds one row per request sent to a bot.

A sender takes a slot with :func:`acquire` before each request:

1. it locks the bot's row in ``gxq_notify_bots`` (an ``UPDATE``: a row lock on PostgreSQL, the
   write lock on SQLite), so senders to one bot take slots one at a time;
2. it counts that bot's requests in each window; when a window is full (or the bot is blocked
   after a "too fast" refusal) it releases the lock and sleeps until the oldest request leaves
   the window, then tries again;
3. otherwise it writes its own request's row and commits: the slot is taken.

After the answer, :func:`release` moves the row's time to the moment the answer came back, so
the window is measured from the end of each request and the platform, which counts arrivals,
never sees more than the limit within a window. :func:`block` (after a "too fast" refusal,
when something outside the outbox used the bot too) keeps every sender off the bot for one
window.

``GXQ_NOTIFY_RATE_WINDOW`` (seconds, default 60) replaces the platforms' 60-second window, so
tests can use a short one (the local platform servers of the tests take the same value).
Clocks: the times are the senders' own (UTC); workers on several hosts need synchronised
clocks (NTP), as Celery itself does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

import sqlalchemy as sa

from gxq.notify.tables import bot_sends, bots

log = logging.getLogger("gxq.notify")

DEFAULT_WINDOW = 60.0
# Requests older than this are deleted from the send log when a slot is taken.
KEEP = dt.timedelta(days=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def window_seconds() -> float:
    """The minute-long windows' length: ``GXQ_NOTIFY_RATE_WINDOW`` (default 60 s)."""
    try:
        value = float(os.environ.get("GXQ_NOTIFY_RATE_WINDOW", DEFAULT_WINDOW))
    except ValueError:
        value = DEFAULT_WINDOW
    return value if value > 0 else DEFAULT_WINDOW


def limits_of(server) -> tuple[tuple[int, float], ...]:
    """A server's (messages, seconds) limits, 60-second windows replaced by the configured one."""
    window = window_seconds()
    return tuple((n, window if seconds == DEFAULT_WINDOW else seconds)
                 for n, seconds in getattr(server, "rate_limits", ()) or ())


def _ensure_bot(engine, bot: str, platform: str) -> None:
    with engine.begin() as conn:
        if conn.execute(sa.select(bots.c.bot).where(bots.c.bot == bot)).first():
            return
        try:
            with conn.begin_nested():
                conn.execute(bots.insert().values(bot=bot, platform=platform, updated_at=_now()))
        except sa.exc.IntegrityError:
            pass  # another sender created it


def _wait_needed(conn, bot: str, limits, now: dt.datetime) -> float:
    """Seconds until a request may go to ``bot`` (0: now). Caller holds the bot's lock."""
    blocked = conn.execute(sa.select(bots.c.blocked_until).where(bots.c.bot == bot)).scalar()
    wait = (blocked - now).total_seconds() if blocked and blocked > now else 0.0
    for count, seconds in limits:
        since = now - dt.timedelta(seconds=seconds)
        recent = conn.execute(
            sa.select(bot_sends.c.at)
            .where(bot_sends.c.bot == bot, bot_sends.c.at > since)
            .order_by(bot_sends.c.at.desc())
            .limit(count)
        ).scalars().all()
        if len(recent) >= count:
            # The count-th most recent request must leave the window first.
            wait = max(wait, (recent[count - 1] - since).total_seconds())
    return wait


def acquire(engine, bot: str, platform: str, limits, max_wait: float | None = None) -> int | None:
    """Take a slot for one request to ``bot``; returns the send-log row id (for :func:`release`).

    Sleeps as long as the windows require. Without limits there is nothing to pace: None.
    ``max_wait`` (seconds) bounds the total sleep (default: ten of the longest windows, the
    time of 200 messages ahead in the queue); past it, :class:`TimeoutError`.
    """
    if not limits:
        return None
    _ensure_bot(engine, bot, platform)
    longest = max(seconds for _, seconds in limits)
    max_wait = max_wait if max_wait is not None else 10 * longest
    deadline = time.monotonic() + max_wait
    while True:
        with engine.begin() as conn:
            # The lock: every sender to this bot queues here, on SQLite and PostgreSQL alike.
            conn.execute(bots.update().where(bots.c.bot == bot).values(updated_at=_now()))
            now = _now()
            wait = _wait_needed(conn, bot, limits, now)
            if wait <= 0:
                send_id = conn.execute(bot_sends.insert().values(bot=bot, at=now)).inserted_primary_key[0]
                conn.execute(bot_sends.delete().where(bot_sends.c.bot == bot, bot_sends.c.at < now - KEEP))
                return send_id
        if time.monotonic() + wait > deadline:
            raise TimeoutError(f"bot {bot} ({platform}) stays at its rate limit; waited past {max_wait}s")
        log.info("%s bot %s at its rate limit: waiting %.2fs", platform, bot, wait)
        time.sleep(wait + 0.01)


def release(engine, send_id: int | None) -> None:
    """The request's answer came back: its window is counted from now."""
    if send_id is None:
        return
    with engine.begin() as conn:
        conn.execute(bot_sends.update().where(bot_sends.c.id == send_id).values(at=_now()))


def block(engine, bot: str, seconds: float, platform: str = "") -> None:
    """Keep every sender off ``bot`` for ``seconds`` (after a "too fast" refusal)."""
    _ensure_bot(engine, bot, platform)
    until = _now() + dt.timedelta(seconds=seconds)
    with engine.begin() as conn:
        conn.execute(
            bots.update()
            .where(bots.c.bot == bot, sa.or_(bots.c.blocked_until.is_(None), bots.c.blocked_until < until))
            .values(blocked_until=until, updated_at=_now())
        )


def sends_in_window(engine, bot: str, seconds: float, now: dt.datetime | None = None) -> int:
    """Requests sent to ``bot`` in the last ``seconds`` (for the dashboard and tests)."""
    now = now or _now()
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(bot_sends)
            .where(bot_sends.c.bot == bot, bot_sends.c.at > now - dt.timedelta(seconds=seconds))
        ).scalar_one()
