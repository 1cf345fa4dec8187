"""gxq.progress: a redrawn bar on a terminal, plain lines elsewhere (CI logs)."""

from __future__ import annotations

import io

from gxq.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_one_redrawn_bar():
    out = Terminal()
    with Progress("demo", total=4, stream=out, unit="days") as bar:
        for _ in range(4):
            bar.update()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, redrawn with \r
    assert "\r" in text and "4/4 days" in text and "100%" in text and "#" * 28 in text


def test_pipe_gets_plain_lines_only_at_intervals_and_at_the_end():
    out = io.StringIO()
    with Progress("demo", total=1000, stream=out, every=3600) as bar:
        for _ in range(1000):
            bar.update()
    lines = out.getvalue().splitlines()
    assert lines == [lines[-1]] and "1,000/1,000" in lines[0]  # no line per step, the final one
    assert "\r" not in out.getvalue() and "\033" not in out.getvalue()


def test_without_total_it_counts():
    out = io.StringIO()
    bar = Progress("rows", stream=out, every=0)
    bar.update(5000)
    bar.close()
    bar.close()  # idempotent
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("rows  5,000") and len(lines) == 2
