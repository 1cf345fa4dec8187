"""What every DAG file of the project shares (DAG 公共配置): start date, default args with the
``ops`` failure alert, the operator params, and the run's period.

Imported at DAG-parse time: keep it light (no pandas, SQLAlchemy engines, Apprise, openpyxl).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pendulum

from gxq import periods

TIMEZONE = "Asia/Shanghai"
# The plan's year: any date of 2021 on can be run or backfilled (CONTRACT.md "Time").
START_DATE = pendulum.datetime(2021, 1, 1, tz=TIMEZONE)
OWNER = "gxq-ops"


def on_task_failure(context: dict) -> None:
    """Tell ``ops`` that a task failed (DAG, task, period, log link).

    Lives in ``default_args`` so each task carries it: a DAG-level ``on_failure_callback`` may
    never fire in Airflow 3.3 (apache/airflow#63374).
    """
    from gxq.notify.alerts import task_failed  # lazy: Apprise is heavy

    task_failed(context)


def default_args(**overrides: Any) -> dict:
    args = {
        "owner": OWNER,
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
    from airflow.sdk import Param

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


def period_param(example: str, description: str):
    from airflow.sdk import Param

    return Param(
        None,
        type=["null", "string"],
        description=f"{description} e.g. {example}; empty: derived from the run's logical date.",
    )


DERIVE: dict[str, tuple[Callable[[dt.datetime], periods.Period], tuple[str, ...]]] = {
    "previous_week": (periods.previous_week, ("week",)),
    "previous_month": (periods.previous_month, ("month",)),
    "previous_quarter": (periods.previous_quarter, ("quarter",)),
}


def run_period(context: dict, cadence: str, param_name: str = "period", kinds: tuple[str, ...] | None = None):
    """The period of this run: from the ``param_name`` param when set, else from the logical date,
    else (manual run without one) from the run's start time."""
    derive, default_kinds = DERIVE[cadence]
    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    run_time = getattr(dag_run, "run_after", None) or getattr(dag_run, "start_date", None)
    return periods.from_run(
        context.get("logical_date"), run_time, params.get(param_name), derive, kinds or default_kinds
    )


def flags(context: dict) -> tuple[bool, bool]:
    params = context.get("params") or {}
    return bool(params.get("dry_run")), bool(params.get("resend"))


def run_id(context: dict) -> str | None:
    dag_run = context.get("dag_run")
    return getattr(dag_run, "run_id", None)
