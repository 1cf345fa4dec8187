"""The office's own holiday file (法定节假日安排, 办公室录入): ``include/calendar/holidays.yaml``.

``chinesecalendar`` learns a year only with a package release, which may come after the year has
begun. The State Council publishes each year's arrangement (国务院办公厅关于XXXX年部分节假日安排的
通知) in October or November; the office enters it in the holiday file, it is reviewed like code,
and :mod:`gxq.calendar.workdays` uses it for every year the package does not know. Once the
package learns a year, :func:`disagreements` (run by ``tests/calendar/test_holidays.py``)
checks the file against it, day by day.

The file is validated when it is read (:class:`HolidayFileError` names the file and line): a
date that is not ``YYYY-MM-DD`` or does not exist, a date filed under another year, an unknown
holiday name, a range that ends before it starts, a day entered twice, a day that is both a
holiday and a 调休 working day, a 调休 working day that is not a Saturday or Sunday, a year
without one of the seven statutory holidays, an unknown key.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PATH = REPO_ROOT / "include" / "calendar" / "holidays.yaml"

# The statutory holidays (全体公民放假的节日) in the notice's words, with chinesecalendar's names.
NAMES = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-autumn Festival",
    "国庆节": "National Day",
}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR_KEYS = {"notice", "holidays", "working_days"}
HOLIDAY_KEYS = {"name", "from", "to"}
WORKING_DAY_KEYS = {"date", "for"}


class HolidayFileError(ValueError):
    """The holiday file is not valid; the message names the file and line."""


@dataclass
class Year:
    """One year's arrangement (放假安排): holidays (放假日, weekends inside a holiday included)
    and 调休 working days (调休上班日, a Saturday or Sunday worked), each with its festival."""

    year: int
    notice: str
    line: int
    holidays: dict[dt.date, str] = field(default_factory=dict)  # day -> 春节 (or 中秋节、国庆节)
    working_days: dict[dt.date, str] = field(default_factory=dict)
    lines: dict[dt.date, int] = field(default_factory=dict)  # day -> line in the file


def _path() -> Path:
    return Path(os.environ.get("GXQ_HOLIDAYS_FILE") or DEFAULT_PATH)


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, node, message: str):
        line = node.start_mark.line + 1 if node is not None else 1
        raise HolidayFileError(f"{self.path}:{line}: {message}")

    def mapping(self, node, what: str, keys: set[str] | None = None) -> dict[str, tuple]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping")
        out = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key is None or (keys is not None and key not in keys):
                allowed = f" (allowed: {', '.join(sorted(keys))})" if keys else ""
                self.fail(k, f"unknown key {key!r} in {what}{allowed}")
            if key in out:
                self.fail(k, f"key {key!r} twice in {what}")
            out[key] = (k, v)
        return out

    def sequence(self, node, what: str) -> list:
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what} must be a list")
        return node.value

    def text(self, node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.fail(node, f"{what} must be a non-empty text")
        return node.value.strip()

    def date(self, node, what: str, year: int) -> dt.date:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if value is None or not DATE_RE.match(value):
            self.fail(node, f"bad date {value!r} for {what}: write YYYY-MM-DD")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(node, f"bad date {value!r} for {what}: no such day")
        if day.year != year:
            self.fail(node, f"{what} {value} is not in {year}: each year's section holds its own days only "
                            f"(a holiday running over New Year goes in both years' sections)")
        return day

    def names(self, node, what: str) -> str:
        name = self.text(node, what)
        parts = [p.strip() for p in re.split(r"[、,，]", name)]
        unknown = [p for p in parts if p not in NAMES]
        if unknown:
            self.fail(node, f"unknown holiday {'、'.join(unknown)!r} in {what} (one of: {'、'.join(NAMES)})")
        return "、".join(parts)

    def year(self, key_node, node) -> Year | None:
        try:
            year = int(key_node.value)
        except (TypeError, ValueError):
            self.fail(key_node, f"a year must be a number, not {key_node.value!r}")
        if not 2000 <= year <= 2100:
            self.fail(key_node, f"year {year} out of range 2000-2100")
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
            return None  # the year's heading with nothing entered yet: not known
        fields = self.mapping(node, f"year {year}", YEAR_KEYS)
        for needed in ("notice", "holidays"):
            if needed not in fields:
                self.fail(node, f"year {year} lacks {needed!r}")
        out = Year(year, self.text(fields["notice"][1], f"the notice of {year}"), key_node.start_mark.line + 1)

        def add(target: dict, day: dt.date, name: str, at, kind: str) -> None:
            line = at.start_mark.line + 1
            if day in out.lines:
                if (day in out.holidays) != (target is out.holidays):
                    other = "a holiday" if day in out.holidays else "a 调休 working day"
                    self.fail(at, f"{day} is both a holiday and a 调休 working day (it is {other} on line "
                                  f"{out.lines[day]})")
                self.fail(at, f"{day} entered twice as {kind} (also on line {out.lines[day]})")
            target[day] = name
            out.lines[day] = line

        for item in self.sequence(fields["holidays"][1], f"holidays of {year}"):
            f = self.mapping(item, f"a holiday of {year}", HOLIDAY_KEYS)
            for needed in ("name", "from", "to"):
                if needed not in f:
                    self.fail(item, f"a holiday of {year} lacks {needed!r}")
            name = self.names(f["name"][1], f"a holiday of {year}")
            start = self.date(f["from"][1], f"{name} from", year)
            end = self.date(f["to"][1], f"{name} to", year)
            if end < start:
                self.fail(f["to"][1], f"{name} ends ({end}) before it starts ({start})")
            if (end - start).days > 14:
                self.fail(f["to"][1], f"{name} from {start} to {end}: more than 15 days, a typo?")
            day = start
            while day <= end:
                add(out.holidays, day, name, f["from"][1], "a holiday")
                day += dt.timedelta(days=1)
        for item in self.sequence(fields["working_days"][1] if "working_days" in fields else None,
                                  f"working_days of {year}"):
            f = self.mapping(item, f"a 调休 working day of {year}", WORKING_DAY_KEYS)
            for needed in ("date", "for"):
                if needed not in f:
                    self.fail(item, f"a 调休 working day of {year} lacks {needed!r}")
            name = self.names(f["for"][1], f"a 调休 working day of {year}")
            day = self.date(f["date"][1], f"the 调休 working day for {name}", year)
            if day.weekday() < 5:
                self.fail(f["date"][1], f"调休 working day {day} is a weekday ({day:%A}): only a Saturday or "
                                        "Sunday can be made a working day")
            add(out.working_days, day, name, f["date"][1], "a 调休 working day")
        named = {p for n in out.holidays.values() for p in n.split("、")}
        missing = [n for n in NAMES if n not in named]
        if missing:
            self.fail(key_node, f"year {year} lacks {'、'.join(missing)}: enter every holiday of the notice")
        return out

    def read(self) -> dict[int, Year]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise HolidayFileError(f"{self.path}: cannot read the holiday file: {exc}") from exc
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            raise HolidayFileError(f"{self.path}:{line}: not valid YAML: {exc}") from exc
        if root is None:
            return {}
        top = self.mapping(root, "the holiday file", {"years"})
        if "years" not in top:
            return {}
        years_node = top["years"][1]
        if isinstance(years_node, yaml.ScalarNode) and years_node.value in ("", "~", "null"):
            return {}
        out: dict[int, Year] = {}
        for k, v in self.mapping(years_node, "years").values():
            entered = self.year(k, v)
            if entered is not None:
                out[entered.year] = entered
        return out


def load(path: Path | str | None = None) -> dict[int, Year]:
    """The years entered in the holiday file, validated (:class:`HolidayFileError` if not)."""
    return _Reader(Path(path) if path else _path()).read()


@functools.lru_cache(maxsize=1)
def office_years() -> dict[int, Year]:
    """The holiday file's years, read once per process (validated on first use)."""
    return load()


