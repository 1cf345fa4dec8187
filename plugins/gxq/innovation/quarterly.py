"""季调度 report (``innovation_quarterly_dispatch``) for a quarter Q.

Each month of Q is evaluated with the monthly rules. A project's ``statuses`` list only the
months it is active in (months before its start are neither listed nor counted). A project is
dispatched (列入调度) when it is red or unreported in Q's last month, or in at least two of its
months. ``dispatch`` holds exactly the contract's keys; the extra keys are:

- ``months``: Q's month keys; ``month_counts``: each month's colour counts (active projects);
- ``dispatch_details``: per dispatched project its name, gaps per month, why it is listed
  (``last_month`` and/or ``two_months``) and whether it gets a 督办函 (``supervision_letter``);
- ``agenda``: the dispatched projects grouped by responsible unit (sorted by code; projects without
  a unit last, under ``null``) — the 调度会议程;
- ``supervision_letters``: projects red in all three months of Q (督办函), sorted;
- ``data_problems``: see :mod:`gxq.innovation.rules`.
"""

from __future__ import annotations

from gxq.innovation import rules
from gxq.innovation.source import InnovationData, load
from gxq.periods import Period

BAD = ("red", "unreported")


def load_for(quarter: Period, engine=None) -> InnovationData:
    months = quarter.months()
    return load(months[0].key, months[-1].key, with_indicators=False, engine=engine)


def build_report(quarter: Period, data: InnovationData) -> dict:
    problems = rules.Problems()
    months = quarter.months()
    book = rules.ProjectBook(data.projects, data.progress)  # one frame for the three months
    per_month = {m.key: {s.project_id: s for s in book.evaluate(m, problems).rows()} for m in months}
    last = months[-1].key
    dispatch, details = [], []
    for pid in data.projects.project_id.tolist():  # sorted by project_id
        trail = {m.key: per_month[m.key][pid] for m in months if pid in per_month[m.key]}
        if not trail:
            continue
        first = next(iter(trail.values()))
        statuses = {k: s.status for k, s in trail.items()}
        bad_months = [k for k, st in statuses.items() if st in BAD]
        reasons = []
        if statuses.get(last) in BAD:
            reasons.append("last_month")
        if len(bad_months) >= 2:
            reasons.append("two_months")
        if not reasons:
            continue
        letter = len(statuses) == len(months) and all(st == "red" for st in statuses.values())
        dispatch.append({"project_id": pid, "responsible_unit": first.responsible_unit, "statuses": statuses})
        details.append({"project_id": pid, "name": first.name, "responsible_unit": first.responsible_unit, "statuses": statuses,
                        "gaps": {k: s.gap for k, s in trail.items()}, "reasons": reasons,
                        "supervision_letter": letter})

    units = sorted({d["responsible_unit"] for d in details if d["responsible_unit"] is not None})
    agenda = [{"unit": u, "projects": [d for d in details if d["responsible_unit"] == u]} for u in units]
    orphans = [d for d in details if d["responsible_unit"] is None]
    if orphans:
        agenda.append({"unit": None, "projects": orphans})
    return {
        "period": quarter.key,
        "dispatch": dispatch,
        "months": [m.key for m in months],
        "month_counts": {k: rules.count_statuses(v.values()) for k, v in per_month.items()},
        "dispatch_details": details,
        "agenda": agenda,
        "supervision_letters": [d["project_id"] for d in details if d["supervision_letter"]],
        "data_problems": problems.as_list(),
    }


def evaluate(quarter: Period, engine=None) -> dict:
    return build_report(quarter, load_for(quarter, engine))
