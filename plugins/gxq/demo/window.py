"""Which days the demo data cover (演示数据时间窗).

Two windows:

- **the demo year** (:data:`DEMO_YEAR`): 2020-12-01 … 2022-01-31, extracted 2022-02-01 00:00, the
  plan's year 2021 with a month either side. Fixed rows for tests and benchmarks, and for any
  period of 2021 (``python -m gxq.demo.generate --demo-year``).
- **a rolling window** (:func:`rolling`, the default of ``python -m gxq.demo.generate``): the same
  generators with the calendar moved to a recent *plan year*, ending on a given day (default:
  today in Asia/Shanghai), extracted at the end of that day. The plan year is the year of the day
  92 days before, so the window always holds the previous quarter and at least four months. Data
  are deterministic for a given day and seed. After unpausing the DAGs, the scheduled runs of the
  current week, month and quarter find real figures. A rolling window seeded for today also knows
  the moment it was seeded (``now``): the demo puts a few urgent petitions (急险) around it, so that
  the urgent-petition watch has something to say in its first runs (the rest stays the same for a
  given day and seed).

In a rolling window the policy data begin where the demo's payment ledger does: award bases
(认定 dates of the 认定类 policies, approval times of the 申报类 ones) fall only from the first day of
the previous month (monthly policies) or of the previous quarter (quarterly policies) on, so the
first batch a new installation issues is one normal month's (or quarter's) batch, not a backlog of
the whole history since the programme's start (2021-01-01). Certifications older than the plan
year (the "earlier certification" that makes a later one not the first) keep their pre-2021 dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

CANONICAL_YEAR = 2021  # the year the generators are written for


@dataclass(frozen=True)
class Window:
    year: int  # the plan year: the generators' 2021 moved here
    snapshot: dt.datetime  # the extraction moment (naive local): nothing at or after it exists
    rolling: bool = False
    now: dt.datetime | None = None  # a rolling window seeded today: the moment (naive local minute)

    @property
    def offset(self) -> int:
        """Years between the generators' calendar and this window's."""
        return self.year - CANONICAL_YEAR

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year - 1, 12, 1)

    @property
    def last_day(self) -> dt.date:
        return (self.snapshot - dt.timedelta(days=1)).date() if self.rolling else dt.date(self.year + 1, 1, 31)

    def shift(self, value):
        """A date or datetime of the generators' calendar moved to this window's (29 Feb -> 28)."""
        if value is None or isinstance(value, str) or not self.offset:
            return value
        try:
            return value.replace(year=value.year + self.offset)
        except ValueError:
            return value.replace(year=value.year + self.offset, day=28)

    def unshift(self, value):
        """The inverse of :meth:`shift`."""
        if not self.offset:
            return value
        try:
            return value.replace(year=value.year - self.offset)
        except ValueError:
            return value.replace(year=value.year - self.offset, day=28)

    def base_start(self, cadence: str) -> dt.date | None:
        """First day an award basis may fall on (rolling windows; None: no limit)."""
        if not self.rolling:
            return None
        today = self.last_day
        if cadence == "monthly":
            first = today.replace(day=1) - dt.timedelta(days=1)
            return first.replace(day=1)
        quarter_first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        previous = quarter_first - dt.timedelta(days=1)
        return dt.date(previous.year, 3 * ((previous.month - 1) // 3) + 1, 1)

    def describe(self) -> str:
        kind = "rolling" if self.rolling else "demo year"
        return f"{kind} {self.first_day} … {self.last_day} (plan year {self.year})"


DEMO_YEAR = Window(CANONICAL_YEAR, dt.datetime(2022, 2, 1))


def today_local() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def rolling(today: dt.date | None = None, now: dt.datetime | None = None) -> Window:
    """The rolling window ending on ``today`` (default: today in Asia/Shanghai). ``now`` (naive
    local) defaults to the current minute when the window ends today, else None."""
    current = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, second=0, microsecond=0)
    today = today or current.date()
    if now is None and today == current.date():
        now = current
    year = (today - dt.timedelta(days=92)).year
    return Window(year, dt.datetime.combine(today + dt.timedelta(days=1), dt.time()), rolling=True, now=now)
