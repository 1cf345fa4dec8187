"""三轮评估 整改跟踪: the rules of ``assessment_rectification`` as plain functions.

For an ISO week W, ``as_of`` is W's Sunday; every comparison is "on or before as_of". A round
counts when its ``published_on <= as_of``; its findings and scores count from then on. Per
counted finding (问题清单):

- *rectified* 已整改: ``rectified_on <= as_of``, or without rectified_on, ``verified_on <= as_of``;
- *verified* 已验收销号: ``verified_on <= as_of``;
- *overdue* 逾期未整改: not rectified and ``due_on < as_of`` (a finding due on as_of is not
  overdue yet); ``days_overdue = as_of - due_on``; 30 days or more: escalated (督办).

Beyond the contract (extras for people):

- *due soon* 临期: not rectified and ``as_of < due_on <= as_of + 7``: one week's warning. The
  windows of successive weeks do not overlap, so each finding is warned once;
- *reported* 新报整改: rectified_on in W and not verified as of as_of: the office's new 验收 work.

Bad input (数据问题) is never a crash and never silently dropped: a finding or score whose round
or indicator is unknown, a finding without due_on or with a date that is not a date, a finding
without a unit, a score that is not a number, a round whose published_on is not a date: each is
left out and listed in ``data_problems`` (the rows of rounds not yet published are not looked at).
Rounding is Python's ``round()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gxq.rates import rate

TARGET_RANK = 3  # 全市前列: city rank 1–3
ESCALATE_DAYS = 30  # overdue 30 days or more: 督办
DUE_SOON_DAYS = 7  # a week before the deadline: 临期提醒

STATE_LABELS = {"verified": "已验收销号", "awaiting": "已整改待验收", "overdue": "逾期未整改",
                "open": "整改中", "not_yet": "未发布"}
PROBLEM_LABELS = {
    "bad_round_date": "评估轮次的发布日期无法识别",
    "unknown_round": "所属评估轮次不存在",
    "unknown_indicator": "所属指标不在指标清单中",
    "missing_due_on": "未填写整改时限",
    "bad_date": "日期无法识别",
    "missing_unit": "未明确整改责任单位",
    "bad_score": "得分缺失或不是数字",
    "bad_rank": "排名不是整数",
    "duplicate_score": "同一轮次同一指标有多条得分",
}


class BadValue(ValueError):
    """A department value that cannot be read (the row is a data problem)."""


@dataclass(frozen=True)
class Round:
    round: str
    published_on: dt.date | None
    raw_published_on: object = None


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    name: str | None
    unit: str | None


@dataclass(frozen=True)
class Score:
    round: str
    indicator_code: str
    score: object  # float, or the raw value when it is not a number
    city_rank: object
    districts: object


@dataclass(frozen=True)
class Finding:
    finding_id: str
    round: str | None
    indicator_code: str | None
    unit: str | None
    problem: str | None
    due_on: object  # dt.date, None, or the raw text when it is not a date
    rectified_on: object
    verified_on: object


@dataclass
class AssessmentData:
    """The department's rows, as read (:mod:`gxq.assessment.source`)."""

    rounds: list[Round]
    indicators: list[Indicator]
    scores: list[Score] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _problem(kind: str, subject: str, detail: str) -> dict:
    return {"kind": kind, "label": PROBLEM_LABELS[kind], "subject": subject, "detail": detail}


def _is_date(value) -> bool:
    return value is None or isinstance(value, dt.date)


def finding_state(f: Finding, as_of: dt.date) -> dict:
    """The state of a valid, counted finding as of ``as_of``."""
    rectified_on = f.rectified_on if f.rectified_on is not None else f.verified_on
    rectified = rectified_on is not None and rectified_on <= as_of
    verified = f.verified_on is not None and f.verified_on <= as_of
    overdue = not rectified and f.due_on < as_of
    if verified:
        state = "verified"
    elif rectified:
        state = "awaiting"
    elif overdue:
        state = "overdue"
    else:
        state = "open"
    return {"rectified": rectified, "verified": verified, "overdue": overdue, "state": state,
            "days_overdue": (as_of - f.due_on).days if overdue else None,
            "rectified_on": rectified_on.isoformat() if rectified else None,
            "on_time": (rectified_on <= f.due_on) if rectified else None}


@dataclass
class Week:
    """Everything of one week: the contract keys, the per-finding states and the problems."""

    as_of: dt.date
    rounds: list[str]
    findings: list[tuple[Finding, dict]]
    indicators: list[dict]
    problems: list[dict]
    scores: dict[str, dict[str, Score]] = field(default_factory=dict)  # the counted rows, by code and round


