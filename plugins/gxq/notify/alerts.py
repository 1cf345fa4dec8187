"""Ops alerts (运维告警): a task failed, a deadline was missed -> a notice to ``ops``.

:func:`task_failed` is the ``on_failure_callback`` of every task (through
``gxq.dagkit.on_task_failure`` in ``default_args``; the DAG-level callback may never fire in
Airflow 3.3, apache/airflow#63374). It goes through the outbox like every notice, keyed by
task, try number and run, so a callback that runs twice sends one alert. It never raises: an
alert that cannot be sent is logged, and must not mask the task's own failure.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from urllib.parse import quote

from gxq import cadences, periods
from gxq.masking import mask_text
from gxq.notify import channels
from gxq.notify.model import DeliveryFailed, Notice
from gxq.notify.outbox import _send_once, deliver
from gxq.notify.templates import render
from gxq.run import Run, RunError, logical_date

log = logging.getLogger("gxq.notify.alerts")


def base_url() -> str:
    url = os.environ.get("AIRFLOW__API__BASE_URL")
    if not url:
        try:  # deferred: the package runs without Airflow too
            from airflow.configuration import conf

            url = conf.get("api", "base_url", fallback=None)
        except Exception:  # noqa: BLE001 - outside Airflow
            url = None
    return (url or "http://localhost:8080/").rstrip("/")


def log_url(dag_id: str, run_id: str | None, task_id: str, try_number: int | None = None,
            map_index: int | None = None) -> str:
    """The Airflow 3 UI page of a task try (same shape as the Task SDK's ``ti.log_url``)."""
    if not run_id:
        return f"{base_url()}/dags/{dag_id}"
    url = f"{base_url()}/dags/{dag_id}/runs/{quote(run_id, safe='')}/tasks/{task_id}"
    if map_index is not None and map_index >= 0:
        url += f"/mapped/{map_index}"
    if try_number:
        url += f"?try_number={try_number}"
    return url


def _period_key(dag_id: str, context: dict) -> str:
    """The failed run's report key (its run value), for the alert text and the outbox key."""
    if dag_id in cadences.BY_ID:
        try:
            return Run.from_context(context, dag_id).key
        except RunError:  # an alert must go out even for a run whose params are bad
            log.debug("period of %s not derivable; using the param or the logical date", dag_id, exc_info=True)
    params = context.get("params") or {}
    if params.get("period"):
        return str(params["period"])[:40]
    logical = logical_date(context)
    if logical is not None:
        try:
            return periods.to_local(logical).strftime("%Y-%m-%d")
        except Exception:  # noqa: BLE001
            return str(logical)[:40]
    return "manual"


def _tries_left(context: dict, ti) -> int | None:
    """How many more tries Airflow will run after this failed one (None: unknown).

    Airflow calls ``on_failure_callback`` when the task has failed for good (the last try, or an
    error that is never retried); a try with ``try_number <= max_tries`` would be retried."""
    try_number = getattr(ti, "try_number", None)
    max_tries = getattr(ti, "max_tries", None)
    if max_tries is None:
        retries = getattr(context.get("task"), "retries", None)
        max_tries = retries if isinstance(retries, int) else None
    if not isinstance(try_number, int) or not isinstance(max_tries, int):
        return None
    return max(0, max_tries - try_number + 1)


def build_task_failed_notice(context: dict):
    """The ``ops`` notice for a failed task (no sending)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", None) or getattr(context.get("task"), "task_id", "?")
    try_number = getattr(ti, "try_number", None)
    map_index = getattr(ti, "map_index", None)
    dag_run = context.get("dag_run")
    run_id = getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None) or context.get("run_id")
    logical = logical_date(context)
    exc = context.get("exception")
    period_key = _period_key(dag_id, context)
    url = log_url(dag_id, run_id, task_id, try_number, map_index)
    subject, body = render(
        "task_failed",
        dag_id=dag_id, task_id=task_id, try_number=try_number, map_index=map_index, run_id=run_id,
        period_key=period_key, logical_date=str(logical) if logical is not None else "（无 / none: manual run）",
        exception=(f"{type(exc).__name__}: {exc}" if exc is not None else "（未知 / unknown）")[:3000],
        log_url=url, tries_left=_tries_left(context, ti),
    )
    kind = f"task_failed:{task_id}" + (f"[{map_index}]" if map_index is not None and map_index >= 0 else "")
    kind += f":{try_number}@{run_id or ''}"
    return dag_id, period_key, Notice("ops", kind[:200], subject, body, link=url)


def send_direct(dag_id: str, period_key: str, notice) -> int:
    """Send a notice to its tag straight through Apprise, without the outbox (used when
    ``gxq_ops`` itself is what failed); returns the number of messages the channels accepted."""
    notice = replace(notice, subject=mask_text(notice.subject), body=mask_text(notice.body), attachments=[])
    servers, _ = channels.routes(channels.load(), notice.recipient)
    if not servers:
        log.error("no Apprise URL for tag %r: the alert %s could not be sent", notice.recipient, notice.kind)
        return 0
    sent = 0
    for server in servers:
        for m in channels.compose(server, notice, []):
            ctx = {"recipient": notice.recipient, "dag_id": dag_id, "period_key": period_key,
                   "kind": notice.kind.replace(":", "_").replace("@", "_")[:120], "part": m.part, "parts": m.parts}
            attempt = _send_once(server, m, notice.format, ctx)
            if attempt.ok:
                sent += 1
            else:
                log.error("direct alert to %s failed: %s", channels.scheme_of(server), attempt.error[:300])
    return sent


def task_failed(context: dict) -> None:
    """``on_failure_callback``: tell ``ops``. Never raises.

    When the outbox cannot be used (``gxq_ops`` unreachable: often the very failure being
    reported), the alert still goes straight through Apprise to ``ops``, unrecorded, and the
    fallback is logged."""
    try:
        dag_id, period_key, notice = build_task_failed_notice(context)
    except Exception:
        log.exception("could not build the task-failure alert to ops")
        return
    try:
        deliver(dag_id, period_key, [notice])
        return
    except DeliveryFailed:  # recorded in the outbox, the channel failed: a retry of the outbox resends it
        log.exception("could not send the task-failure alert to ops")
        return
    except Exception as exc:  # noqa: BLE001 - the outbox (gxq_ops) is unusable
        log.error("the task-failure alert cannot use the outbox in gxq_ops (%s: %s); sending it to ops "
                  "directly through Apprise, unrecorded", type(exc).__name__, str(exc)[:300])
    try:
        n = send_direct(dag_id, period_key, notice)
        log.warning("task-failure alert sent directly to ops (%d message(s)), not recorded in gxq_ops", n)
    except Exception:
        log.exception("could not send the task-failure alert to ops")
