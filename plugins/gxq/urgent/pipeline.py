"""The watch's one step (急险监测): read the window, stage each petition, write the report, tell
whoever must act. One task per run: the run is cheap (one statement through a partial index) and
runs 144 times a day, and a retry of the whole step is safe (the report is the same on the same
data; the notices are idempotent).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from gxq import cadences, output, periods, store
from gxq.connections import engine_for
from gxq.urgent import notices, watch

log = logging.getLogger(__name__)


def dag_id() -> str:
    """The watch's DAG id, from the registry (the one place that names it)."""
    (cadence,) = cadences.in_area("urgent")
    return cadence.dag_id


def _read(dept, period: periods.Period) -> list[dict]:
    """The window's rows. The department's columns are checked only when the statement fails: it
    names every column :data:`gxq.urgent.watch.REQUIRED_COLUMNS` lists (a test keeps it so), so a
    missing one always fails it, and the check then says which (two statements fewer on each of the
    day's 144 runs)."""
    try:
        return watch.read_rows(dept, period.start)
    except sa.exc.DBAPIError:
        watch.check_schema(dept)  # raises DepartmentSchemaError naming the table and column
        raise


def run(period_key: str, *, dept=None, ops=None, run_id: str | None = None, dry_run: bool = False,
        resend: bool = False, send: bool = True) -> dict:
    """One as_of: the report (contract keys first, then the extras), written and recorded, then
    the notices (``send=False``: none; ``dry_run``: recorded, not sent, nothing claimed)."""
    period = periods.parse_key(period_key, ("minute",))
    ops = ops if ops is not None else store.ops_engine()
    dept = dept if dept is not None else engine_for(watch.CONN_ID)
    report = watch.compute(_read(dept, period), period)
    name = dag_id()
    output.write_report(name, period.key, report)
    store.record_report(ops, name, period.key, report, run_id=run_id)
    log.info("%s %s: %d watched, %d alerts, %d escalated", name, period.key, report["watched"],
             len(report["alerts"]), len(report["escalated"]))
    if send:
        delivery = notices.notify(ops, report, name, dry_run=dry_run, resend=resend, run_id=run_id)
        log.info("%s %s: notices %s", name, period.key, delivery)
    return report
