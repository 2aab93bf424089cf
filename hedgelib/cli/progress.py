"""A progress bar on stderr: paths done, rate, time left.

On a terminal the bar redraws in place a few times a second; into a file or a pipe it writes
a line at the start, at every tenth of the run and at the end, so that logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar", "format_duration"]


def format_duration(seconds: float) -> str:
    """``1:02:03``, ``2:05`` or ``7s``.

    >>> format_duration(7.2), format_duration(125), format_duration(3723)
    ('7s', '2:05', '1:02:03')
    """
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}:{m:02d}:{sec:02d}"
    if m:
        return f"{m}:{sec:02d}"
    return f"{sec}s"


def _rate(x: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


class ProgressBar:
    """Progress of ``total`` units (paths) of work, drawn on ``stream``.

    Parameters
    ----------
    total : int
        Units in the whole run.
    unit : str
        What is counted ("paths", "hedged paths").
    stream : text file, default sys.stderr
    enabled : bool, default True
        False draws nothing (``--quiet``).
    """

    WIDTH = 24

    def __init__(self, total: int, unit: str = "paths", *, stream: TextIO | None = None,
                 enabled: bool = True, clock=time.monotonic):
        self.total, self.unit = max(int(total), 1), unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled
        self.clock = clock
        self.start = clock()
        self.done = 0
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self._last_draw = -1.0
        self._last_tenth = -1

    def line(self) -> str:
        """The bar as text: percent, bar, done/total, rate and time left."""
        frac = min(self.done / self.total, 1.0)
        filled = int(frac * self.WIDTH)
        elapsed = self.clock() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.done >= self.total:
            tail = f"{format_duration(elapsed)} in all"
        elif rate > 0:
            tail = f"{format_duration((self.total - self.done) / rate)} left"
        else:
            tail = "starting"
        return (f"{100 * frac:5.1f}% |{'#' * filled}{'.' * (self.WIDTH - filled)}| "
                f"{self.done:,}/{self.total:,} {self.unit}, {_rate(rate)}/s, {tail}")

    def update(self, done: int) -> None:
        """Record ``done`` units finished and redraw when it is time."""
        self.done = min(int(done), self.total)
        if not self.enabled:
            return
        now = self.clock()
        if self.tty:
            if self.done >= self.total or now - self._last_draw >= 0.2:
                self.stream.write("\r" + self.line() + "\x1b[K")
                self.stream.flush()
                self._last_draw = now
            return
        tenth = int(10 * self.done / self.total)
        if tenth != self._last_tenth:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self._last_tenth = tenth

    def advance(self, units: int) -> None:
        self.update(self.done + int(units))

    def finish(self) -> None:
        """End the bar's line on a terminal (after the last update or an interrupt)."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
