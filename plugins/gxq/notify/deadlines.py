"""The weekly bulletin's deadline (通报截止时间): done by Monday 12:00 Asia/Shanghai, or ``ops`` hears.

The DAG ``petition_bulletin_deadline_watch`` runs at that moment (12:00 of the bulletin's day:
Monday, or the next working day when Monday is a holiday; gxq.cadences) and calls
:func:`check_bulletin_deadline`: when the bulletin of the week due is not recorded as issued in
``gxq_reports``, one notice goes to ``ops`` through the outbox, keyed by the week, so one miss
makes one alert.

It stands in for Airflow's deadline alerts: in Airflow 3.3.2 a DAG carrying ``deadline=`` makes
``dag.test()`` (so ``airflow dags test``, the acceptance path) crash once the run succeeds
(DagRun.update_state calls DeadlineAlert.get_by_id() on the in-memory serialised alert, a dict).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gxq import cadences, store
from gxq.notify.alerts import base_url
from gxq.notify.model import Notice
from gxq.notify.outbox import deliver
from gxq.notify.templates import render
from gxq.run import Run
from gxq.store.tables import reports

log = logging.getLogger("gxq.notify.deadlines")

TZ = ZoneInfo(cadences.TIMEZONE)


def bulletin_dag_id() -> str:
    return cadences.dag_of("petitions")


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
    when = _parse_time(value)
    if when is None:
        return str(value) if value else "（无 / none）"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(TZ).strftime("%Y-%m-%d %H:%M %Z")


def bulletin_week_due(run: Run) -> tuple[str, dt.datetime]:
    """(week key, due time) of the bulletin a watch run checks: the week its rule covers (the last
    complete ISO week before the run's day), due at 12:00 local on the run's day."""
    due = run.moment.astimezone(TZ).replace(hour=12, minute=0, second=0, microsecond=0)
    return run.period.key, due


def check_bulletin_deadline(run: Run, engine=None) -> dict:
    """Has this week's bulletin been issued (``gxq_reports``)? If not, alert ``ops`` (once a week).

    A *backfill* run of the watch checks nothing: it is created long after its Monday noon, beside
    the backfilled bulletins themselves, and would alert ops for every week of the range
    (``GXQ_DEADLINE_ALERT_ALL_RUNS=1`` checks them anyway, for drills). Scheduled and manual runs
    check."""
    week, due = bulletin_week_due(run)
    if run.run_type == "backfill" and not os.environ.get("GXQ_DEADLINE_ALERT_ALL_RUNS"):
        log.info("deadline watch of %s (backfill run): the deadline passed long ago, nothing to check", week)
        return {"week": week, "due": due.isoformat(), "issued_at": None, "alerted": False, "skipped": "backfill"}
    engine = store.ensure_schema(engine) if engine is not None else store.ops_engine()
    bulletin = bulletin_dag_id()
    issued = _issued_at(engine, bulletin, week)
    result = {"week": week, "due": due.isoformat(), "issued_at": issued, "alerted": False}
    if issued:
        log.info("bulletin %s issued at %s UTC: deadline %s met or no longer open", week, issued, due)
        return result
    subject, body = render(
        "deadline_missed",
        dag_id=bulletin, run_id=run.run_id or "—", run_type="watch", period_key=week,
        state="未发布 / not issued", due="Monday 12:00 Asia/Shanghai",
        deadline_time=due.strftime("%Y-%m-%d %H:%M %Z"), logical_date=_local(run.moment),
        link=f"{base_url()}/dags/{bulletin}",
    )
    delivery = deliver(run.dag_id, week, [Notice("ops", f"deadline_missed:{week}", subject, body)],
                       dry_run=run.dry_run, resend=run.resend, engine=engine, run_id=run.run_id)
    result.update(alerted=True, notifications=delivery.to_dict())
    return result


def _issued_at(engine, dag_id: str, period_key: str) -> str | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(reports.c.issued_at).where(reports.c.dag_id == dag_id, reports.c.period_key == period_key)
        ).first()
    return None if row is None else str(row[0])
