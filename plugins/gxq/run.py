"""The run value (一次运行): what one run of a DAG is, built in one place and handed from step to step.

A :class:`Run` says which DAG runs, for which period (报告期) and report key, up to which moment
(``as_of``, when the DAG's period rule counts up to its run's moment), with which flags (``dry_run``,
``resend``), under which Airflow run id, and who or what triggered it, in words for people
(定时调度, 回填, 手动触发（张三）, 资产触发, 命令行).

It is built once per run:

- in Airflow, by the first step, from the task context: ``Run.from_context(context, DAG_ID)``; this
  module is the only one that reads ``logical_date`` from a context;
- outside Airflow (``python -m`` entry points, tests, benchmarks), from a period key or a moment:
  ``Run.for_period(DAG_ID, "2021-03")``, ``Run.at(DAG_ID, when)``.

The later steps receive it as a small dict (``run.to_dict()`` / ``Run.from_dict``), an XCom.

A run that cannot go on as asked (a bad ``period``, ``as_of`` or ``policy_ids`` param, a review
answer that cannot be taken) raises :class:`RunError`: every step fails its task at once on it,
without retries (``gxq.dagkit.step``), since retrying cannot mend an operator's input.

Standard library, :mod:`gxq.periods` and :mod:`gxq.cadences` only: no Airflow import (the pipelines'
command lines run without it).
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gxq import cadences, periods

# Airflow's run types (DagRunType values) in words for people.
TRIGGERS = {
    "scheduled": "定时调度",
    "backfill": "回填",
    "manual": "手动触发",
    "asset_triggered": "资产触发",
    "asset_materialization": "资产触发",
}
COMMAND_LINE = "命令行"


class RunError(ValueError):
    """A run that cannot go on as asked (运行参数错误), with the reason; fails its task at once."""


class NothingToDo(Exception):
    """A scheduled run whose period has nothing for its DAG (本期无可办事项: e.g. a 政策兑现 month
    before any rule of its cadence is in force), with the reason: its step and every later step
    are skipped and the run ends green, rather than red for ever in the backfill of the plan year."""


def logical_date(context: dict) -> dt.datetime | None:
    """The run's logical date (None for a manual run without one), the one reading of it."""
    return context.get("logical_date")


