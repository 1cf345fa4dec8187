"""The bulletin's steps on the project's step contract (docs/ARCHITECTURE.md): plan → compute →
supervise → render → publish → notify, each a plain function of the run value (:class:`gxq.run.Run`
or its dict) that runs and tests without Airflow; values passed between steps are JSON-serialisable
(they travel as XComs).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass

from gxq import output, periods, store
from gxq.connections import engine_for
from gxq.notify import deliver
from gxq.petitions import DAG_ID, daily, rules, supervision
from gxq.petitions import compute as petition_sql
from gxq.petitions import render as rendering
from gxq.petitions.notices import build_notices
from gxq.run import Run
from gxq.store import ops_engine

log = logging.getLogger(__name__)
TREND_WEEKS = 8


def dept_engine():
    return engine_for(petition_sql.CONN_ID)


# --- plan -----------------------------------------------------------------------------------


def check_schema(week_key: str) -> str:
    """gxq_ops created or migrated first; then the department columns the bulletin reads."""
    period = periods.parse_key(week_key, ("week",))
    ops_engine()
    petition_sql.check_schema(dept_engine())
    return period.key


def plan(run: Run | dict) -> dict:
    """The run value, once gxq_ops is migrated and the department columns are checked (a cheap read,
    before any query)."""
    run = Run.from_dict(run)
    check_schema(run.key)
    log.info("%s: week %s (%s)", run.dag_id, run.key, run.triggered_by)
    return run.to_dict()


def compute(run: Run | dict, lines: dict[str, dict] | None = None) -> dict:
    """The week's report, year to date, trend and ranking; ``lines``: other capabilities' lines of
    the week the bulletin carries (``{"publicity": {"text": ...}}``, handed over by :mod:`gxq.carried`)."""
    return compute_all(Run.from_dict(run).key, lines=lines)


# --- compute --------------------------------------------------------------------------------
#
# The week goes one way: read (the department, once per concern: the week, its 急险, the unit
# directory) → keep (the week's days into gxq_ops, days never stored read once, the windows' days
# loaded) → compute (the windows' figures, the surges) → assemble (the report and its extras).
# What the windows are is derived once from the week (``Windows.of``).


@dataclass(frozen=True)
class Windows:
    """The windows a bulletin of week W sums besides W itself, derived once from W: the year to
    date (the plan's annual targets), the trend, the ranking month and the 突增 baseline."""

    week: periods.Period
    ytd_first: dt.date  # 1 January of the year of W's last day; the year to date ends with W
    trend: tuple[periods.Period, ...]  # the TREND_WEEKS weeks ending with W, oldest first
    month: periods.Period | None  # the month this bulletin ranks (ranking_month), or None
    baseline: tuple[periods.Period, ...]  # the SURGE_BASELINE_WEEKS weeks before W, oldest first

    @classmethod
    def of(cls, period: periods.Period) -> Windows:
        return cls(period, ytd_window(period)[0].date(), tuple(trend_weeks(period)), ranking_month(period),
                   tuple(baseline_weeks(period)))

    @property
    def first_day(self) -> dt.date:
        """The first stored day any window sums."""
        return min(self.ytd_first, self.trend[0].first_day, self.baseline[0].first_day,
                   *([self.month.first_day] if self.month else []))


def ytd_window(period: periods.Period) -> tuple[dt.datetime, dt.datetime]:
    """Year to date for the plan's annual targets: 1 January of the year of W's last day to W's end."""
    year = period.last_day.year
    return dt.datetime(year, 1, 1), period.end


def ranking_month(period: periods.Period) -> periods.Period | None:
    """The month ranked by this bulletin: the first bulletin of a month (issued on the Monday
    after W, in that month's first 7 days) ranks the month before."""
    issued = period.end.date()
    if issued.day > 7:
        return None
    return periods.month_containing(issued).previous()


def trend_weeks(period: periods.Period) -> list[periods.Period]:
    """The ``TREND_WEEKS`` weeks ending with ``period``, oldest first."""
    weeks = [period]
    while len(weeks) < TREND_WEEKS:
        weeks.append(weeks[-1].previous())
    return weeks[::-1]


def baseline_weeks(period: periods.Period) -> list[periods.Period]:
    """The ``rules.SURGE_BASELINE_WEEKS`` weeks before ``period``, oldest first (突增 baseline)."""
    weeks = [period.previous()]
    while len(weeks) < rules.SURGE_BASELINE_WEEKS:
        weeks.append(weeks[-1].previous())
    return weeks[::-1]


def week_surges(week_rows: list[dict], counts: dict[str, int], baseline_rows: list[dict],
                period: periods.Period, weeks: list[periods.Period] | tuple | None = None) -> dict:
    """突增 of one week: ``surges`` (the contract's key), ``street_surges`` (the same test per
    topic × 街道, for the office) and ``surge_details`` (streets, lead units and the 9 weeks of
    each surging topic, for the bulletin's 突增事项 section and charts).

    ``week_rows``: the week's complaints per topic, street, lead unit and day (``petition_sql.topics``); ``counts``: its complaints per topic (as
    for ``top_topics``); ``baseline_rows``: the stored per-day topic counts of the 8 weeks before
    (``weeks``: those weeks, ``baseline_weeks(period)`` when not given).
    """
    weeks = list(weeks or baseline_weeks(period))
    baseline = daily.weekly_topic_counts(baseline_rows, weeks)
    surges = rules.surges(counts, baseline)
    street_week = daily.weekly_topic_counts(week_rows, [period], by_street=True)
    street_base = daily.weekly_topic_counts(baseline_rows, weeks, by_street=True)
    street_surges = rules.surges({k: v[0] for k, v in street_week.items()}, street_base)
    details = []
    for s in surges:
        topic = s["topic"]
        rows = [r for r in week_rows if r["topic"] == topic]
        streets, leads = Counter(), Counter()
        for r in rows:
            streets[r["street"]] += r["complaints"]
            if r["lead_unit"] is not None:
                leads[r["lead_unit"]] += r["complaints"]
        history = baseline.get(topic) or [0] * len(weeks)
        details.append({
            "topic": topic,
            "lead_unit": rules.lead_of(leads),
            "streets": [{"street": k, "complaints": n}
                        for k, n in sorted(streets.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))],
            "lead_units": [{"unit": k, "complaints": n} for k, n in sorted(leads.items(), key=lambda kv: (-kv[1], kv[0]))],
            "weeks": [{"period": w.key, "complaints": n} for w, n in zip(weeks, history)]
                     + [{"period": period.key, "complaints": s["complaints"]}],
        })
    return {"surges": surges, "street_surges": street_surges, "surge_details": details}


