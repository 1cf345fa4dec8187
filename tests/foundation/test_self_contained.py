"""The repository stands on its own: no tracked file names a path outside it, and the project's
own reference (docs/reference.md) covers every registered DAG."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from gxq import cadences

REPO = Path(__file__).resolve().parents[2]
# A sibling directory, the coordinating contract file, or the machine's work tree.
# (Written so that this file does not match itself.)
OUTSIDE = re.compile(r"\.\./shared|CONTRACT\.md|(?<![\w.-])/w[o]rk/")


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_points_outside_the_repository():
    files = tracked_files()
    assert len(files) > 100  # the check really ran over the repository
    hits = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary (images, the lock's wheels are not in git) or deleted in the worktree
        for no, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(REPO)}:{no}: {line.strip()[:120]}")
    assert not hits, "files pointing outside the repository (use docs/reference.md):\n" + "\n".join(hits)


def test_the_pattern_catches_what_it_should():
    contract, shared, work = "CONTRACT" + ".md", ".." + "/shared", "/" + "work"
    for bad in (f"see {shared}/{contract}", contract, f"{work}/main/data", f"cd {work}/wt/x"):
        assert OUTSIDE.search(bad), bad
    for good in ("docs/reference.md", "CONTRACT_KEYS = [...]", f".{work}/x", f"tmp{work}/x"):
        assert not OUTSIDE.search(good), good


def test_reference_names_every_dag_and_param():
    text = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    for cadence in cadences.CADENCES:
        assert f"`{cadence.dag_id}`" in text, cadence.dag_id
        for spec in cadence.params:
            assert f"`{spec.name}`" in text, (cadence.dag_id, spec.name)


def test_reference_schedule_table_matches_the_registry():
    """Each DAG's row of docs/reference.md §4 names its plain cron and its working-day rule."""
    text = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    text = text[text.index("\n## 4. "):text.index("\n## 5. ")]  # other sections' tables name DAGs too
    rows: dict[str, str] = {}
    for m in re.finditer(r"^\| `(\w+)` \|.*$", text, re.MULTILINE):
        if m.group(1) in cadences.BY_ID:
            rows.setdefault(m.group(1), m.group(0))
    assert set(rows) == set(cadences.BY_ID), set(cadences.BY_ID) ^ set(rows)
    for cadence in cadences.CADENCES:
        row = rows[cadence.dag_id]
        crons = [cadence.cron] if isinstance(cadence.cron, str) else list(cadence.cron or ())
        for cron in crons:
            assert f"`{cron}`" in row, (cadence.dag_id, cron)
        if cadence.timetable and cadence.timetable[0] == "nth_working_day":
            n, at, unit = cadence.timetable[1]
            assert f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'} working day of the {unit}, {at}" in row, row