def disagreements(years: dict[int, Year] | None = None) -> list[str]:
    """Where the file and ``chinesecalendar`` differ, for every year both know (empty: agree).

    Each line names the year and the days: a holiday or 调休 working day in one and not the
    other, or a day filed under another festival.
    """
    from chinese_calendar.constants import holidays as pkg_holidays
    from chinese_calendar.constants import workdays as pkg_workdays

    years = office_years() if years is None else years
    first = min(d.year for d in pkg_holidays)
    last = max(d.year for d in pkg_holidays)
    out = []
    for year, entered in sorted(years.items()):
        if not first <= year <= last:
            continue
        for what, mine, theirs in (
            ("holiday", entered.holidays, {d: str(n) for d, n in pkg_holidays.items() if d.year == year}),
            ("调休 working day", entered.working_days,
             {d: str(n) for d, n in pkg_workdays.items() if d.year == year}),
        ):
            only_file = sorted(set(mine) - set(theirs))
            only_pkg = sorted(set(theirs) - set(mine))
            renamed = sorted(d for d in set(mine) & set(theirs)
                             if theirs[d] not in {NAMES[p] for p in mine[d].split("、")})
            if only_file:
                out.append(f"{year}: {what} in the file, not in chinesecalendar: "
                           + ", ".join(f"{d} (line {entered.lines[d]})" for d in only_file))
            if only_pkg:
                out.append(f"{year}: {what} in chinesecalendar, not in the file: "
                           + ", ".join(f"{d} ({theirs[d]})" for d in only_pkg))
            if renamed:
                out.append(f"{year}: {what} under another holiday than chinesecalendar's: "
                           + ", ".join(f"{d} (file {mine[d]}, line {entered.lines[d]}; chinesecalendar "
                                       f"{theirs[d]})" for d in renamed))
    return out
