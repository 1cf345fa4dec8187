"""挂牌督办 closed loop: states over consecutive weeks, escalation, reruns and backfills."""

from __future__ import annotations

import pytest
from gxq import periods
from gxq.petitions import pipeline, supervision
from gxq.petitions.supervision import WeekTopics, states_as_of


def weeks_from(lists: dict[str, dict[str, int]]):
    """get_week over synthetic weeks: {week_key: {topic: complaints}}; the top list is every topic
    with >= 2 complaints (enough for these tests), other weeks are empty."""

    def get(key: str) -> WeekTopics:
        counts = lists.get(key, {})
        top = [{"topic": t, "complaints": n, "lead_unit": "U01", "units": ["U01"]}
               for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2]
        return WeekTopics(key, counts, top)

    return get


def state(week_key, lists, topic):
    found = [s for s in states_as_of(week_key, weeks_from(lists)) if s.topic == topic]
    return found[0] if found else None


HEATING = {
    "2021-W01": {"供暖": 5},
    "2021-W02": {"供暖": 4},
    "2021-W03": {"供暖": 3},
    "2021-W04": {"供暖": 2},
    "2021-W05": {"供暖": 1},  # out of the list, complaints still coming: falling
    "2021-W06": {"供暖": 1},  # out two weeks running: resolved
}


def test_new_listed_escalated_falling_resolved_gone():
    s = state("2021-W01", HEATING, "供暖")
    assert (s.state, s.weeks_open, s.opened_week, s.escalated) == ("new", 0, "2021-W01", False)
    s = state("2021-W02", HEATING, "供暖")
    assert (s.state, s.weeks_open, s.escalated) == ("listed", 1, False)
    s = state("2021-W03", HEATING, "供暖")
    assert (s.state, s.weeks_open, s.escalated) == ("listed", 2, False)
    s = state("2021-W04", HEATING, "供暖")
    assert (s.state, s.weeks_open, s.escalated) == ("listed", 3, True)
    s = state("2021-W05", HEATING, "供暖")
    assert (s.state, s.weeks_open, s.escalated, s.complaints, s.rank) == ("falling", 4, True, 1, None)
    s = state("2021-W06", HEATING, "供暖")
    assert (s.state, s.escalated) == ("resolved", False)
    assert state("2021-W07", HEATING, "供暖") is None
    assert len({state(w, HEATING, "供暖").item_id for w in HEATING}) == 1


def test_resolved_at_once_when_no_complaint_after_the_list():
    lists = {"2021-W10": {"噪音扰民": 3}, "2021-W11": {}}
    assert state("2021-W11", lists, "噪音扰民").state == "resolved"
    assert state("2021-W12", lists, "噪音扰民") is None


def test_back_in_the_list_while_falling_keeps_the_item_open():
    lists = {"2021-W10": {"A": 3}, "2021-W11": {"A": 1}, "2021-W12": {"A": 2}}
    s = state("2021-W12", lists, "A")
    assert (s.state, s.opened_week, s.weeks_open) == ("listed", "2021-W10", 2)


def test_a_resolved_topic_that_returns_is_a_new_item():
    lists = {"2021-W10": {"A": 3}, "2021-W11": {}, "2021-W12": {}, "2021-W13": {"A": 2}}
    s = state("2021-W13", lists, "A")
    assert (s.state, s.opened_week, s.weeks_open, s.item_id) == ("new", "2021-W13", 0, "2021-W13:A")


def test_item_open_across_the_year_boundary():
    lists = {"2020-W52": {"供暖": 9}, "2020-W53": {"供暖": 9}, "2021-W01": {"供暖": 9}, "2021-W02": {"供暖": 9}}
    s = state("2021-W02", lists, "供暖")
    assert (s.opened_week, s.weeks_open, s.escalated) == ("2020-W52", 3, True)


# --- on the stores: consecutive weeks, reruns, backfills -----------------------------------------


