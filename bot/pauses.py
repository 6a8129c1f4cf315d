"""Let the event loop's thread take the GIL from a worker thread that reads or writes files.

A thread that does many small reads or writes (XlsxWriter's rows, openpyxl's unzipping) keeps
the GIL from the event loop's thread: each call lets the GIL go and the worker takes it
straight back before the waiting loop wakes, which (as CPython's GIL works) restarts the
loop's wait. A province's workbook held the loop 200 to 500 ms at a time, a 40,000-row
spreadsheet 540 ms, where a pure-Python loop holds it 5 to 11 ms. So such work pauses for
PAUSE_S every PAUSE_EVERY_S: the loop takes the GIL and answers other users meanwhile.

    pause = Pauses()
    for n, row in enumerate(rows):
        ...
        if not n % ROWS_BETWEEN_LOOKS:
            pause()
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PAUSE_EVERY_S = 0.05  # the longest a worker holds the GIL without a pause
PAUSE_S = 0.0005  # long enough for the loop's thread to wake and take the GIL
ROWS_BETWEEN_LOOKS = 32  # rows handled between looks at the clock


@dataclass
class Pauses:
    """Pause the calling thread for `pause` seconds once `every` seconds have gone by since
    the last pause (or the first call)."""

    every: float = PAUSE_EVERY_S
    pause: float = PAUSE_S
    clock: Callable[[], float] = time.perf_counter
    sleep: Callable[[float], None] = time.sleep
    last: float = field(default=-math.inf)

    def __call__(self) -> None:
        now = self.clock()
        if now - self.last >= self.every:
            if self.last != -math.inf:
                self.sleep(self.pause)
            self.last = self.clock()
