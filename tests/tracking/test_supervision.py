"""督办 of red targets: opened when red, followed while red or yellow, closed (销号) when green."""

from __future__ import annotations

from gxq.tracking.supervision import items_as_of


def months(*lights_by_month):
    out = []
    for i, lights in enumerate(lights_by_month, start=1):
        out.append((f"2021-{i:02d}", {tid: {"light": light, "status": "behind", "expected": 1, "actual": 0,
                                            "unit": "U01"} for tid, light in lights.items()}))
    return out


def test_opened_followed_closed():
    seq = months({"T1": "green"}, {"T1": "red"}, {"T1": "yellow"}, {"T1": "green"}, {"T1": "green"})
    assert items_as_of(seq[:1]) == []
    [opened] = items_as_of(seq[:2])
    assert (opened["item_id"], opened["state"], opened["months_open"]) == ("T1:2021-02", "opened", 0)
    [followed] = items_as_of(seq[:3])
    assert (followed["state"], followed["months_open"]) == ("open", 1)
    [closed] = items_as_of(seq[:4])
    assert (closed["state"], closed["closed_period"]) == ("closed", "2021-04")
    assert [h["light"] for h in closed["history"]] == ["red", "yellow", "green"]
    assert items_as_of(seq) == []  # closed before M: no longer listed


def test_reopened_is_a_new_item_and_a_missing_month_keeps_it_open():
    seq = months({"T1": "red"}, {"T1": "green"}, {"T1": "red"}, {}, {"T1": "red"})
    [item] = items_as_of(seq)
    assert item["item_id"] == "T1:2021-03" and item["state"] == "open" and item["months_open"] == 2
    assert [h["period"] for h in item["history"]] == ["2021-03", "2021-05"]