def compute_all(week_key: str, engine=None, ops=None, lines: dict[str, dict] | None = None) -> dict:
    """The contract report plus the extras (year to date, trend, ranking, 突增 detail, names, and
    the carried ``lines``, each under its area's key: ``publicity``, 附: 宣传工作).

    The week is read from the department once (``petition_sql.compute_week``: ``week.sql``), and its
    per-unit and per-topic, per-day counts are kept in ``gxq_ops``; the year to date, the trend, the
    ranking month and the surges' 8-week baselines are sums of stored days (``gxq.petitions.daily``),
    reading from the department only days never stored.
    """
    engine = engine or dept_engine()
    ops = ops or daily.ops_store()
    windows = Windows.of(periods.parse_key(week_key, ("week",)))
    # read: the week, its 急险 and the unit directory, in one statement
    week = petition_sql.compute_week(engine, windows.week)
    # keep: the week's days stored, days never stored read once; the windows' stored days
    unit_days, topic_days = daily.keep(ops, engine, windows.week, week["detail"]["unit_days"],
                                       week["detail"]["topic_days"], windows.first_day, windows.baseline[0].first_day)
    # compute and assemble
    return assemble(windows, week, unit_days, topic_days, lines or {})


def assemble(windows: Windows, week: dict, unit_days: list[dict], topic_days: list[dict],
             lines: dict[str, dict]) -> dict:
    """The compute step's result: the contract report (with the week's surges), the extras in the
    report's order, and what the later steps need (topic counts, backlog and quarantined rows, names)."""
    period = windows.week
    report, detail = week["report"], week["detail"]
    names = detail["unit_names"]  # the unit directory as of this bulletin (the 看板 names units by it)
    surge = week_surges(detail["topic_days"], detail["topic_counts"], topic_days, period, windows.baseline)
    report["surges"] = surge["surges"]
    ytd_totals, ytd_units = daily.window(unit_days, windows.ytd_first, period.end.date())
    trend = []
    for w in windows.trend:
        totals = detail["totals"] if w.key == period.key else daily.window(unit_days, w.first_day, w.end.date())[0]
        block = rules.rates_block(totals)
        trend.append({"period": w.key, "received": totals["received"],
                      "dispatch_rate": block["dispatch"]["rate"], "feedback_rate": block["feedback"]["rate"],
                      "satisfaction_rate": block["satisfaction"]["rate"]})
    ranking = None
    if windows.month is not None:
        _, month_units = daily.window(unit_days, windows.month.first_day, windows.month.end.date())
        ranking = {"month": windows.month.key, "formula": rules.RANKING_FORMULA,
                   "units": rules.quality_ranking(month_units)}
    extras = {
        "targets": dict(rules.TARGETS),
        "unit_rates": {
            code: {k: v["rate"] for k, v in rules.rates_block(m).items()} for code, m in sorted(detail["per_unit"].items())
        },
        "below_target": {"week": rules.below_target(detail["per_unit"]), "ytd": rules.below_target(ytd_units)},
        "ytd": {"start": windows.ytd_first.isoformat(), "end": period.last_day.isoformat(),
                "received": ytd_totals["received"], **rules.rates_block(ytd_totals),
                "unit_rates": {code: {k: v["rate"] for k, v in rules.rates_block(m).items()}
                               for code, m in sorted(ytd_units.items())}},
        "trend": trend,
        "monthly_ranking": ranking,
        "street_surges": surge["street_surges"],
        "surge_details": surge["surge_details"],
        "data_quality": {"invalid": [{"petition_id": r["petition_id"], "reason": r["reason"]}
                                     for r in detail["invalid"]]},
        "issued_on": period.end.date().isoformat(),
        "urgent": detail["urgent"],
        "unit_names": names,
        **lines,  # carried from other capabilities by the step layer (gxq.carried)
    }
    return {
        "report": report,
        "extras": extras,
        "topic_counts": detail["topic_counts"],
        "overdue": detail["overdue"],
        "invalid": detail["invalid"],
        "unit_names": names,
    }


