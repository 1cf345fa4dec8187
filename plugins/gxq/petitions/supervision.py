"""挂牌督办 as a closed loop (发现问题—研究问题—解决问题).

Every topic of a week's top list becomes a supervised item with its lead unit, and so does every
topic that surges (突增, ``rules.surges``) outside the top list: a week's *list* is its top topics
plus its surging topics. The state of an item as of week W is a pure function of the weekly lists
up to W (``petition_weeks`` in ``gxq_ops``, keyed by week and computed from the department data and
the stored per-day counts when missing), never of which run happened last, so reruns and backfills
of W give the same states on the same data.

States (as of W):
- ``new`` 新增挂牌: the topic entered the list in W;
- ``listed`` 仍在榜: still in the list (in the top list, or surging);
- ``falling`` 回落: out of the list in W with complaints still coming in;
- ``resolved`` 已销号: out of the list with no complaint in W, or out of it two weeks running.
``opened_as`` says why an item was opened (``top`` 高频 or ``surge`` 突增); ``surge`` that its topic
surges in W. A 突增 item is followed exactly like a 高频 one.
An item open ``ESCALATE_AFTER_WEEKS`` weeks or more (weeks since it was opened) and not
resolved is escalated to the ``office`` (提级督办).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from gxq import periods
from gxq.petitions.tables import petition_weeks, supervised_items, supervised_states

ESCALATE_AFTER_WEEKS = 3
MAX_LOOKBACK_WEEKS = 52
STATE_LABELS = {"new": "新增挂牌", "listed": "仍在榜", "falling": "回落", "resolved": "已销号"}
OPENED_AS_LABELS = {"top": "高频", "surge": "突增"}


@dataclass(frozen=True)
class WeekTopics:
    """One week's complaints per topic, its top list (as ``rules.top_topics`` returns it) and its
    surges (as ``rules.surges`` returns them; None: not known yet, for a snapshot stored before
    surges were kept)."""

    week_key: str
    counts: dict[str, int]
    top: list[dict]
    surges: list[dict] | None = None

    def surging(self, topic: str) -> bool:
        return any(s["topic"] == topic for s in self.surges or ())

    def listed(self, topic: str) -> bool:
        """Under 挂牌督办 in this week's list: a top topic, or a surging one."""
        return self.rank(topic) is not None or self.surging(topic)

    def rank(self, topic: str) -> int | None:
        for i, item in enumerate(self.top, start=1):
            if item["topic"] == topic:
                return i
        return None

    def lead(self, topic: str) -> str | None:
        for item in self.top:
            if item["topic"] == topic:
                return item["lead_unit"]
        return None

    def surge_lead(self, topic: str) -> str | None:
        """The lead unit of a surging topic outside the top list (``lead_unit`` of its surge entry,
        when the week recorded one)."""
        for item in self.surges or ():
            if item["topic"] == topic:
                return item.get("lead_unit")
        return None


@dataclass(frozen=True)
class ItemState:
    item_id: str
    topic: str
    opened_week: str
    state: str
    weeks_open: int
    complaints: int
    rank: int | None
    lead_unit: str | None
    escalated: bool
    opened_as: str = "top"
    surge: bool = False

    def as_dict(self) -> dict:
        d = asdict(self)
        d["state_label"] = STATE_LABELS[self.state]
        d["opened_as_label"] = OPENED_AS_LABELS[self.opened_as]
        return d


def week_index(key: str) -> int:
    """Monotone week number (Monday ordinal / 7) for week arithmetic."""
    return periods.parse_key(key, ("week",)).start.toordinal() // 7


def _prev(key: str) -> str:
    return periods.parse_key(key, ("week",)).previous().key


def _next(key: str) -> str:
    return periods.parse_key(key, ("week",)).next().key


def states_as_of(week_key: str, get_week: Callable[[str], WeekTopics]) -> list[ItemState]:
    """The supervised items open (or resolved) in ``week_key``, by (state order, rank, topic).

    ``get_week(key)`` returns the WeekTopics of any week (from the store or the department data).
    """
    cache: dict[str, WeekTopics] = {}

    def week(key: str) -> WeekTopics:
        if key not in cache:
            cache[key] = get_week(key)
        return cache[key]

    current, prev, prev2 = week(week_key), week(_prev(week_key)), week(_prev(_prev(week_key)))
    candidates = {t["topic"] for w in (current, prev, prev2) for t in (*w.top, *(w.surges or ()))}
    results = []
    for topic in sorted(candidates):
        state = _simulate(topic, week_key, week)
        if state is not None:
            results.append(state)
    order = {"new": 1, "listed": 0, "falling": 2, "resolved": 3}
    results.sort(key=lambda s: (order[s.state], s.rank or 99, -s.complaints, s.topic))
    return results