def triggered_by(run_type: str | None, user: str | None = None) -> str:
    """Who or what triggered a run, in words: ``手动触发（张三）`` for a manual run by a known user."""
    words = TRIGGERS.get(run_type or "", f"其他（{run_type}）" if run_type else COMMAND_LINE)
    if run_type == "manual" and user:
        return f"{words}（{user}）"
    return words


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Run:
    dag_id: str
    period: periods.Period
    key: str  # the report folder and outbox key: the period key, or the rule's (2021-W09-wed)
    as_of: dt.datetime | None = None  # aware local: the moment counted up to, when the rule has one
    logical_date: dt.datetime | None = None  # aware local; None for a manual run without one
    run_after: dt.datetime | None = None  # aware local: when the run was due or triggered
    dry_run: bool = False
    resend: bool = False
    run_id: str | None = None
    triggered_by: str = COMMAND_LINE
    run_type: str | None = None  # Airflow's run type value (scheduled, manual, backfill...), None outside
    params: dict[str, Any] = field(default_factory=dict)  # the DAG's own params, as given

    # --- building it ------------------------------------------------------------------------

    @classmethod
    def build(cls, dag_id: str, when: dt.datetime | None, *, period: Any = None, as_of: Any = None,
              logical: dt.datetime | None = None, **fields: Any) -> Run:
        """The run of ``dag_id`` at moment ``when`` (its logical date, else its trigger time), or for
        the ``period`` key / ``as_of`` moment an operator named. Raises :class:`RunError`."""
        cadence = cadences.get(dag_id)
        rule = cadence.rule
        when = periods.to_local(when or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        try:
            if period not in (None, "") and not isinstance(period, str):
                raise periods.PeriodError(f"must be a string such as {cadences.example_key(dag_id)}, got {period!r}")
            if rule.as_of:
                moment = periods.parse_moment(as_of) if as_of not in (None, "") else when
                covered = rule.covers(moment)
                return cls(dag_id, covered, rule.key(covered, moment), as_of=moment, **fields)
            covered = periods.parse_key(period, cadence.kinds) if period else rule.covers(when)
        except periods.PeriodError as exc:
            name = "as_of" if rule.as_of else "period"
            raise RunError(f"{dag_id}: invalid {name} param: {exc}") from None
        return cls(dag_id, covered, covered.key, **fields)

    @classmethod
    def from_context(cls, context: dict, dag_id: str) -> Run:
        """The run of the running Airflow task (its params, logical date, dag run)."""
        params = dict(context.get("params") or {})
        dag_run = context.get("dag_run")
        logical = logical_date(context)
        run_after = getattr(dag_run, "run_after", None) or getattr(dag_run, "start_date", None)
        run_type = getattr(dag_run, "run_type", None)
        run_type = getattr(run_type, "value", run_type)
        own = {k: v for k, v in params.items() if k not in ("dry_run", "resend", "period", "as_of")}
        # A run Airflow created for an asset partition (gxq.cadences.inputs_timetable: a month) covers it.
        partition = getattr(dag_run, "partition_key", None)
        return cls.build(
            dag_id, logical or run_after, period=params.get("period") or partition, as_of=params.get("as_of"),
            logical_date=periods.to_local(logical) if logical else None,
            run_after=periods.to_local(run_after) if run_after else None,
            dry_run=bool(params.get("dry_run")), resend=bool(params.get("resend")),
            run_id=getattr(dag_run, "run_id", None) or context.get("run_id"),
            triggered_by=triggered_by(run_type, getattr(dag_run, "triggering_user_name", None)),
            run_type=run_type, params=own,
        )

    @classmethod
    def for_period(cls, dag_id: str, period_key: str, *, dry_run: bool = True, resend: bool = False,
                   **params: Any) -> Run:
        """A run for a period an operator names outside Airflow (``python -m ...``)."""
        return cls.build(dag_id, None, period=period_key, dry_run=dry_run, resend=resend, params=params)

    @classmethod
    def from_args(cls, dag_id: str, args: argparse.Namespace) -> Run:
        """The run of a flow command of :func:`command_line`."""
        return cls.for_period(dag_id, args.period, dry_run=not args.send, resend=args.resend)

    @classmethod
    def at(cls, dag_id: str, when: dt.datetime, *, dry_run: bool = True, resend: bool = False,
           **params: Any) -> Run:
        """The run a schedule would make at logical date ``when`` (aware), outside Airflow."""
        local = periods.to_local(when)
        return cls.build(dag_id, local, logical_date=local, dry_run=dry_run, resend=resend, params=params)

    # --- reading it ---------------------------------------------------------------------------

    @property
    def cadence(self) -> cadences.Cadence:
        return cadences.get(self.dag_id)

    @property
    def moment(self) -> dt.datetime:
        """The moment the run stands for: its as_of, else its logical date, else its trigger time."""
        return self.as_of or self.logical_date or self.run_after or dt.datetime.now(periods.TZ)

    # --- as an XCom ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        p = self.period
        return {
            "dag_id": self.dag_id, "key": self.key,
            "period": {"key": p.key, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()},
            "as_of": _iso(self.as_of), "logical_date": _iso(self.logical_date), "run_after": _iso(self.run_after),
            "dry_run": self.dry_run, "resend": self.resend, "run_id": self.run_id,
            "triggered_by": self.triggered_by, "run_type": self.run_type, "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | Run) -> Run:
        if isinstance(data, Run):
            return data
        p = data["period"]
        period = periods.Period(p["key"], p["kind"], _when(p["start"]), _when(p["end"]))
        return cls(
            data["dag_id"], period, data["key"], as_of=_when(data.get("as_of")),
            logical_date=_when(data.get("logical_date")), run_after=_when(data.get("run_after")),
            dry_run=bool(data.get("dry_run")), resend=bool(data.get("resend")), run_id=data.get("run_id"),
            triggered_by=data.get("triggered_by") or COMMAND_LINE, run_type=data.get("run_type"),
            params=dict(data.get("params") or {}),
        )


def command_line(prog: str, description: str, counts_help: str, flows: dict[str, str]) -> argparse.ArgumentParser:
    """The operators' command line of a capability (``python -m gxq.<area>``): ``counts YEAR [--json]``
    and one command per flow, ``PERIOD [--send] [--resend]`` (``flows``: command -> its help);
    :meth:`Run.from_args` makes the run of a flow command."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("counts", help=counts_help)
    c.add_argument("year", type=int)
    c.add_argument("--json", action="store_true")
    for name, text in flows.items():
        s = sub.add_parser(name, help=text)
        s.add_argument("period")
        s.add_argument("--send", action="store_true", help="send the notices (default: dry run)")
        s.add_argument("--resend", action="store_true")
    return parser


def run_report_flow(run: Run, plan, compute, render, publish, notify) -> Any:
    """A capability's steps plan → compute → render → publish → notify in order, without Airflow (the
    command line and tests); returns what compute made."""
    plan(run)
    result = compute(run)
    rendered = render(run, result)
    publish(run, result, rendered)
    notify(run, result, rendered)
    return result