# --- supervise ------------------------------------------------------------------------------


def supervised_surges(surges: list[dict], details: list[dict]) -> list[dict]:
    """The week's surges as the supervision history keeps them: with the lead unit of each topic
    (a 突增 item outside the top list takes its lead from here)."""
    leads = {d["topic"]: d["lead_unit"] for d in details}
    return [{**s, "lead_unit": leads.get(s["topic"])} for s in surges]


def surges_from_store(ops, engine):
    """surges_of(week_key, counts) for ``supervision.week_source``: a past week's surges against its
    baseline from the stored per-day counts (days never stored are read once and kept)."""

    def surges_of(week_key: str, counts: dict[str, int]) -> list[dict]:
        period = periods.parse_key(week_key, ("week",))
        source = daily.source_key(engine)
        first = baseline_weeks(period)[0].first_day
        end = period.end.date()
        daily.fill_missing(ops, engine, source, first, end, period.key)
        rows = daily.load_topics(ops, source, first, end)
        week_rows = [r for r in rows if r["day"] >= period.first_day]
        surge = week_surges([{**r, "lead_unit": None} for r in week_rows], counts,
                            [r for r in rows if r["day"] < period.first_day], period)
        return surge["surges"]

    return surges_of


def week_topics_from_dept(engine, ops=None):
    """get_week's source for a week never stored: its top list read from the department, its
    surges from the stored per-day counts (with the week's leads, read with its top list)."""

    def get(week_key: str) -> supervision.WeekTopics:
        period = periods.parse_key(week_key, ("week",))
        top, counts, rows = petition_sql.week_topics(engine, period)
        surges = None
        if ops is not None:
            source = daily.source_key(engine)
            first = baseline_weeks(period)[0].first_day
            daily.fill_missing(ops, engine, source, first, period.first_day, period.key)
            surge = week_surges(rows, counts, daily.load_topics(ops, source, first, period.first_day), period)
            surges = supervised_surges(surge["surges"], surge["surge_details"])
        return supervision.WeekTopics(week_key, counts, top, surges)

    return get