def _closed_at(topic: str, key: str, week) -> bool:
    """True when no item of ``topic`` is open at the end of week ``key``."""
    w = week(key)
    if w.listed(topic):
        return False
    return w.counts.get(topic, 0) == 0 or not week(_prev(key)).listed(topic)


def _simulate(topic: str, week_key: str, week) -> ItemState | None:
    # Walk back to the last week before W at whose end the topic had no open item.
    start = _prev(week_key)
    steps = 0
    while not _closed_at(topic, start, week) and steps < MAX_LOOKBACK_WEEKS:
        start = _prev(start)
        steps += 1
    key = _next(start)
    is_open, opened, opened_as, lead, state = False, None, "top", None, None
    while True:
        w, prev = week(key), week(_prev(key))
        if w.listed(topic):
            state = "listed" if is_open else "new"
            if not is_open:
                is_open, opened = True, key
                opened_as = "top" if w.rank(topic) is not None else "surge"
            lead = w.lead(topic) or w.surge_lead(topic) or lead
        elif is_open:
            if w.counts.get(topic, 0) == 0 or not prev.listed(topic):
                state, is_open = "resolved", False
            else:
                state = "falling"
        else:
            state = None
        if key == week_key:
            break
        key = _next(key)
    if state is None:
        return None
    w = week(week_key)
    weeks_open = week_index(week_key) - week_index(opened)
    return ItemState(
        item_id=f"{opened}:{topic}",
        topic=topic,
        opened_week=opened,
        state=state,
        weeks_open=weeks_open,
        complaints=w.counts.get(topic, 0),
        rank=w.rank(topic),
        lead_unit=lead,
        escalated=state != "resolved" and weeks_open >= ESCALATE_AFTER_WEEKS,
        opened_as=opened_as,
        surge=w.surging(topic),
    )


# --- the store (gxq_ops) -------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def save_week(ops, week: WeekTopics) -> None:
    """Upsert one week's topic snapshot."""
    values = {
        "week_start": periods.parse_key(week.week_key, ("week",)).first_day,
        "topics_json": json.dumps(week.counts, ensure_ascii=False, sort_keys=True),
        "top_json": json.dumps(week.top, ensure_ascii=False),
        "computed_at": _now(),
        "surges_json": None if week.surges is None else json.dumps(week.surges, ensure_ascii=False),
    }
    _upsert(ops, petition_weeks, {"week_key": week.week_key}, values)


def load_week(ops, week_key: str) -> WeekTopics | None:
    with ops.connect() as conn:
        row = conn.execute(sa.select(petition_weeks).where(petition_weeks.c.week_key == week_key)).mappings().first()
    if row is None:
        return None
    surges = row["surges_json"]
    return WeekTopics(week_key, json.loads(row["topics_json"]), json.loads(row["top_json"]),
                      None if surges is None else json.loads(surges))


def week_source(ops, compute_from_dept: Callable[[str], WeekTopics],
                surges_of: Callable[[str, dict], list[dict]] | None = None) -> Callable[[str], WeekTopics]:
    """get_week for ``states_as_of``: the stored snapshot, else computed from the department
    data and stored (so a backfill of a later week needs no earlier run). A snapshot stored
    without its surges gets them from ``surges_of(week_key, counts)`` and is stored again."""

    def get_week(key: str) -> WeekTopics:
        stored = load_week(ops, key)
        if stored is not None and (stored.surges is not None or surges_of is None):
            return stored
        if stored is not None:
            week = WeekTopics(key, stored.counts, stored.top, surges_of(key, stored.counts))
        else:
            week = compute_from_dept(key)
        save_week(ops, week)
        return week

    return get_week


def save_states(ops, week_key: str, states: list[ItemState]) -> None:
    """Record the items and their state as of ``week_key`` (replacing that week's states)."""
    now = _now()
    with ops.begin() as conn:
        conn.execute(sa.delete(supervised_states).where(supervised_states.c.week_key == week_key))
        for s in states:
            exists = conn.execute(
                sa.select(supervised_items.c.item_id).where(supervised_items.c.item_id == s.item_id)
            ).first()
            if exists is None:
                conn.execute(supervised_items.insert().values(
                    item_id=s.item_id, topic=s.topic, opened_week=s.opened_week, lead_unit=s.lead_unit,
                    created_at=now, opened_as=s.opened_as,
                ))
            conn.execute(supervised_states.insert().values(
                item_id=s.item_id, week_key=week_key, state=s.state, weeks_open=s.weeks_open,
                complaints=s.complaints, rank=s.rank, lead_unit=s.lead_unit, escalated=s.escalated,
                updated_at=now, surge=s.surge,
            ))


def _upsert(ops, table, key: dict, values: dict) -> None:
    with ops.begin() as conn:
        cond = [table.c[k] == v for k, v in key.items()]
        updated = conn.execute(table.update().where(*cond).values(**values))
        if updated.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert().values(**key, **values))
            except sa.exc.IntegrityError:
                conn.execute(table.update().where(*cond).values(**values))
