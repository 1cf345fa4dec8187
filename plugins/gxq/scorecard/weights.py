"""The office's weights (考核扣分标准) of the 绩效考核, read from ``weights.yaml`` and checked.

The file holds dated versions; each is complete (every source with its cap, every rule with the
考核办法's wording, points and cap). A month is scored under the version in force on its first
day (:meth:`Weights.in_force`), so a rerun of an old month scores it as it was scored, whatever
versions came later. A change is a new version from a date, never an edit of a past one.

Checked when loaded, which the DAG file does at parse time: a bad file is an import error of the
DAG in the Airflow UI, its message naming the version and the entry (:class:`WeightsError`).

Imported at DAG-parse time: standard library and PyYAML only.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights.yaml"

# The sources a scorecard gathers, in the order documents show them (the registry's inputs
# name the DAG behind each).
SOURCES = ("petitions", "urgent", "tasks", "rectification", "innovation")

# Every rule the scoring knows how to count (gxq.scorecard.sources), by source. A version must
# weigh each of them (points 0 switches one off) and nothing else.
RULES: dict[str, tuple[str, ...]] = {
    "petitions": ("petitions.dispatch_below_target", "petitions.feedback_late",
                  "petitions.satisfaction_below_target", "petitions.overdue_backlog",
                  "petitions.supervised_open", "petitions.supervised_escalated"),
    "urgent": ("urgent.feedback_overdue", "urgent.escalated"),
    "tasks": ("tasks.red", "tasks.yellow", "tasks.escalated"),
    "rectification": ("rectification.overdue", "rectification.escalated"),
    "innovation": ("innovation.red", "innovation.yellow", "innovation.unreported"),
}
RULE_SOURCE = {rule: source for source, rules in RULES.items() for rule in rules}


class WeightsError(ValueError):
    """The weights file is not as the scoring needs it; the message names the entry."""


@dataclass(frozen=True)
class Rule:
    id: str
    source: str
    wording: str  # 考核办法原文
    points: float
    cap: float | None


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    cap: float


@dataclass(frozen=True)
class Version:
    effective_from: dt.date
    document: str
    note: str
    sources: dict[str, Source]
    rules: dict[str, Rule]

    @property
    def key(self) -> str:
        return self.effective_from.isoformat()

    def summary(self) -> dict:
        """What a report says about the weights it was scored under."""
        return {"version": self.key, "document": self.document,
                "sources": {s.name: {"label": s.label, "cap": s.cap} for s in self.sources.values()},
                "rules": {r.id: {"wording": r.wording, "points": r.points, "cap": r.cap} for r in self.rules.values()}}


@dataclass(frozen=True)
class Weights:
    full_score: float
    versions: tuple[Version, ...]  # by effective_from

    def in_force(self, day: dt.date) -> Version:
        """The version in force on ``day`` (the latest effective_from on or before it)."""
        found = None
        for version in self.versions:
            if version.effective_from <= day:
                found = version
        if found is None:
            raise WeightsError(f"no weights version is in force on {day} (the first applies from "
                               f"{self.versions[0].effective_from})")
        return found


def _number(value, where: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise WeightsError(f"{where}: must be a number >= 0{' or null' if allow_none else ''}, got {value!r}")
    return float(value)


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WeightsError(f"{where}: must be a non-empty text, got {value!r}")
    return value.strip()


def _day(value, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WeightsError(f"{where}: must be a date YYYY-MM-DD, got {value!r}") from None


def _mapping(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise WeightsError(f"{where}: must be a mapping, got {type(value).__name__}")
    return value


def _version(raw, index: int, full_score: float) -> Version:
    where = f"versions[{index}]"
    raw = _mapping(raw, where)
    unknown = set(raw) - {"effective_from", "document", "note", "sources", "rules"}
    if unknown:
        raise WeightsError(f"{where}: unknown key(s) {sorted(unknown)}")
    effective = _day(raw.get("effective_from"), f"{where}.effective_from")
    where = f"version {effective}"
    document = _text(raw.get("document"), f"{where}.document")
    sources_raw = _mapping(raw.get("sources"), f"{where}.sources")
    if set(sources_raw) != set(SOURCES):
        raise WeightsError(f"{where}.sources: must be exactly {list(SOURCES)}; missing {sorted(set(SOURCES) - set(sources_raw))}, "
                           f"unknown {sorted(set(sources_raw) - set(SOURCES))}")
    sources = {}
    for name in SOURCES:
        entry = _mapping(sources_raw[name], f"{where}.sources.{name}")
        sources[name] = Source(name, _text(entry.get("label"), f"{where}.sources.{name}.label"),
                               _number(entry.get("cap"), f"{where}.sources.{name}.cap"))
    total = sum(s.cap for s in sources.values())
    if total > full_score + 1e-9:
        raise WeightsError(f"{where}.sources: the caps add up to {total:g}, more than full_score {full_score:g}")
    rules_raw = _mapping(raw.get("rules"), f"{where}.rules")
    unknown = sorted(set(rules_raw) - set(RULE_SOURCE))
    if unknown:
        raise WeightsError(f"{where}.rules.{unknown[0]}: unknown rule (known: {', '.join(RULE_SOURCE)})")
    missing = [r for r in RULE_SOURCE if r not in rules_raw]
    if missing:
        raise WeightsError(f"{where}.rules.{missing[0]}: missing (every rule is weighed; points 0 switches it off)")
    rules = {}
    for rule_id, source in RULE_SOURCE.items():
        entry = _mapping(rules_raw[rule_id], f"{where}.rules.{rule_id}")
        unknown = set(entry) - {"wording", "points", "cap"}
        if unknown:
            raise WeightsError(f"{where}.rules.{rule_id}: unknown key(s) {sorted(unknown)}")
        if "cap" not in entry:
            raise WeightsError(f"{where}.rules.{rule_id}.cap: missing (null for none)")
        rules[rule_id] = Rule(rule_id, source, _text(entry.get("wording"), f"{where}.rules.{rule_id}.wording"),
                              _number(entry.get("points"), f"{where}.rules.{rule_id}.points"),
                              _number(entry["cap"], f"{where}.rules.{rule_id}.cap", allow_none=True))
    return Version(effective, document, str(raw.get("note") or ""), sources, rules)


def parse(text: str) -> Weights:
    """Weights from the YAML text, checked (:class:`WeightsError` naming the entry)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WeightsError(f"weights file is not valid YAML: {exc}") from None
    raw = _mapping(raw, "weights file")
    full_score = _number(raw.get("full_score"), "full_score")
    versions_raw = raw.get("versions")
    if not isinstance(versions_raw, list) or not versions_raw:
        raise WeightsError("versions: must be a non-empty list")
    versions = tuple(_version(v, i, full_score) for i, v in enumerate(versions_raw))
    for earlier, later in itertools.pairwise(versions):
        if later.effective_from <= earlier.effective_from:
            raise WeightsError(f"version {later.effective_from}: must apply after version {earlier.effective_from} "
                               "(versions are listed by effective_from, each a new date)")
    return Weights(full_score, versions)


@functools.cache
def _load_cached(path: str, mtime_ns: int) -> Weights:
    return parse(Path(path).read_text(encoding="utf-8"))


def load(path: Path | str | None = None) -> Weights:
    """The weights file (``GXQ_SCORECARD_WEIGHTS`` or the reviewed one in the repository), checked."""
    path = Path(path or os.environ.get("GXQ_SCORECARD_WEIGHTS") or WEIGHTS_FILE)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise WeightsError(f"weights file {path} cannot be read: {exc}") from None
    try:
        return _load_cached(str(path), mtime)
    except WeightsError as exc:
        raise WeightsError(f"{path.name}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """``python -m gxq.scorecard.weights [FILE]``: check a weights file and list its versions (what a
    reviewer runs on a proposed change before it is merged)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    try:
        w = load(args[0] if args else None)
    except WeightsError as exc:
        print(f"weights: {exc}", file=sys.stderr)
        return 1
    for v in w.versions:
        caps = ", ".join(f"{s.label} {s.cap:g}" for s in v.sources.values())
        print(f"{v.key}  {v.document}  ({len(v.rules)} rules; caps: {caps})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