def supervise(run: Run | dict, computed: dict) -> list[dict]:
    return supervise_week(Run.from_dict(run).key, computed)


def supervise_week(week_key: str, computed: dict, ops=None, engine=None) -> list[dict]:
    """Record W's list (top topics and surges), derive every item's state as of W, record the states."""
    ops = ops or ops_engine()
    engine = engine or dept_engine()
    report = computed["report"]
    this_week = supervision.WeekTopics(
        week_key, computed["topic_counts"], report["top_topics"],
        supervised_surges(report.get("surges", []), computed["extras"].get("surge_details", [])))
    supervision.save_week(ops, this_week)
    get_week = supervision.week_source(ops, week_topics_from_dept(engine, ops), surges_from_store(ops, engine))
    states = supervision.states_as_of(week_key, get_week)
    supervision.save_states(ops, week_key, states)
    return [s.as_dict() for s in states]


# --- render / publish -----------------------------------------------------------------------


def assemble_report(computed: dict, supervised: list[dict]) -> dict:
    """The contract keys first, exactly; then the extras."""
    report = dict(computed["report"])
    for key, value in computed["extras"].items():
        report[key] = value
    report["supervised_items"] = supervised
    return report


def render(run: Run | dict, computed: dict, supervised: list[dict]) -> dict:
    run = Run.from_dict(run)
    report = assemble_report(computed, supervised)
    ctx = rendering.build_context(report, computed["overdue"], computed["invalid"], computed["unit_names"])
    files = rendering.write_files(output.period_dir(run.dag_id, run.key), ctx)
    return {"report": report, "files": {k: str(v) for k, v in files.items()}}


def publish(run: Run | dict, computed: dict, rendered: dict) -> str:
    """report.json (after the files people read) and its copy in gxq_ops."""
    return store.publish_report(run, rendered["report"])


# --- notify ---------------------------------------------------------------------------------


def notify(run: Run | dict, computed: dict, rendered: dict) -> dict:
    run = Run.from_dict(run)
    notices = build_notices(rendered["report"], computed["overdue"], computed["invalid"], computed["unit_names"],
                            rendered["files"])
    return deliver(run.dag_id, run.key, notices, dry_run=run.dry_run, resend=run.resend, run_id=run.run_id).to_dict()


def run_week(week_key: str, dry_run: bool = True, resend: bool = False, send: bool = True,
             lines: dict[str, dict] | None = None) -> dict:
    """All steps in-process (for operators and scripts): returns the report. ``lines``: as for
    :func:`compute` (``gxq.carried.lines(DAG_ID, period)`` gives what the DAG carries)."""
    run = plan(Run.for_period(DAG_ID, week_key, dry_run=dry_run, resend=resend))
    computed = compute(run, lines)
    rendered = render(run, computed, supervise(run, computed))
    publish(run, computed, rendered)
    if send:
        notify(run, computed, rendered)
    return rendered["report"]
