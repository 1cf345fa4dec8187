"""The office's weights file: checked when loaded, each error naming its entry; dated versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from gxq.scorecard import weights
from gxq.scorecard.weights import WeightsError


def _raw() -> dict:
    return yaml.safe_load(weights.WEIGHTS_FILE.read_text(encoding="utf-8"))


def _text(raw: dict) -> str:
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def test_the_reviewed_file_loads_and_weighs_every_rule():
    w = weights.load()
    version = w.in_force(dt.date(2021, 6, 1))
    assert set(version.rules) == set(weights.RULE_SOURCE)
    assert sum(s.cap for s in version.sources.values()) <= w.full_score
    assert all(r.wording.endswith("。") for r in version.rules.values())  # the 考核办法's sentences


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["versions"][0]["rules"].pop("tasks.red"), r"version 2021-01-01\.rules\.tasks\.red: missing"),
    (lambda r: r["versions"][0]["rules"].__setitem__("tasks.purple", {"wording": "x", "points": 1, "cap": None}),
     r"rules\.tasks\.purple: unknown rule"),
    (lambda r: r["versions"][0]["rules"]["innovation.red"].__setitem__("points", -1),
     r"rules\.innovation\.red\.points: must be a number >= 0"),
    (lambda r: r["versions"][0]["rules"]["innovation.red"].__setitem__("points", "三"),
     r"rules\.innovation\.red\.points"),
    (lambda r: r["versions"][0]["rules"]["urgent.escalated"].__setitem__("wording", ""),
     r"rules\.urgent\.escalated\.wording: must be a non-empty text"),
    (lambda r: r["versions"][0]["rules"]["urgent.escalated"].pop("cap"), r"rules\.urgent\.escalated\.cap: missing"),
    (lambda r: r["versions"][0]["sources"]["tasks"].__setitem__("cap", 60), r"caps add up to 135, more than full_score 100"),
    (lambda r: r["versions"][0]["sources"].pop("urgent"), r"sources: must be exactly"),
    (lambda r: r["versions"][0].__setitem__("effective_from", "2021-13-01"), r"versions\[0\]\.effective_from: must be a date"),
    (lambda r: r["versions"].append(dict(r["versions"][0])), r"version 2021-01-01: must apply after version 2021-01-01"),
])
def test_a_bad_entry_is_named(edit, message):
    raw = _raw()
    edit(raw)
    with pytest.raises(WeightsError, match=message):
        weights.parse(_text(raw))


def test_not_yaml_and_no_version_in_force(tmp_path: Path):
    bad = tmp_path / "w.yaml"
    bad.write_text("versions: [", encoding="utf-8")
    with pytest.raises(WeightsError, match="w.yaml: weights file is not valid YAML"):
        weights.load(bad)
    with pytest.raises(WeightsError, match="no weights version is in force on 2020-12-01"):
        weights.load().in_force(dt.date(2020, 12, 1))


def test_a_version_applies_from_its_date():
    raw = _raw()
    later = yaml.safe_load(yaml.safe_dump(raw["versions"][0], allow_unicode=True))
    later["effective_from"] = "2021-07-01"
    later["rules"]["tasks.red"]["points"] = 5
    raw["versions"].append(later)
    w = weights.parse(_text(raw))
    assert w.in_force(dt.date(2021, 6, 1)).rules["tasks.red"].points == 2
    assert w.in_force(dt.date(2021, 7, 1)).rules["tasks.red"].points == 5
    assert w.in_force(dt.date(2021, 12, 1)).key == "2021-07-01"