def _load_heating(dept):
    """供暖 complaints week by week (lead U11 on most), 噪音扰民 in W02 only."""
    for key, n in {"2021-W01": 5, "2021-W02": 4, "2021-W03": 3, "2021-W04": 2, "2021-W05": 1}.items():
        monday = periods.parse_key(key).first_day
        for i in range(n):
            dept.add(kind="投诉", topic="供暖", received=f"{monday} 1{i}:00:00", lead="U11" if i else "U02",
                     co=["U15"])
    for i in range(3):
        dept.add(kind="投诉", topic="噪音扰民", received=f"{periods.parse_key('2021-W02').first_day} 09:0{i}:00",
                 lead="U07")


def _run(dept, ops, key):
    computed = pipeline.compute_all(key, engine=dept.engine, ops=ops)
    return pipeline.supervise_week(key, computed, ops=ops, engine=dept.engine)


def _stored_states(ops, key):
    import sqlalchemy as sa
    from gxq.petitions.tables import supervised_states

    with ops.connect() as conn:
        rows = conn.execute(sa.select(supervised_states).where(supervised_states.c.week_key == key)
                            .order_by(supervised_states.c.item_id)).mappings().all()
    return [(r["item_id"], r["state"], r["weeks_open"], bool(r["escalated"])) for r in rows]


def test_loop_over_consecutive_weeks_in_the_store(dept, ops):
    _load_heating(dept)
    seen = {}
    for key in ("2021-W01", "2021-W02", "2021-W03", "2021-W04", "2021-W05", "2021-W06"):
        seen[key] = {s["topic"]: s for s in _run(dept, ops, key)}
    assert seen["2021-W01"]["供暖"]["state"] == "new"
    assert seen["2021-W01"]["供暖"]["lead_unit"] == "U11"
    assert seen["2021-W02"]["噪音扰民"]["state"] == "new"
    assert seen["2021-W03"]["噪音扰民"]["state"] == "resolved"  # no complaint in W03
    assert "噪音扰民" not in seen["2021-W04"]
    assert [seen[k]["供暖"]["weeks_open"] for k in seen] == [0, 1, 2, 3, 4, 5]
    assert [seen[k]["供暖"]["state"] for k in seen] == ["new", "listed", "listed", "listed", "listed", "resolved"]
    assert seen["2021-W04"]["供暖"]["escalated"] and not seen["2021-W03"]["供暖"]["escalated"]
    assert _stored_states(ops, "2021-W04") == [("2021-W01:供暖", "listed", 3, True)]


def test_rerun_and_backfill_give_the_same_states(dept, ops):
    _load_heating(dept)
    # A backfill of W04 alone, on an empty store, derives the earlier weeks from the data...
    first = _run(dept, ops, "2021-W04")
    assert [(s["item_id"], s["state"], s["weeks_open"]) for s in first] == [("2021-W01:供暖", "listed", 3)]
    # ... a rerun gives the same ...
    assert _run(dept, ops, "2021-W04") == first
    # ... and running the weeks in order, then W04 again, too.
    for key in ("2021-W01", "2021-W02", "2021-W03"):
        _run(dept, ops, key)
    assert _run(dept, ops, "2021-W04") == first
    assert _stored_states(ops, "2021-W04") == [("2021-W01:供暖", "listed", 3, True)]


def test_rerun_of_an_earlier_week_does_not_change_a_later_one(dept, ops):
    _load_heating(dept)
    later = _run(dept, ops, "2021-W05")
    _run(dept, ops, "2021-W02")
    assert _run(dept, ops, "2021-W05") == later


@pytest.mark.parametrize("key", ["2021-W03"])
def test_week_snapshot_is_stored_by_week(dept, ops, key):
    _load_heating(dept)
    _run(dept, ops, key)
    stored = supervision.load_week(ops, key)
    assert stored.counts == {"供暖": 3}
    assert [t["topic"] for t in stored.top] == ["供暖"]
    assert supervision.load_week(ops, "2021-W02").counts == {"供暖": 4, "噪音扰民": 3}  # derived for the loop
