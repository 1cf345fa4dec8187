"""Demo rows of ``dept_petitions`` (市民服务平台 8890 工单): units, petitions, petition_units.

Volume: about 400 petitions a week at scale 1 (fewer at weekends and on holidays), topics
following the seasons (供暖 November–March, 暴雨积水 July–August, 疫情防控 in the 2021 outbreaks),
a few per cent late dispatches and feedbacks, an open backlog, ~1% withdrawn, ~95% satisfied,
and about 0.5% invalid rows of each kind the bulletin excludes.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Iterator

from . import vocab

FIRST_DAY = date(2020, 12, 1)
LAST_DAY = date(2022, 1, 31)
# The department's data was extracted at this moment: nothing later has happened yet.
SNAPSHOT = datetime(2022, 2, 1, 0, 0, 0)

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


def _secs(rng, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=int(rng.uniform(lo, hi)))


def _null(rng):
    """A NULL as the department stores it: mostly NULL, sometimes the empty string."""
    return "" if rng.random() < 0.25 else None


def citizen_name(rng) -> str:
    r = rng.random()
    surname = rng.choice(vocab.SURNAMES)
    if r < 0.03:
        return "匿名"
    if r < 0.15:
        return surname + rng.choice(("先生", "女士"))
    return surname + "".join(rng.choice(vocab.GIVEN) for _ in range(rng.choice((1, 2, 2))))


def mobile(rng) -> str:
    return rng.choice(vocab.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def citizen_phone(rng) -> str | None:
    r = rng.random()
    if r < 0.02:
        return _null(rng)
    if r < 0.10:
        return f"0411-8{rng.randrange(10**7):07d}"
    return mobile(rng)


def id_number(rng) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 53))
    return vocab.id_number(rng.choice(vocab.ID_REGIONS), born, rng.randrange(1, 1000))


def content(rng, topic: dict, street: str) -> str:
    text = rng.choice(topic["texts"]).format(
        place=rng.choice(vocab.STREETS[street][2]), n=rng.randint(1, 30), t=rng.randint(11, 17))
    r = rng.random()
    if r < 0.08:
        text += f"联系电话{mobile(rng)}。"
    elif r < 0.11:
        text += f"来电人身份证号{id_number(rng)},请核实。"
    elif r < 0.13:
        text += f"本人身份证号:{id_number(rng)},手机{mobile(rng)},请回电。"
    return text


def generate(rng, scale: float = 1.0) -> Iterator[tuple[str, tuple]]:
    """Yield ``(table, row)`` for units, petitions and petition_units, in received order."""
    for code, name in vocab.UNITS:
        yield "units", (code, name)

    cal = vocab.WorkCalendar(FIRST_DAY, LAST_DAY + timedelta(days=90))
    topic_cum = vocab.topic_weights_by_month()
    channel_cum = _cum(vocab.CHANNELS[1])
    kind_cum = _cum(vocab.KINDS[1])
    street_cum = _cum(vocab.STREET_WEIGHTS)
    hour_cum = _cum(HOUR_LOAD)
    per_day = PETITIONS_PER_WEEK / sum(WEEKDAY_LOAD)
    channels, kinds, topics, streets = vocab.CHANNELS[0], vocab.KINDS[0], vocab.TOPIC_NAMES, vocab.STREET_NAMES
    choices, random, uniform = rng.choices, rng.random, rng.uniform

    day = FIRST_DAY
    while day <= LAST_DAY:
        load = WEEKDAY_LOAD[day.weekday()] * vocab.MONTH_VOLUME[day.month - 1]
        if day in vocab.HOLIDAYS and day.weekday() < 5:
            load *= 0.6
        mean = per_day * load * scale
        count = max(0, round(rng.gauss(mean, math.sqrt(mean) * 1.1))) if mean > 0 else 0
        seconds = sorted(
            h * 3600 + rng.randrange(3600) for h in choices(range(24), cum_weights=hour_cum, k=count))
        midnight = datetime.combine(day, time())
        stamp = f"P{day:%Y%m%d}"
        month_topics = topic_cum[day.month]
        for seq, sec in enumerate(seconds, 1):
            received = midnight + timedelta(seconds=sec)
            topic_name = choices(topics, cum_weights=month_topics)[0]
            topic = vocab.TOPICS[topic_name]
            kind = choices(kinds, cum_weights=kind_cum)[0]
            street = choices(streets, cum_weights=street_cum)[0]
            urgent = random() < topic["urgent"]
            street_unit = vocab.STREETS[street][1]
            if random() < topic["street"]:
                lead = street_unit
            else:
                lead = choices(*topic["units"])[0] if len(topic["units"][0]) > 1 else topic["units"][0][0]
            late_mult, unsatisfied = UNIT_QUALITY.get(lead, DEFAULT_QUALITY)
            if lead == "U11" and day.month in (11, 12, 1):
                late_mult *= 1.5  # the first cold weeks overwhelm the heating office

            window = 2 if urgent else choices((4, 8, 12, 24), (1, 2, 2, 5))[0]
            dispatch_due = received + timedelta(hours=window)
            workdays = rng.choice(vocab.FEEDBACK_WORKDAYS[kind])
            feedback_due = datetime.combine(cal.add(day, workdays), received.time())

            r = random()
            if r < NEVER_DISPATCHED:
                dispatched = None
            elif r < NEVER_DISPATCHED + LATE_DISPATCH * late_mult:
                dispatched = dispatch_due + _secs(rng, 600, 36000)
            else:
                dispatched = received + _secs(rng, 0.05 * window * 3600, 0.95 * window * 3600)

            feedback = closed = revisited = satisfaction = None
            withdrawn = random() < WITHDRAWN_SHARE
            if withdrawn:
                gone = received + _secs(rng, 600, 3 * 86400)
                if dispatched is not None and dispatched > gone:
                    dispatched = None
                closed = gone if random() < 0.5 else None
            elif dispatched is not None:
                r = random()
                if r < NEVER_FEEDBACK:
                    feedback = None
                elif r < NEVER_FEEDBACK + LATE_FEEDBACK * late_mult:
                    feedback = feedback_due + _secs(rng, 3600, 6 * 86400)
                else:
                    span = (feedback_due - dispatched).total_seconds()
                    feedback = dispatched + timedelta(seconds=int(span * uniform(0.1, 0.95)))
                if feedback is not None:
                    closed = feedback if random() < 0.5 else feedback + _secs(rng, 1800, 48 * 3600)
                    if random() < REVISIT_SHARE:
                        revisited = closed + _secs(rng, 3 * 3600, 72 * 3600)
                        s = random()
                        satisfaction = "不满意" if s < unsatisfied else ("满意" if s < 0.8 else "基本满意")

            # Nothing after the extraction moment has happened yet.
            if dispatched is not None and dispatched >= SNAPSHOT:
                dispatched = feedback = closed = revisited = satisfaction = None
            if feedback is not None and feedback >= SNAPSHOT:
                feedback = closed = revisited = satisfaction = None
            if closed is not None and closed >= SNAPSHOT:
                closed = revisited = satisfaction = None
            if revisited is not None and revisited >= SNAPSHOT:
                revisited = satisfaction = None

            if withdrawn:
                status = "已撤销"
            elif dispatched is None:
                status = "待分拨"
            elif closed is None:
                status = "办理中"
            else:
                status = "已办结"

            received_out: datetime | str | None = received
            r = random()
            if r < INVALID_SHARE:
                received_out = _null(rng)  # missing_received_at
            elif r < 2 * INVALID_SHARE and dispatched is not None:
                dispatched = received - _secs(rng, 3600, 3 * 86400)  # dispatched_before_received
            elif r < 3 * INVALID_SHARE and feedback is not None:
                feedback = received - _secs(rng, 3600, 10 * 86400)  # feedback_before_received
            elif r < 4 * INVALID_SHARE and closed is not None and not withdrawn:
                if revisited is None:
                    revisited = min(closed + timedelta(days=1), SNAPSHOT - timedelta(minutes=1))
                satisfaction = rng.choice(BAD_SATISFACTION)  # bad_satisfaction

            pid = f"{stamp}{seq:06d}"
            yield "petitions", (
                pid,
                received_out if isinstance(received_out, (str, type(None))) else _ts(received_out),
                choices(channels, cum_weights=channel_cum)[0],
                kind,
                topic_name,
                street,
                urgent,
                citizen_name(rng),
                citizen_phone(rng),
                content(rng, topic, street),
                _ts(dispatch_due),
                _ts(dispatched) if dispatched is not None else _null(rng),
                _ts(feedback_due),
                _ts(feedback) if feedback is not None else _null(rng),
                _ts(closed) if closed is not None else _null(rng),
                status,
                satisfaction if satisfaction is not None else _null(rng),
                _ts(revisited) if revisited is not None else _null(rng),
            )

            if dispatched is not None:
                yield "petition_units", (pid, lead, "lead")
                r = random()
                candidates = [u for u in (*topic["units"][0], street_unit) if u != lead]
                if r < 0.001:
                    # a second lead (the department's data allows it; the smallest code leads)
                    other = rng.choice(candidates or ["U13"])
                    yield "petition_units", (pid, other, "lead")
                elif r < 0.13 and candidates:
                    for co in rng.sample(candidates, 1 if r > 0.03 or len(candidates) < 2 else 2):
                        yield "petition_units", (pid, co, "co")
        day += timedelta(days=1)


def _cum(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
