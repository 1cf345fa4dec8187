"""Demo rows of ``dept_petitions`` (市民服务平台 8890 工单): units, petitions, petition_units.

Volume: about 400 petitions a week at scale 1 (fewer at weekends and on holidays), topics
following the seasons (供暖 November–March, 暴雨积水 July–August, 疫情防控 in the 2021 outbreaks),
a few per cent late dispatches and feedbacks, an open backlog, ~1% withdrawn, ~95% satisfied,
and about 0.5% invalid rows of each kind the bulletin excludes.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from . import vocab
from .window import DEMO_YEAR, Window

FIRST_DAY = DEMO_YEAR.first_day
LAST_DAY = DEMO_YEAR.last_day
# The department's data was extracted at this moment: nothing later has happened yet.
SNAPSHOT = DEMO_YEAR.snapshot

PETITIONS_PER_WEEK = 400
WEEKDAY_LOAD = (1.25, 1.15, 1.1, 1.05, 1.0, 0.6, 0.55)  # Mon..Sun
HOUR_LOAD = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 4, 3.5, 3, 2, 1.5)

INVALID_SHARE = 0.005  # of each invalid kind
WITHDRAWN_SHARE = 0.01
LATE_DISPATCH = 0.03
NEVER_DISPATCHED = 0.002
LATE_FEEDBACK = 0.035
NEVER_FEEDBACK = 0.012
REVISIT_SHARE = 0.88
BAD_SATISFACTION = ("一般", "非常满意", "未接通", "满 意")

# Unit performance: (late multiplier, share 不满意). Some units stay below the 95% target.
UNIT_QUALITY = {"U02": (1.5, 0.06), "U04": (1.2, 0.05), "U09": (1.8, 0.09), "U11": (2.0, 0.08),
                "U12": (1.4, 0.05), "U13": (0.3, 0.015), "U20": (0.8, 0.05)}
DEFAULT_QUALITY = (0.8, 0.035)


def _ts(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(" ")


class _Pick:
    """Weighted choice by bisection on cumulative weights: far cheaper than ``rng.choices`` per item."""

    __slots__ = ("cum", "pop", "random", "total")

    def __init__(self, rng, population, weights) -> None:
        self.pop = list(population)
        self.cum = _cum(weights)
        self.total = self.cum[-1]
        self.random = rng.random

    def __call__(self):
        return self.pop[bisect_right(self.cum, self.random() * self.total)]


def _one(random, seq):
    """Uniform choice (``rng.choice`` without its overhead)."""
    return seq[int(random() * len(seq))]


def _secs(random, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=int(lo + (hi - lo) * random()))


def _null(random):
    """A NULL as the department stores it: mostly NULL, sometimes the empty string."""
    return "" if random() < 0.25 else None


def citizen_name(random) -> str:
    r = random()
    surname = _one(random, vocab.SURNAMES)
    if r < 0.03:
        return "匿名"
    if r < 0.15:
        return surname + ("先生" if random() < 0.5 else "女士")
    given = _one(random, vocab.GIVEN)
    return surname + (given + _one(random, vocab.GIVEN) if random() < 0.67 else given)


def mobile(random) -> str:
    return _one(random, vocab.MOBILE_PREFIXES) + f"{int(random() * 10**8):08d}"


def citizen_phone(random) -> str | None:
    r = random()
    if r < 0.02:
        return _null(random)
    if r < 0.10:
        return f"0411-8{int(random() * 10**7):07d}"
    return mobile(random)


def id_number(random) -> str:
    born = date(1950, 1, 1) + timedelta(days=int(random() * 365 * 53))
    return vocab.id_number(_one(random, vocab.ID_REGIONS), born, 1 + int(random() * 999))


def content(random, topic: dict, street: str) -> str:
    text = _one(random, topic["texts"]).format(
        place=_one(random, vocab.STREETS[street][2]), n=1 + int(random() * 30), t=11 + int(random() * 7))
    r = random()
    if r < 0.08:
        text += f"联系电话{mobile(random)}。"
    elif r < 0.11:
        text += f"来电人身份证号{id_number(random)},请核实。"
    elif r < 0.13:
        text += f"本人身份证号:{id_number(random)},手机{mobile(random)},请回电。"
    return text


def generate(rng, scale: float = 1.0, window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    """Yield ``(table, row)`` for units, petitions and petition_units, in received order."""
    first_day, last_day, snapshot, now = window.first_day, window.last_day, window.snapshot, window.now
    for code, name in vocab.UNITS:
        yield "units", (code, name)

    random = rng.random
    cal = vocab.WorkCalendar(first_day, last_day + timedelta(days=90))
    topic_pick = {m: _Pick(rng, vocab.TOPIC_NAMES, [vocab.TOPICS[t]["w"] * vocab.TOPICS[t]["m"][m - 1]
                                                    for t in vocab.TOPIC_NAMES]) for m in range(1, 13)}
    lead_pick = {t: _Pick(rng, *spec["units"]) for t, spec in vocab.TOPICS.items()}
    channel = _Pick(rng, *vocab.CHANNELS)
    kind_pick = _Pick(rng, *vocab.KINDS)
    street_pick = _Pick(rng, vocab.STREET_NAMES, vocab.STREET_WEIGHTS)
    hour_pick = _Pick(rng, range(24), HOUR_LOAD)
    window_pick = _Pick(rng, (4, 8, 12, 24), (1, 2, 2, 5))
    per_day = PETITIONS_PER_WEEK / sum(WEEKDAY_LOAD)
    topics, streets = vocab.TOPICS, vocab.STREETS

    day = first_day
    while day <= last_day:
        load = WEEKDAY_LOAD[day.weekday()] * vocab.MONTH_VOLUME[day.month - 1]
        if day in vocab.HOLIDAYS and day.weekday() < 5:
            load *= 0.6
        mean = per_day * load * scale
        count = max(0, round(rng.gauss(mean, math.sqrt(mean) * 1.1))) if mean > 0 else 0
        seconds = sorted(hour_pick() * 3600 + int(random() * 3600) for _ in range(count))
        midnight = datetime.combine(day, time())
        stamp = f"P{day:%Y%m%d}"
        pick_topic = topic_pick[day.month]
        winter = day.month in (11, 12, 1)
        for seq, sec in enumerate(seconds, 1):
            received = midnight + timedelta(seconds=sec)
            topic_name = pick_topic()
            topic = topics[topic_name]
            kind = kind_pick()
            street = street_pick()
            urgent = random() < topic["urgent"]
            street_unit = streets[street][1]
            lead = street_unit if random() < topic["street"] else lead_pick[topic_name]()
            late_mult, unsatisfied = UNIT_QUALITY.get(lead, DEFAULT_QUALITY)
            if winter and lead == "U11":
                late_mult *= 1.5  # the first cold weeks overwhelm the heating office

            window = 2 if urgent else window_pick()
            dispatch_due = received + timedelta(hours=window)
            workdays = _one(random, vocab.FEEDBACK_WORKDAYS[kind])
            feedback_due = datetime.combine(cal.add(day, workdays), received.time())

            r = random()
            if r < NEVER_DISPATCHED:
                dispatched = None
            elif r < NEVER_DISPATCHED + LATE_DISPATCH * late_mult:
                dispatched = dispatch_due + _secs(random, 600, 36000)
            else:
                dispatched = received + _secs(random, 0.05 * window * 3600, 0.95 * window * 3600)

            feedback = closed = revisited = satisfaction = None
            withdrawn = random() < WITHDRAWN_SHARE
            if withdrawn:
                gone = received + _secs(random, 600, 3 * 86400)
                if dispatched is not None and dispatched > gone:
                    dispatched = None
                closed = gone if random() < 0.5 else None
            elif dispatched is not None:
                r = random()
                if r < NEVER_FEEDBACK:
                    feedback = None
                elif r < NEVER_FEEDBACK + LATE_FEEDBACK * late_mult:
                    feedback = feedback_due + _secs(random, 3600, 6 * 86400)
                else:
                    span = (feedback_due - dispatched).total_seconds()
                    feedback = dispatched + timedelta(seconds=int(span * (0.1 + 0.85 * random())))
                if feedback is not None:
                    closed = feedback if random() < 0.5 else feedback + _secs(random, 1800, 48 * 3600)
                    if random() < REVISIT_SHARE:
                        revisited = closed + _secs(random, 3 * 3600, 72 * 3600)
                        s = random()
                        satisfaction = "不满意" if s < unsatisfied else ("满意" if s < 0.8 else "基本满意")

            # Nothing after the extraction moment has happened yet.
            if dispatched is not None and dispatched >= snapshot:
                dispatched = feedback = closed = revisited = satisfaction = None
            if feedback is not None and feedback >= snapshot:
                feedback = closed = revisited = satisfaction = None
            if closed is not None and closed >= snapshot:
                closed = revisited = satisfaction = None
            if revisited is not None and revisited >= snapshot:
                revisited = satisfaction = None

            if withdrawn:
                status = "已撤销"
            elif dispatched is None:
                status = "待分拨"
            elif closed is None:
                status = "办理中"
            else:
                status = "已办结"

            received_out = received.isoformat(" ")
            r = random()
            if r < 4 * INVALID_SHARE:
                if r < INVALID_SHARE:
                    received_out = _null(random)  # missing_received_at
                elif r < 2 * INVALID_SHARE and dispatched is not None:
                    dispatched = received - _secs(random, 3600, 3 * 86400)  # dispatched_before_received
                elif r < 3 * INVALID_SHARE and feedback is not None:
                    feedback = received - _secs(random, 3600, 10 * 86400)  # feedback_before_received
                elif r >= 3 * INVALID_SHARE and closed is not None and not withdrawn:
                    if revisited is None:
                        revisited = min(closed + timedelta(days=1), snapshot - timedelta(minutes=1))
                    satisfaction = _one(random, BAD_SATISFACTION)  # bad_satisfaction

            pid = f"{stamp}{seq:06d}"
            yield "petitions", (
                pid,
                received_out,
                channel(),
                kind,
                topic_name,
                street,
                urgent,
                citizen_name(random),
                citizen_phone(random),
                content(random, topic, street),
                dispatch_due.isoformat(" "),
                dispatched.isoformat(" ") if dispatched is not None else _null(random),
                feedback_due.isoformat(" "),
                feedback.isoformat(" ") if feedback is not None else _null(random),
                closed.isoformat(" ") if closed is not None else _null(random),
                status,
                satisfaction if satisfaction is not None else _null(random),
                revisited.isoformat(" ") if revisited is not None else _null(random),
            )

            if dispatched is not None:
                yield "petition_units", (pid, lead, "lead")
                r = random()
                if r < 0.13:
                    candidates = [u for u in (*topic["units"][0], street_unit) if u != lead]
                    if r < 0.001:
                        # a second lead (the department's data allows it; the smallest code leads)
                        yield "petition_units", (pid, _one(random, candidates or ["U13"]), "lead")
                    elif candidates:
                        for co in rng.sample(candidates, 1 if r > 0.03 or len(candidates) < 2 else 2):
                            yield "petition_units", (pid, co, "co")
        day += timedelta(days=1)
    if now is not None:
        yield from urgent_now(rng, now)


# 急险 around the moment a rolling demo is seeded (gxq.urgent's watch): (id suffix, received,
# dispatch due, dispatched, feedback due, lead unit, topic, street), as offsets in minutes from now.
# Seen by a run within ten minutes: one 130 minutes overdue (督办), one due in 10 minutes (due soon,
# then overdue), one fed back due in 45 minutes, one fed back 40 minutes late, one in time.
URGENT_NOW = (
    ("1", -250, -130, None, 4320, None, "燃气", "黄泥川街道"),
    ("2", -110, 10, None, 4320, None, "暴雨积水", "凌水街道"),
    ("3", -180, -60, -150, 45, "U12", "供水", "七贤岭街道"),
    ("4", -360, -240, -330, -40, "U10", "燃气", "大连湾街道"),
    ("5", -30, 90, None, 4320, None, "排水管网", "龙王塘街道"),
)


def urgent_now(rng, now: datetime) -> Iterator[tuple[str, tuple]]:
    """A few urgent petitions around ``now`` (see URGENT_NOW)."""
    random = rng.random
    for suffix, received, due, dispatched, feedback_due, lead, topic_name, street in URGENT_NOW:
        at = [None if m is None else now + timedelta(minutes=m) for m in (received, due, dispatched, feedback_due)]
        pid = f"P{now:%Y%m%d}U{suffix}"
        yield "petitions", (
            pid, _ts(at[0]), "8890热线", "求助", topic_name, street, True, citizen_name(random), citizen_phone(random),
            content(random, vocab.TOPICS[topic_name], street), _ts(at[1]), _ts(at[2]), _ts(at[3]), None, None,
            "办理中" if at[2] is not None else "待分拨", None, None,
        )
        if lead is not None:
            yield "petition_units", (pid, lead, "lead")


def _cum(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
