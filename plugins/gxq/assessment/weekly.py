"""The week's report of ``assessment_rectification`` (三轮评估 整改跟踪).

Contract keys (period, as_of, rounds, findings_overdue, awaiting_verification, indicators,
reminders, escalated) from :func:`gxq.assessment.rules.contract_report`. Extra keys, for people
and the 看板:

- ``finding_details``: every counted finding with its indicator's name, problem, dates, state as of
  the week (``state`` / ``state_label``), whether it was closed on time, and the week's flags;
- ``due_soon``: findings not rectified and due in the coming week (临期提醒);
- ``reported_rectified``: findings the unit reported rectified this week, not yet verified (新报整改);
- ``indicator_trends``: per scored indicator its name, unit and each counted round's score and rank
  (the chart's data);
- ``units``: per unit with a counted finding, its findings, overdue, escalated and awaiting ones;
- ``data_problems``: the rows left out, with the rule applied.

Nothing depends on the time of the run: a rerun on the same data gives the same report.
"""

from __future__ import annotations

from gxq.assessment import rules
from gxq.assessment.rules import AssessmentData
from gxq.assessment.source import load
from gxq.periods import Period


def build_report(week_period: Period, data: AssessmentData) -> dict:
    week = rules.evaluate(data, week_period.last_day)
    report = rules.contract_report(week_period.key, week)
    names = {i.indicator_code: i.name for i in data.indicators}
    soon, reported = set(rules.due_soon(week)), set(rules.reported_in_week(week))
    escalated = set(report["escalated"])
    details = []
    for f, s in week.findings:
        details.append({
            "finding_id": f.finding_id, "round": f.round, "indicator_code": f.indicator_code,
            "indicator": names.get(f.indicator_code), "unit": f.unit, "problem": f.problem,
            "due_on": f.due_on.isoformat(), "rectified_on": s["rectified_on"],
            "verified_on": f.verified_on.isoformat() if s["verified"] else None,
            "state": s["state"], "state_label": rules.STATE_LABELS[s["state"]], "on_time": s["on_time"],
            "days_overdue": s["days_overdue"], "escalated": f.finding_id in escalated,
            "due_soon": f.finding_id in soon, "reported_this_week": f.finding_id in reported,
        })
    trends = []
    for i in report["indicators"]:
        rows = week.scores[i["indicator_code"]]
        trends.append({"indicator_code": i["indicator_code"], "name": names.get(i["indicator_code"]), "unit": i["unit"],
                       "scores": i["scores"], "ranks": {k: rows[k].city_rank for k in i["scores"]},
                       "districts": rows[max(rows)].districts})
    units: dict[str, dict] = {}
    for d in details:
        u = units.setdefault(d["unit"], {"unit": d["unit"], "findings": 0, "overdue": 0, "escalated": 0,
                                         "awaiting": 0, "verified": 0})
        u["findings"] += 1
        u["overdue"] += d["state"] == "overdue"
        u["escalated"] += d["escalated"]
        u["awaiting"] += d["state"] == "awaiting"
        u["verified"] += d["state"] == "verified"
    report.update({
        "finding_details": details,
        "due_soon": sorted(soon),
        "reported_rectified": sorted(reported),
        "indicator_trends": trends,
        "units": [units[u] for u in sorted(units)],
        "data_problems": week.problems,
    })
    return report


def evaluate(week_period: Period, engine=None) -> dict:
    """Read ``dept_supervision`` and build the week's report."""
    return build_report(week_period, load(engine))
