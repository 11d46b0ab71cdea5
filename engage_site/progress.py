"""The progress line of long management commands (imports, the demo data)."""

import time
from typing import TextIO

PROGRESS_EVERY_SECONDS = 0.5
BAR_WIDTH = 20


class Progress:
    """One line on ``stream``: a bar, the items done, the rate, the share done and the time left.

    On a terminal the line is rewritten in place every half second; elsewhere (a log, a pipe) a
    line is written every 5 s, without the bar.
    """

    def __init__(self, stream: TextIO, total: float, enabled: bool, unit: str = "rows") -> None:
        self.stream, self.total, self.enabled, self.unit = stream, max(total, 1), enabled, unit
        self.interactive = enabled and stream.isatty()
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.items = 0

    def show(self, *, items: int, position: float, detail: str = "", force: bool = False) -> None:
        """Count ``items`` more, at ``position`` of the total; ``detail`` goes before the ETA."""
        self.items += items
        now = time.monotonic()
        if not self.enabled or (not force and now - self.shown_at < self._every()):
            return
        self.shown_at = now
        elapsed = max(now - self.started, 1e-6)
        rate = self.items / elapsed
        done = min(position / self.total, 1.0)
        left = elapsed * (1 - done) / done if done > 0 else 0.0
        text = (
            f"{self.items:,} {self.unit}  {rate:,.0f} {self.unit}/s  {done:6.1%}  "
            f"{detail + '  ' if detail else ''}ETA {_duration(left)}"
        )
        if self.interactive:
            filled = round(done * BAR_WIDTH)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{bar} {text}\x1b[K")
        else:
            self.stream.write(f"{text}\n")
        self.stream.flush()

    def _every(self) -> float:
        return PROGRESS_EVERY_SECONDS if self.interactive else 5.0

    def end(self) -> None:
        if self.interactive:
            self.stream.write("\n")


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
