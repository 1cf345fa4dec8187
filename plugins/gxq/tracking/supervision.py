"""红灯任务 督办 as a closed loop (发现问题—研究问题—解决问题), like the bulletin's 挂牌督办.

A target that turns red is put under supervision (an item opened that month); it is followed
month to month while it stays red or yellow, and closed (销号) the first month it is green again.
A month in which the target is left out (a data problem) changes nothing. The items as of month M
are a pure function of the lights of M and the months before it, computed from the department data
on every run, so reruns and backfills of M give the same items; ``gxq_ops`` keeps a copy
(``plan_supervised_items`` and their monthly states) for the 看板 and the record.

States in a month: ``opened`` 新增督办 (red, no item open before), ``open`` 督办中 (still red or
yellow), ``closed`` 已销号 (green again, this month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from gxq.tracking.tables import supervised_items, supervised_states

STATE_LABELS = {"opened": "新增督办", "open": "督办中", "closed": "已销号"}
LOOKBACK_MONTHS = 24  # how far back the loop is replayed (the plan's tasks run a year)


@dataclass
class Item:
    target_id: str
    unit: str | None
    opened: str
    closed: str | None = None
    state: str = "opened"
    history: list[dict] = field(default_factory=list)

    @property
    def item_id(self) -> str:
        return f"{self.target_id}:{self.opened}"

    def as_dict(self, months_open: int) -> dict:
        return {"item_id": self.item_id, "target_id": self.target_id, "unit": self.unit,
                "opened_period": self.opened, "closed_period": self.closed, "state": self.state,
                "state_label": STATE_LABELS[self.state], "months_open": months_open, "history": self.history}


def _month_index(key: str) -> int:
    year, month = map(int, key.split("-"))
    return year * 12 + month - 1


def items_as_of(months: list[tuple[str, dict[str, dict]]]) -> list[dict]:
    """The items open at the end of the last month, or closed in it.

    ``months``: ``[(period_key, {target_id: {"light", "status", "expected", "actual", "unit"}})]``
    in month order, the last being M. Sorted by target_id, then opened month.
    """
    open_items: dict[str, Item] = {}
    closed_now: list[Item] = []
    last_key = months[-1][0]
    for key, rows in months:
        for tid, row in rows.items():
            item = open_items.get(tid)
            entry = {"period": key, "light": row["light"], "status": row["status"], "expected": row["expected"],
                     "actual": row["actual"]}
            if item is None:
                if row["light"] == "red":
                    item = open_items[tid] = Item(tid, row["unit"], opened=key, state="opened", history=[entry])
                continue
            item.history.append(entry)
            item.unit = row["unit"]
            if row["light"] == "green":
                item.state, item.closed = "closed", key
                del open_items[tid]
                if key == last_key:
                    closed_now.append(item)
            else:
                item.state = "open"
    out = []
    for item in [*open_items.values(), *closed_now]:
        if item.state != "closed" and item.opened != last_key:
            # an item not touched in M (target left out in M) keeps its last state
            item.state = "open"
        out.append(item.as_dict(_month_index(last_key) - _month_index(item.opened)))
    return sorted(out, key=lambda d: (d["target_id"], d["opened_period"]))


# --- the store (gxq_ops) ---------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def save(ops, period_key: str, items: list[dict]) -> None:
    """Upsert the month's items and their state of the month (a rerun writes the same values)."""
    now = _now()
    with ops.begin() as conn:
        for item in items:
            values = {"target_id": item["target_id"], "unit_code": item["unit"],
                      "opened_period": item["opened_period"], "closed_period": item["closed_period"],
                      "updated_at": now}
            exists = conn.execute(sa.select(supervised_items.c.item_id)
                                  .where(supervised_items.c.item_id == item["item_id"])).first()
            if exists:
                conn.execute(supervised_items.update().where(supervised_items.c.item_id == item["item_id"])
                             .values(**values))
            else:
                conn.execute(supervised_items.insert().values(item_id=item["item_id"], created_at=now, **values))
            last = item["history"][-1]
            state = {"state": item["state"], "light": last["light"] if last["period"] == period_key else None,
                     "status": last["status"] if last["period"] == period_key else None,
                     "months_open": item["months_open"], "updated_at": now}
            key = (supervised_states.c.item_id == item["item_id"]) & (supervised_states.c.period_key == period_key)
            if conn.execute(sa.select(supervised_states.c.item_id).where(key)).first():
                conn.execute(supervised_states.update().where(key).values(**state))
            else:
                conn.execute(supervised_states.insert().values(item_id=item["item_id"], period_key=period_key,
                                                               **state))
