"""A month's scorecard from what the other DAGs issued (绩效考核 计分).

The inputs are the reports the producing DAGs kept in ``gxq_ops`` (``store.record_report``), read
per the registry's :class:`gxq.cadences.Input` list, never the department databases again. An
input the month needs and that is not there (a week's bulletin, the month's evaluation, a DAG not
deployed) is a *missing input*: named in the report (``missing_inputs``), and the run decides
what follows (gxq.scorecard.pipeline).
"""

from __future__ import annotations

from gxq import cadences, periods, store
from gxq.scorecard import scoring, sources
from gxq.scorecard.weights import Weights, load

AREA = "scorecard"


def dag_id() -> str:
    return cadences.in_area(AREA)[0].dag_id


def needed_keys(need: str, month: periods.Period) -> list[str]:
    """The report period keys an input gives a month (``runs``: none fixed, any run in the month)."""
    if need == "month":
        return [month.key]
    weeks = [w.key for w in periods.weeks_of_month(month)]
    if need == "weeks":
        return weeks
    if need == "last_week":
        return weeks[-1:]
    if need == "runs":
        return []
    raise ValueError(f"unknown input need {need!r}")


def gather(ops, month: periods.Period) -> tuple[dict[str, dict[str, dict]], list[dict], list[dict]]:
    """(source -> {period key -> report}, missing inputs, what was read) for ``month``."""
    found: dict[str, dict[str, dict]] = {}
    missing: list[dict] = []
    read: list[dict] = []
    for spec in cadences.get(dag_id()).inputs:
        if spec.dag_id not in cadences.BY_ID:
            found[spec.source] = {}
            missing.append({"source": spec.source, "dag_id": spec.dag_id, "period": month.key, "reason": "not_deployed"})
            continue
        if spec.need == "runs":
            reports = {k: r for k, r in store.reports_of(ops, spec.dag_id, prefix=f"{month.key}-").items()
                       if periods.MINUTE_RE.match(k)}
            if not reports:
                missing.append({"source": spec.source, "dag_id": spec.dag_id, "period": month.key, "reason": "no_report"})
        else:
            keys = needed_keys(spec.need, month)
            reports = store.reports_of(ops, spec.dag_id, keys=keys)
            missing += [{"source": spec.source, "dag_id": spec.dag_id, "period": k, "reason": "no_report"}
                        for k in keys if k not in reports]
        found[spec.source] = reports
        read.append({"source": spec.source, "dag_id": spec.dag_id, "periods": sorted(reports)})
    return found, missing, read


def charges_of(found: dict[str, dict[str, dict]], month: periods.Period) -> list[sources.Gathered]:
    """Each source's charges and units."""
    by_source = {spec.source: spec for spec in cadences.get(dag_id()).inputs}
    out = []
    for source, reports in found.items():
        dag = by_source[source].dag_id
        if source == "petitions":
            out.append(sources.petitions(reports, month.key, dag))
        elif source == "urgent":
            out.append(sources.urgent(reports, dag))
        else:
            for key in sorted(reports):
                out.append(getattr(sources, source)(reports[key], key, dag))
    return out


def unit_names(found: dict[str, dict[str, dict]]) -> dict[str, str]:
    """The unit directory the month's latest bulletin carries (its ``unit_names``)."""
    bulletins = found.get("petitions") or {}
    for key in sorted(bulletins, reverse=True):
        names = bulletins[key].get("unit_names")
        if isinstance(names, dict) and names:
            return {str(k): str(v) for k, v in names.items()}
    return {}


def compute(month_key: str, ops=None, weights: Weights | None = None) -> dict:
    """The month's report: the contract keys (``period``, ``units``), then ``missing_inputs``,
    ``complete``, the weights version, the inputs read, each unit's change against the previous
    month, the trace of every point and, in a quarter's or year's last month, the roll-ups."""
    month = periods.parse_key(month_key, ("month",))
    ops = ops if ops is not None else store.ops_engine()
    weights = weights or load()
    version = weights.in_force(month.first_day)
    found, missing, read = gather(ops, month)
    gathered = charges_of(found, month)
    units = set().union(*(g.units for g in gathered)) if gathered else set()
    charges = [c for g in gathered for c in g.charges]
    rows, trace = scoring.score_units(units, charges, version, weights.full_score)
    previous = store.reports_of(ops, dag_id(), keys=[month.previous().key]).get(month.previous().key)
    report = {
        "period": month.key,
        "units": rows,
        "missing_inputs": missing,
        "complete": not missing,
        "full_score": weights.full_score,
        "weights": version.summary(),
        "inputs": read,
        "changes": scoring.changes(rows, previous),
        "trace": trace,
        "unit_names": unit_names(found),
    }
    report["rollups"] = rollups(ops, month, report)
    return report


def rollups(ops, month: periods.Period, this_month: dict) -> list[dict]:
    """季度/年度考核 in the month that ends a quarter (and the year): the mean of the issued monthly
    scorecards of the period (this month's as just computed)."""
    out = []
    if month.last_day.month % 3 == 0:
        quarter = periods.quarter_containing(month.first_day)
        out.append(_rollup(ops, quarter.key, [m.key for m in quarter.months()], month, this_month))
    if month.last_day.month == 12:
        year = month.first_day.year
        out.append(_rollup(ops, str(year), [f"{year}-{m:02d}" for m in range(1, 13)], month, this_month))
    return out


def _rollup(ops, key: str, months: list[str], month: periods.Period, this_month: dict) -> dict:
    stored = store.reports_of(ops, dag_id(), keys=[m for m in months if m != month.key])
    stored = {k: r for k, r in stored.items() if r.get("complete", True)}
    stored[month.key] = this_month
    return scoring.rollup(key, stored, months)
