"""What every DAG file of the project shares (DAG 公共配置): the ``@dag`` arguments of a registered
DAG in one call (:func:`dag_args`: schedule, start date, default args with the ``ops`` failure alert,
params, tags, from its entry in :mod:`gxq.cadences`), and :func:`step`, the task decorator of every
step (a :class:`gxq.run.RunError` fails the task at once, without retries).

Imported at DAG-parse time: keep it light (no pandas, SQLAlchemy engines, Apprise, openpyxl).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from gxq import cadences
from gxq.cadences import OWNER, TIMEZONE
from gxq.run import NothingToDo, Run, RunError

# The plan's year: any date of 2021 on can be run or backfilled (docs/reference.md "Time").
START_DATE = pendulum.datetime(2021, 1, 1, tz=TIMEZONE)


def on_task_failure(context: dict) -> None:
    """Tell ``ops`` that a task failed (DAG, task, period, log link).

    Lives in ``default_args`` so each task carries it: a DAG-level ``on_failure_callback`` may
    never fire in Airflow 3.3 (apache/airflow#63374).
    """
    # Deferred: the alert goes through the outbox and Apprise, too heavy for DAG parsing.
    from gxq.notify.alerts import task_failed

    task_failed(context)


def default_args(dag_id: str | None = None, **overrides: Any) -> dict:
    """Retries with backoff and the ``ops`` failure alert; the owner is the DAG's (gxq.cadences)."""
    args = {
        "owner": cadences.get(dag_id).owner if dag_id else OWNER,
        "retries": 2,
        "retry_delay": dt.timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=10),
        "on_failure_callback": on_task_failure,
    }
    args.update(overrides)
    return args


def common_params(**extra):
    """``dry_run`` and ``resend``, which every DAG takes, plus the DAG's own params."""
    params = {
        "dry_run": Param(
            False, type="boolean",
            description="Render and record notices without sending them (试运行: 只生成不发送).",
        ),
        "resend": Param(
            False, type="boolean",
            description="Force a resend of this period's notices already sent (强制重发).",
        ),
    }
    params.update(extra)
    return params


def params_for(dag_id: str) -> dict:
    """The params of a registered DAG (:mod:`gxq.cadences`): ``dry_run``, ``resend`` and its own."""
    own = {}
    for spec in cadences.get(dag_id).params:
        extra = {"pattern": spec.pattern} if spec.pattern else {}
        own[spec.name] = Param(None, type=list(spec.type), description=spec.description, **extra)
    return common_params(**own)


def dag_args(dag_id: str) -> dict[str, Any]:
    """The ``@dag`` keyword arguments of a registered DAG (the file adds ``doc_md=__doc__``)."""
    cadence = cadences.get(dag_id)
    args = {
        "dag_id": dag_id,
        "schedule": cadences.schedule_for(dag_id),
        "start_date": START_DATE,
        "catchup": False,
        "default_args": default_args(dag_id),
        "params": params_for(dag_id),
        "tags": list(cadence.tags),
    }
    if cadence.max_active_runs is not None:
        args["max_active_runs"] = cadence.max_active_runs
    return args


def fail_at_once(fn: Callable) -> Callable:
    """``fn`` with a :class:`RunError` turned into Airflow's ``AirflowFailException`` (no retries:
    retrying cannot mend an operator's input), and a :class:`NothingToDo` into a skip (the later
    steps are skipped too: the run ends green)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RunError as exc:
            raise AirflowFailException(str(exc)) from exc
        except NothingToDo as exc:
            raise AirflowSkipException(str(exc)) from exc

    return wrapper


def step(fn: Callable | None = None, **task_kwargs: Any):
    """``@task`` for a step of the step contract; a :class:`RunError` fails it at once, a
    :class:`NothingToDo` skips it."""
    if fn is None:
        return lambda f: step(f, **task_kwargs)
    return task(fail_at_once(fn), **task_kwargs)


def publishes(dag_id: str) -> dict:
    """The ``@task`` arguments of a DAG's publish step: when another DAG is built from its reports
    (:func:`gxq.cadences.consumers_of`), the step updates the report's asset
    (:func:`gxq.cadences.report_asset`) under the partition of the period it issued
    (:func:`gxq.cadences.partition_key`), which schedules the consumers; else nothing."""
    if not cadences.consumers_of(dag_id):
        return {}
    asset = cadences.report_asset(dag_id)

    def announce(context: dict, result=None) -> None:
        # The step returns the path of the report.json it wrote: <output>/<dag_id>/<period key>/report.json.
        if isinstance(result, str) and result.endswith("report.json"):
            key = Path(result).parent.name
        else:  # a step that returns something else: its run's report key
            key = Run.from_context(context, dag_id).key
        events = context["outlet_events"][asset]
        events.extra = {"dag_id": dag_id, "period": key}
        partition = cadences.partition_key(key)
        if partition:
            events.add_partitions(partition)

    return {"outlets": [asset], "post_execute": announce}
