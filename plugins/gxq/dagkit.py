"""What every DAG file of the project shares (DAG 公共配置): start date, default args with the
``ops`` failure alert, and the params (built from the DAG's entry in :mod:`gxq.cadences`).

Imported at DAG-parse time: keep it light (no pandas, SQLAlchemy engines, Apprise, openpyxl).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import Param

from gxq import cadences
from gxq.cadences import OWNER, TIMEZONE

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


def flags(context: dict) -> tuple[bool, bool]:
    params = context.get("params") or {}
    return bool(params.get("dry_run")), bool(params.get("resend"))


def run_id(context: dict) -> str | None:
    dag_run = context.get("dag_run")
    return getattr(dag_run, "run_id", None)
