"""Figures for the closing note, collected by the reliability and security tests and printed at
the end of the session (terminal summary)."""

from __future__ import annotations

from collections import defaultdict

FIGURES: dict[str, dict] = defaultdict(dict)


def record(section: str, name: str, value) -> None:
    FIGURES[section][name] = value
    print(f"[figures] {section}: {name} = {value}")


def add(section: str, name: str, value: int = 1) -> None:
    FIGURES[section][name] = FIGURES[section].get(name, 0) + value


def summary_lines() -> list[str]:
    lines = []
    for section in sorted(FIGURES):
        items = ", ".join(f"{k}={v}" for k, v in sorted(FIGURES[section].items()))
        lines.append(f"{section}: {items}")
    return lines


_printed = False


def terminal_summary(terminalreporter) -> None:
    """Print the figures once per session (both tiers' conftests call this)."""
    global _printed
    lines = summary_lines()
    if _printed or not lines:
        return
    _printed = True
    terminalreporter.section("reliability and security figures")
    for line in lines:
        terminalreporter.write_line(line)
