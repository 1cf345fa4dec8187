"""Progress of long work (进度显示) for people at a terminal and for CI logs.

    with Progress("petitions", total=52) as bar:
        for week in weeks:
            ...
            bar.update()

On a terminal it redraws one line (``petitions  [#######.....]  31/52  60%  12 s``); elsewhere (CI,
a pipe, a log file) it prints a plain line at most every ``every`` seconds and at the end, so a
log shows that the work moves without a line per step. ``total=None`` counts without a bar.
Output goes to stderr, so that stdout stays the command's result.
"""

from __future__ import annotations

import sys
import time
from typing import Self, TextIO

BAR_WIDTH = 28


class Progress:
    def __init__(self, label: str, total: int | None = None, *, stream: TextIO | None = None,
                 every: float = 10.0, unit: str = "") -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every if not self.tty else 0.2
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self._last = self.started if not self.tty else 0.0
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._emit(final=False)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._emit(final=True)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * round(share * BAR_WIDTH)
            return (f"{self.label}  [{bar:.<{BAR_WIDTH}}]  {self.done:,}/{self.total:,}{unit}  "
                    f"{share:4.0%}  {elapsed:.0f} s")
        return f"{self.label}  {self.done:,}{unit}  {elapsed:.0f} s"

    def _emit(self, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self.line() + ("\n" if final else ""))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