def evaluate(data: AssessmentData, as_of: dt.date) -> Week:
    problems: list[dict] = []
    counted: list[str] = []
    known_rounds = {}
    for r in sorted(data.rounds, key=lambda r: r.round):
        known_rounds[r.round] = r
        if r.published_on is None:
            problems.append(_problem("bad_round_date", r.round, f"published_on={r.raw_published_on!r}"))
        elif r.published_on <= as_of:
            counted.append(r.round)
    counted_set = set(counted)
    indicators = {i.indicator_code: i for i in data.indicators}

    def place(kind: str, subject: str, round_key, code) -> bool:
        """Whether a row of ``round_key`` and ``code`` counts; unknown ones become problems."""
        if round_key not in known_rounds:
            problems.append(_problem("unknown_round", subject, f"round={round_key!r}"))
            return False
        if code not in indicators:
            problems.append(_problem("unknown_indicator", subject, f"indicator_code={code!r}"))
            return False
        return round_key in counted_set

    findings = []
    for f in sorted(data.findings, key=lambda f: f.finding_id):
        if not place("finding", f.finding_id, f.round, f.indicator_code):
            continue
        bad = [(n, v) for n, v in (("due_on", f.due_on), ("rectified_on", f.rectified_on),
                                   ("verified_on", f.verified_on)) if not _is_date(v)]
        if bad:
            problems.append(_problem("bad_date", f.finding_id, ", ".join(f"{n}={v!r}" for n, v in bad)))
        elif f.due_on is None:
            problems.append(_problem("missing_due_on", f.finding_id, "due_on is NULL"))
        elif not f.unit:
            problems.append(_problem("missing_unit", f.finding_id, "unit_code is NULL"))
        else:
            findings.append((f, finding_state(f, as_of)))

    scores: dict[str, dict[str, Score]] = {}
    seen: set[tuple[str, str]] = set()
    for s in sorted(data.scores, key=lambda s: (s.round, s.indicator_code)):
        subject = f"{s.round}/{s.indicator_code}"
        if not place("score", subject, s.round, s.indicator_code):
            continue
        if (s.round, s.indicator_code) in seen:
            problems.append(_problem("duplicate_score", subject, "the first row counts"))
            continue
        if not isinstance(s.score, float):
            problems.append(_problem("bad_score", subject, f"score={s.score!r}"))
            continue
        if s.city_rank is not None and not isinstance(s.city_rank, int):
            problems.append(_problem("bad_rank", subject, f"city_rank={s.city_rank!r}"))
            continue
        seen.add((s.round, s.indicator_code))
        scores.setdefault(s.indicator_code, {})[s.round] = s

    rows = []
    for code in sorted(scores):
        by_round = scores[code]
        order = sorted(by_round)
        latest = by_round[order[-1]]
        rank = latest.city_rank
        rows.append({
            "indicator_code": code, "unit": indicators[code].unit,
            "scores": {k: by_round[k].score for k in order},
            "change": round(by_round[order[-1]].score - by_round[order[0]].score, 2) if len(order) > 1 else None,
            "city_rank": rank,
            "target_met": None if rank is None else rank <= TARGET_RANK,
        })
    return Week(as_of, counted, findings, rows, problems, scores)


def contract_report(period_key: str, week: Week) -> dict:
    """The report's contract keys."""
    rounds = []
    for key in week.rounds:
        states = [s for f, s in week.findings if f.round == key]
        verified = sum(s["verified"] for s in states)
        rounds.append({"round": key, "findings": len(states), "rectified": sum(s["rectified"] for s in states),
                       "verified": verified, "overdue": sum(s["overdue"] for s in states),
                       "closure_rate": rate(verified, len(states))})
    overdue = sorted(((f, s) for f, s in week.findings if s["overdue"]),
                     key=lambda fs: (-fs[1]["days_overdue"], fs[0].finding_id))
    return {
        "period": period_key,
        "as_of": week.as_of.isoformat(),
        "rounds": rounds,
        "findings_overdue": [{"finding_id": f.finding_id, "round": f.round, "unit": f.unit,
                              "due_on": f.due_on.isoformat(), "days_overdue": s["days_overdue"]} for f, s in overdue],
        "awaiting_verification": sorted(f.finding_id for f, s in week.findings if s["rectified"] and not s["verified"]),
        "indicators": week.indicators,
        "reminders": sorted({f.unit for f, _ in overdue}),
        "escalated": sorted(f.finding_id for f, s in overdue if s["days_overdue"] >= ESCALATE_DAYS),
    }


def due_soon(week: Week) -> list[str]:
    """临期: not rectified, due in the next 7 days (as_of < due_on <= as_of + 7), by finding_id."""
    end = week.as_of + dt.timedelta(days=DUE_SOON_DAYS)
    return [f.finding_id for f, s in week.findings if not s["rectified"] and week.as_of < f.due_on <= end]


def reported_in_week(week: Week) -> list[str]:
    """新报整改: rectified_on in W (as_of − 6 … as_of) and not verified as of as_of, by finding_id."""
    start = week.as_of - dt.timedelta(days=6)
    return [f.finding_id for f, s in week.findings
            if f.rectified_on is not None and start <= f.rectified_on <= week.as_of and not s["verified"]]
