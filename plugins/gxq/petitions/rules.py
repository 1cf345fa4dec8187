"""The contract's rules for the weekly bulletin, as pure functions over aggregated rows.

SQL (``include/sql/petitions``) does the filtering and counting in the department database;
these functions order, cut and assemble, so that ordering follows Unicode code points whatever
the database's collation.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

from gxq.rates import rate

# Invalid-row reasons, in the order they are checked (docs/reference.md).
INVALID_REASONS = (
    "bad_timestamp",
    "missing_received_at",
    "dispatched_before_received",
    "feedback_before_received",
    "bad_satisfaction",
)
REASON_LABELS = {
    "bad_timestamp": "时间格式错误（不是有效时间）",
    "missing_received_at": "缺少受理时间",
    "dispatched_before_received": "分拨时间早于受理时间",
    "feedback_before_received": "反馈时间早于受理时间",
    "bad_satisfaction": "回访结果不规范",
}

TOP_LIMIT = 10
TOP_FREE_PLACES = 5  # from the 6th place on, a topic needs at least 2 complaints
TOP_MIN_FROM_SIXTH = 2

# The plan's targets (全年按时分拨率 100%, 按时反馈率 100%, 满意率 95% 以上), each with the one label the
# bulletin, the notices and the 看板 use.
TARGETS = {"dispatch": 1.0, "feedback": 1.0, "satisfaction": 0.95}
METRIC_LABELS = {"dispatch": "按时分拨率", "feedback": "按时反馈率", "satisfaction": "满意率"}


def target_text(metric: str) -> str:
    """The target as the plan words it: ``100%``, or ``95%以上`` for a floor below 100%."""
    target = TARGETS[metric]
    return f"{target * 100:g}%" + ("" if target >= 1 else "以上")


def targets_line() -> str:
    """``按时分拨率100%, 按时反馈率100%, 满意率95%以上`` (the bulletin's 目标 sentence)."""
    return ", ".join(f"{METRIC_LABELS[k]}{target_text(k)}" for k in TARGETS)


UNIT_METRIC_FIELDS = (
    "received", "dispatch_due", "dispatch_on_time", "feedback_due", "feedback_on_time", "surveyed", "satisfied",
)


def _int(value) -> int:
    return int(value or 0)


def top_topics(topic_lead_rows: Iterable[dict], topic_unit_rows: Iterable[dict]) -> list[dict]:
    """高频投诉事项: per topic, complaints, lead unit and every unit on them.

    ``topic_lead_rows``: (topic, lead_unit, complaints) with lead_unit None for complaints
    without a lead; ``topic_unit_rows``: distinct (topic, unit_code).
    """
    complaints: Counter = Counter()
    leads: dict[str, Counter] = defaultdict(Counter)
    for row in topic_lead_rows:
        topic = row["topic"]
        if topic is None:  # a complaint without a topic is no topic to supervise
            continue
        n = _int(row["complaints"])
        complaints[topic] += n
        if row.get("lead_unit") is not None:
            leads[topic][str(row["lead_unit"])] += n
    units: dict[str, set] = defaultdict(set)
    for row in topic_unit_rows:
        if row["topic"] is not None and row["unit_code"] is not None:
            units[row["topic"]].add(str(row["unit_code"]))

    ordered = sorted(complaints.items(), key=lambda kv: (-kv[1], kv[0]))
    result = []
    for place, (topic, count) in enumerate(ordered, start=1):
        if place > TOP_LIMIT:
            break
        if place > TOP_FREE_PLACES and count < TOP_MIN_FROM_SIXTH:
            break
        result.append({
            "topic": topic,
            "complaints": count,
            "lead_unit": lead_of(leads.get(topic, Counter())),
            "units": sorted(units.get(topic, ())),
        })
    return result


def lead_of(lead_counts: Counter) -> str | None:
    """The unit that leads most complaints (tie: smallest code), None when none has a lead."""
    if not lead_counts:
        return None
    return min(lead_counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def topic_counts(topic_lead_rows: Iterable[dict]) -> dict[str, int]:
    counts: Counter = Counter()
    for row in topic_lead_rows:
        if row["topic"] is not None:
            counts[row["topic"]] += _int(row["complaints"])
    return dict(sorted(counts.items()))


def excluded(invalid_rows: Iterable[dict]) -> dict[str, int]:
    counts = Counter(row["reason"] for row in invalid_rows)
    return {reason: counts[reason] for reason in INVALID_REASONS if counts[reason] > 0}


def by_kind(kind_rows: Iterable[dict]) -> dict[str, int]:
    out = {}
    for row in sorted(kind_rows, key=lambda r: (r["kind"] is None, r["kind"] or "")):
        if row["kind"] is not None and _int(row["received"]) > 0:
            out[row["kind"]] = _int(row["received"])
    return out


def unit_metrics(rows: Iterable[dict]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Totals over all rows (including petitions without a lead) and per lead unit."""
    totals = dict.fromkeys(UNIT_METRIC_FIELDS, 0)
    per_unit: dict[str, dict[str, int]] = {}
    for row in rows:
        values = {f: _int(row[f]) for f in UNIT_METRIC_FIELDS}
        for f in UNIT_METRIC_FIELDS:
            totals[f] += values[f]
        if row["unit"] is not None:
            unit = str(row["unit"])
            acc = per_unit.setdefault(unit, dict.fromkeys(UNIT_METRIC_FIELDS, 0))
            for f in UNIT_METRIC_FIELDS:
                acc[f] += values[f]
    return totals, per_unit


def rates_block(m: dict[str, int]) -> dict:
    return {
        "dispatch": {"due": m["dispatch_due"], "on_time": m["dispatch_on_time"],
                     "rate": rate(m["dispatch_on_time"], m["dispatch_due"])},
        "feedback": {"due": m["feedback_due"], "on_time": m["feedback_on_time"],
                     "rate": rate(m["feedback_on_time"], m["feedback_due"])},
        "satisfaction": {"surveyed": m["surveyed"], "satisfied": m["satisfied"],
                         "rate": rate(m["satisfied"], m["surveyed"])},
    }


def units_table(per_unit: dict[str, dict[str, int]], overdue_rows: Iterable[dict]) -> list[dict]:
    """One row per unit leading a valid relevant petition or an overdue one, by code."""
    overdue = Counter(str(r["lead_unit"]) for r in overdue_rows if r.get("lead_unit") is not None)
    codes = sorted(set(per_unit) | set(overdue))
    rows = []
    for code in codes:
        m = per_unit.get(code) or dict.fromkeys(UNIT_METRIC_FIELDS, 0)
        rows.append({
            "unit": code,
            "led": m["received"],
            "feedback_due": m["feedback_due"],
            "feedback_on_time": m["feedback_on_time"],
            "overdue_open": overdue.get(code, 0),
            "surveyed": m["surveyed"],
            "satisfied": m["satisfied"],
        })
    return rows


def below_target(per_unit: dict[str, dict[str, int]]) -> dict[str, list[dict]]:
    """Units below the plan's targets, per metric: [{"unit", "rate"}] by code."""
    out: dict[str, list[dict]] = {k: [] for k in TARGETS}
    for code in sorted(per_unit):
        block = rates_block(per_unit[code])
        for metric, target in TARGETS.items():
            r = block[metric]["rate"]
            if r is not None and r < target:
                out[metric].append({"unit": code, "rate": r})
    return out


# 办件质量 ranking (the plan puts it into units' 绩效考核): a weighted mean of the unit's rates.
RANKING_WEIGHTS = {"feedback": 0.4, "satisfaction": 0.4, "dispatch": 0.2}
RANKING_FORMULA = (
    "办件质量得分 = 100 × (0.4 × 按时反馈率 + 0.4 × 满意率 + 0.2 × 按时分拨率);"
    " 某项当月无应考核件时不计该项, 其余权重按比例折算; 得分相同按单位代码排序"
)


def quality_ranking(per_unit: dict[str, dict[str, int]]) -> list[dict]:
    rows = []
    for code, m in per_unit.items():
        block = rates_block(m)
        parts = {k: block[k]["rate"] for k in RANKING_WEIGHTS if block[k]["rate"] is not None}
        if not parts:
            continue
        weight = sum(RANKING_WEIGHTS[k] for k in parts)
        score = round(100 * sum(RANKING_WEIGHTS[k] * v for k, v in parts.items()) / weight, 2)
        rows.append({"unit": code, "score": score, "feedback_rate": block["feedback"]["rate"],
                     "satisfaction_rate": block["satisfaction"]["rate"],
                     "dispatch_rate": block["dispatch"]["rate"]})
    rows.sort(key=lambda r: (-r["score"], r["unit"]))
    for i, row in enumerate(rows, start=1):
        row["rank"] = i
    return rows


# --- 突增 (surges): a topic's complaints in W against its own 8 weeks before W ----------------

SURGE_BASELINE_WEEKS = 8
SURGE_MIN_COMPLAINTS = 5
SURGE_SIGMAS = 3
SURGE_SIGMA_FLOOR = 1  # σ below 1 counts as 1: a quiet, steady topic still needs a jump of 3+


def surge_baseline(history: list[int]) -> dict:
    """μ and the threshold μ + 3 × max(σ, 1) of baseline weeks, as the report shows them
    (Python's ``round(x, 2)``; σ the population standard deviation)."""
    n = len(history)
    if n == 0:
        raise ValueError("a surge baseline needs its weeks")
    s = sum(history)
    mean = s / n
    sigma = math.sqrt(n * sum(x * x for x in history) - s * s) / n
    return {"baseline_mean": round(mean, 2),
            "threshold": round(mean + SURGE_SIGMAS * max(sigma, SURGE_SIGMA_FLOOR), 2)}


def surge_test(count: int, history: list[int]) -> dict | None:
    """The contract's surge test of one count against its baseline weeks (oldest first, a week
    without complaints as 0): ``{"complaints", "baseline_mean", "threshold", "excess"}`` when
    ``count`` ≥ 5 and ``count`` > μ + 3 × max(σ, 1) (σ the population standard deviation), else None.

    The decision is exact (integers: with n weeks, n·μ = S and n²·σ² = n·Q − S²), so a count
    exactly at the threshold never surges through a rounding error; the reported mean and
    threshold are rounded (``surge_baseline``). ``excess`` = count − μ (the sort key).
    """
    n = len(history)
    if n == 0:
        raise ValueError("surge_test needs the baseline weeks")
    if count < SURGE_MIN_COMPLAINTS:
        return None
    s = sum(history)
    v = n * sum(x * x for x in history) - s * s  # n² σ²
    d = n * count - s  # n (count − μ)
    floor = n * SURGE_SIGMA_FLOOR
    if v < floor * floor:  # σ < 1: the threshold is μ + 3
        above = d > SURGE_SIGMAS * floor
    else:
        above = d > 0 and d * d > SURGE_SIGMAS * SURGE_SIGMAS * v
    if not above:
        return None
    return {"complaints": count, **surge_baseline(history), "excess": count - s / n}


def surges(week_counts: dict, baseline: dict, weeks: int = SURGE_BASELINE_WEEKS, key: str = "topic") -> list[dict]:
    """突增: the entries of ``week_counts`` ({topic: complaints in W}, or {(topic, street): ...})
    that surge against ``baseline`` ({same key: [count per week, oldest first]}, missing = all 0).
    Sorted by complaints − μ descending, then by key (code point): ``[{key..., "complaints",
    "baseline_mean", "threshold"}]``. A tuple key gives ``topic`` and ``street``."""
    found = []
    for name, count in week_counts.items():
        if name is None:
            continue
        history = list(baseline.get(name) or ())
        if len(history) > weeks:
            raise ValueError(f"{name!r}: {len(history)} baseline weeks, expected {weeks}")
        history = [0] * (weeks - len(history)) + [int(x) for x in history]
        hit = surge_test(int(count), history)
        if hit is not None:
            found.append((name, hit))
    found.sort(key=lambda kv: (-kv[1]["excess"], kv[0]))
    out = []
    for name, hit in found:
        ident = {"topic": name[0], "street": name[1]} if isinstance(name, tuple) else {key: name}
        out.append({**ident, "complaints": hit["complaints"], "baseline_mean": hit["baseline_mean"],
                    "threshold": hit["threshold"]})
    return out
