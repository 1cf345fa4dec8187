"""The weekly bulletin's deadline (通报截止时间): done by Monday 12:00 Asia/Shanghai, or ``ops`` hears.

Airflow 3.3 deadline alerts (``airflow.sdk.definitions.deadline``) work here, and are what
:func:`bulletin_deadline` returns for ``@dag(deadline=...)``:

- the reference is the run's logical date (the bulletin is scheduled Monday 09:00, so the
  logical date is Monday 09:00 local) plus 3 hours = Monday 12:00 Asia/Shanghai;
- when a DAG run is created, Airflow stores a deadline row for it; a run that finishes
  successfully deletes its deadline rows; the scheduler finds the rows whose time has passed and
  hands their callback to the triggerer;
- the callback is an :class:`~airflow.sdk.AsyncCallback` that the triggerer imports by dotted
  path (``gxq.notify.deadlines.bulletin_deadline_missed``: ``plugins/`` is on every Airflow
  component's ``sys.path``) and awaits with ``context={"dag_run": {...}, "deadline": {...}}``;
  it sends the alert through the outbox (in a worker thread: the outbox is synchronous), keyed
  by the run, so one miss makes one notice.

Only a *scheduled* run can be late: a manual, ``dags test`` or backfill run of a 2021 week is
created long after its Monday noon, so its deadline is "missed" at birth; the callback logs and
skips those (``GXQ_DEADLINE_ALERT_ALL_RUNS=1`` alerts for every run type, for drills). It also
skips when the bulletin of that period was issued meanwhile (``gxq_reports``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os

log = logging.getLogger("gxq.notify.deadlines")

BULLETIN_DAG_ID = "petition_weekly_bulletin"
# Scheduled Monday 09:00, due Monday 12:00 (Asia/Shanghai).
BULLETIN_DUE_AFTER = dt.timedelta(hours=3)
CALLBACK_PATH = "gxq.notify.deadlines.bulletin_deadline_missed"


def bulletin_deadline(interval: dt.timedelta = BULLETIN_DUE_AFTER):
    """The ``DeadlineAlert`` for ``@dag(deadline=...)`` of the weekly bulletin."""
    from airflow.sdk import AsyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=interval,
        callback=AsyncCallback(CALLBACK_PATH, kwargs={"due": "Monday 12:00 Asia/Shanghai"}),
        name="bulletin_due_monday_noon",
    )


def bulletin_deadline_if_enabled():
    """``bulletin_deadline()`` when ``GXQ_DEADLINE_ALERTS=1`` (deployments under the scheduler),
    else ``None``: a DAG with ``deadline=`` crashes ``dag.test()`` on success in Airflow 3.3.2
    (see below), and the watch DAG covers the deadline either way."""
    if os.environ.get("GXQ_DEADLINE_ALERTS", "").strip().lower() in ("1", "true", "yes"):
        return bulletin_deadline()
    return None


def _parse_time(value):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))  # 3.11 reads a trailing Z
    except ValueError:
        return None


def _local(value) -> str:
    from zoneinfo import ZoneInfo

    when = _parse_time(value)
    if when is None:
        return str(value) if value else "（无 / none）"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M %Z")


def _period_key(dag_run: dict) -> str:
    from gxq import periods

    logical = _parse_time(dag_run.get("logical_date"))
    conf = dag_run.get("conf") or {}
    if conf.get("period"):
        return str(conf["period"])
    if logical is None:
        return "manual"
    return periods.previous_week(logical).key


def _already_issued(dag_id: str, period_key: str) -> bool:
    try:
        import sqlalchemy as sa

        from gxq import store
        from gxq.store.tables import reports

        engine = store.ops_engine()
        with engine.connect() as conn:
            return conn.execute(
                sa.select(reports.c.dag_id).where(reports.c.dag_id == dag_id, reports.c.period_key == period_key)
            ).first() is not None
    except Exception:  # noqa: BLE001 - unknown: better one alert too many
        return False


def notify_deadline_missed(context: dict | None, due: str = "", engine=None):
    """Synchronous body of the callback: the ``ops`` notice through the outbox, or ``None``."""
    from gxq.notify.alerts import base_url, log_url
    from gxq.notify.model import Notice
    from gxq.notify.outbox import deliver
    from gxq.notify.templates import render

    context = context or {}
    dag_run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    dag_id = dag_run.get("dag_id") or BULLETIN_DAG_ID
    run_id = dag_run.get("run_id") or dag_run.get("dag_run_id")
    run_type = (dag_run.get("run_type") or "").lower()
    period_key = _period_key(dag_run)
    if run_type != "scheduled" and not os.environ.get("GXQ_DEADLINE_ALERT_ALL_RUNS"):
        log.info("deadline of %s %s (%s run) passed: not a scheduled run, no alert", dag_id, run_id, run_type)
        return None
    if _already_issued(dag_id, period_key):
        log.info("deadline of %s %s passed but the %s report is issued: no alert", dag_id, run_id, period_key)
        return None
    subject, body = render(
        "deadline_missed",
        dag_id=dag_id, run_id=run_id, run_type=run_type or "?", period_key=period_key,
        state=dag_run.get("state") or "?", due=due,
        deadline_time=_local(deadline.get("deadline_time")),
        logical_date=_local(dag_run.get("logical_date")),
        link=log_url(dag_id, run_id, "", None).rsplit("/tasks/", 1)[0] if run_id else f"{base_url()}/dags/{dag_id}",
    )
    # The same outbox key as the watch DAG's: whichever notices the miss first, ops hears once.
    return deliver(WATCH_DAG_ID, period_key, [Notice("ops", f"deadline_missed:{period_key}", subject, body)],
                   engine=engine)


async def bulletin_deadline_missed(context: dict | None = None, due: str = "", **_):
    """The ``AsyncCallback`` the triggerer awaits when the bulletin misses its deadline."""
    result = await asyncio.to_thread(notify_deadline_missed, context, due)
    return None if result is None else result.to_dict()


# --- the equivalent that works everywhere: a watch run at the deadline ------------------------
#
# Airflow 3.3.2's deadline alert works under the scheduler and the triggerer, but a DAG carrying
# ``deadline=`` makes ``dag.test()`` (so ``airflow dags test``, the acceptance path) crash once
# the run *succeeds*: DagRun.update_state calls DeadlineAlert.get_by_id() on the in-memory
# serialised alert, a dict, instead of its id. Until that is fixed the bulletin DAG does not
# carry it, and the DAG ``petition_bulletin_deadline_watch`` (Monday 12:00, or the bulletin's
# next working day 12:00) runs :func:`check_bulletin_deadline` instead.

WATCH_DAG_ID = "petition_bulletin_deadline_watch"


def bulletin_week_due(logical_date) -> tuple[str, dt.datetime]:
    """(week key, due time) of the bulletin a watch run at ``logical_date`` checks.

    The watch runs at 12:00 on the bulletin's day; the bulletin of that day covers the last
    complete ISO week before the day's week (CONTRACT.md), due at 12:00 local that day.
    """
    from zoneinfo import ZoneInfo

    from gxq import cadences

    tz = ZoneInfo("Asia/Shanghai")
    when = _parse_time(logical_date) if not isinstance(logical_date, dt.datetime) else logical_date
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    local = when.astimezone(tz)
    due = local.replace(hour=12, minute=0, second=0, microsecond=0)
    return cadences.covers(WATCH_DAG_ID, local).key, due


def check_bulletin_deadline(logical_date, run_id: str | None = None, dry_run: bool = False,
                            resend: bool = False, engine=None, run_type: str | None = None) -> dict:
    """Has this week's bulletin been issued (``gxq_reports``)? If not, alert ``ops`` (once a week).

    A *backfill* run of the watch checks nothing: it is created long after its Monday noon, beside
    the backfilled bulletins themselves, and would alert ops for every week of the range (the
    callback above skips such runs for the same reason; ``GXQ_DEADLINE_ALERT_ALL_RUNS=1`` checks
    them anyway). Scheduled and manual runs check."""
    from gxq import store
    from gxq.notify.alerts import base_url
    from gxq.notify.model import Notice
    from gxq.notify.outbox import deliver
    from gxq.notify.templates import render

    week, due = bulletin_week_due(logical_date)
    if (run_type or "").lower() == "backfill" and not os.environ.get("GXQ_DEADLINE_ALERT_ALL_RUNS"):
        log.info("deadline watch of %s (backfill run): the deadline passed long ago, nothing to check", week)
        return {"week": week, "due": due.isoformat(), "issued_at": None, "alerted": False, "skipped": "backfill"}
    engine = store.ensure_schema(engine) if engine is not None else store.ops_engine()
    issued = _issued_at(engine, BULLETIN_DAG_ID, week)
    result = {"week": week, "due": due.isoformat(), "issued_at": issued, "alerted": False}
    if issued:
        log.info("bulletin %s issued at %s UTC: deadline %s met or no longer open", week, issued, due)
        return result
    subject, body = render(
        "deadline_missed",
        dag_id=BULLETIN_DAG_ID, run_id=run_id or "—", run_type="watch", period_key=week,
        state="未发布 / not issued", due="Monday 12:00 Asia/Shanghai",
        deadline_time=due.strftime("%Y-%m-%d %H:%M %Z"), logical_date=_local(logical_date),
        link=f"{base_url()}/dags/{BULLETIN_DAG_ID}",
    )
    delivery = deliver(WATCH_DAG_ID, week, [Notice("ops", f"deadline_missed:{week}", subject, body)],
                       dry_run=dry_run, resend=resend, engine=engine, run_id=run_id)
    result.update(alerted=True, notifications=delivery.to_dict())
    return result


def _issued_at(engine, dag_id: str, period_key: str) -> str | None:
    import sqlalchemy as sa

    from gxq.store.tables import reports

    with engine.connect() as conn:
        row = conn.execute(
            sa.select(reports.c.issued_at).where(reports.c.dag_id == dag_id, reports.c.period_key == period_key)
        ).first()
    return None if row is None else str(row[0])
