"""The score (得分), its deductions and the ranking (排名), from charges and the weights in force.

- Each charge costs ``quantity × points`` of its rule, rounded to 2 decimals; a rule's cap and then
  its source's cap are applied in the order the charges are listed (source, rule, item), the charge
  that reaches a cap keeping only what is left, the ones after it costing nothing (they stay in
  the trace, marked capped). The caps of the sources add up to at most the full score, so
  ``score = full_score − Σ deductions`` exactly.
- Ranking: by score descending; equal scores share a rank (1, 1, 3), and the list goes by rank,
  then unit code.
- Change: against the previous month's issued scorecard (null when that month has none, or the
  unit is not in it).
"""

from __future__ import annotations

from collections import defaultdict

from gxq.scorecard.sources import Charge
from gxq.scorecard.weights import RULES, SOURCES, Version

_RULE_ORDER = {rule: i for i, rule in enumerate(r for rules in RULES.values() for r in rules)}


def _round(value: float) -> float:
    return round(value + 0.0, 2)


def score_units(units: set[str], charges: list[Charge], version: Version, full_score: float) -> tuple[list[dict], dict]:
    """The contract's ``units`` list and the trace (unit -> every charge with its points)."""
    by_unit: dict[str, list[Charge]] = defaultdict(list)
    for c in charges:
        by_unit[c.unit].append(c)
    rows, trace = [], {}
    for unit in sorted(units | set(by_unit)):
        spent_rule: dict[str, float] = defaultdict(float)
        spent_source: dict[str, float] = defaultdict(float)
        deductions, lines = [], []
        ordered = sorted(by_unit.get(unit, []), key=lambda c: (SOURCES.index(version.rules[c.rule].source),
                                                                _RULE_ORDER[c.rule], c.item))
        for c in ordered:
            rule = version.rules[c.rule]
            source = version.sources[rule.source]
            points = _round(c.quantity * rule.points)
            room = source.cap - spent_source[rule.source]
            if rule.cap is not None:
                room = min(room, rule.cap - spent_rule[c.rule])
            taken = _round(max(0.0, min(points, room)))
            spent_rule[c.rule] = _round(spent_rule[c.rule] + taken)
            spent_source[rule.source] = _round(spent_source[rule.source] + taken)
            if taken > 0:
                deductions.append({"source": rule.source, "item": c.item, "points": taken})
            lines.append({**c.as_dict(), "points": taken, "uncapped": points, "capped": taken < points,
                          "wording": rule.wording})
        lost = _round(sum(d["points"] for d in deductions))
        rows.append({"unit": unit, "score": _round(full_score - lost), "rank": None, "deductions": deductions})
        trace[unit] = lines
    return rank(rows), trace


def rank(rows: list[dict]) -> list[dict]:
    """Competition ranking by score (ties share a rank), listed by rank then unit code."""
    ordered = sorted(rows, key=lambda r: (-r["score"], r["unit"]))
    previous_score, previous_rank = None, 0
    for position, row in enumerate(ordered, start=1):
        if row["score"] != previous_score:
            previous_score, previous_rank = row["score"], position
        row["rank"] = previous_rank
    return ordered


def changes(rows: list[dict], previous: dict | None) -> dict[str, dict]:
    """Each unit's score and rank against the previous month's scorecard (比上月)."""
    before = {r["unit"]: r for r in (previous or {}).get("units") or []}
    out = {}
    for row in rows:
        prev = before.get(row["unit"])
        out[row["unit"]] = {
            "previous_score": prev["score"] if prev else None,
            "previous_rank": prev["rank"] if prev else None,
            "score_change": _round(row["score"] - prev["score"]) if prev else None,
            "rank_change": (prev["rank"] - row["rank"]) if prev else None,  # > 0: moved up
        }
    return out


def rollup(period_key: str, months: dict[str, dict], expected: list[str]) -> dict:
    """季度/年度考核: a unit's score over a quarter or year is the mean of its monthly scores in the
    issued scorecards of the period (2 decimals), ranked like a month; months without a scorecard
    are named (``missing_months``) and the roll-up is marked incomplete."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for key in sorted(months):
        for row in months[key].get("units") or []:
            scores[row["unit"]][key] = row["score"]
    rows = []
    for unit, by_month in scores.items():
        rows.append({"unit": unit, "score": _round(sum(by_month.values()) / len(by_month)), "rank": None,
                     "months": dict(sorted(by_month.items())),
                     "deductions": _round(sum(_lost(months[k], unit) for k in by_month))})
    missing = [k for k in expected if k not in months]
    return {"period": period_key, "months": expected, "missing_months": missing, "complete": not missing,
            "units": rank(rows)}


def _lost(report: dict, unit: str) -> float:
    for row in report.get("units") or []:
        if row["unit"] == unit:
            return sum(d["points"] for d in row["deductions"])
    return 0.0
