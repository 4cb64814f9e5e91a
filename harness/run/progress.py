"""What a running search prints: a step bar within each epoch (on a terminal only) and one line per epoch.

The epoch line (stderr, also into a log file) gives steps/s of that epoch, the search's elapsed time across
resumed attempts, and an ETA from this attempt's own wall time per epoch (instruments included), so the
estimate after a resume does not count the epochs an earlier process ran.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from tqdm import tqdm


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class SearchProgress:
    def __init__(self, enabled: bool, label: str, total_epochs: int, steps_per_epoch: int, done_epochs: int) -> None:
        self.enabled = enabled
        self.label = label
        self.total = total_epochs
        self.steps = steps_per_epoch
        self.first_epoch = done_epochs  # epochs an earlier attempt finished
        self.started = time.perf_counter()
        self.bar = tqdm(total=steps_per_epoch, unit="step", leave=False, disable=not (enabled and sys.stderr.isatty()))
        self.bar.set_description(self._bar_label(done_epochs))

    def _bar_label(self, epoch: int) -> str:
        return f"{self.label} epoch {epoch + 1}/{self.total}"

    def step(self) -> None:
        self.bar.update(1)

    def end_epoch(self, row: dict[str, Any], elapsed: float, headline: tuple[str, str] | None) -> None:
        """After epoch `row["epoch"]` (its row complete); `elapsed`: the search's seconds over all attempts;
        `headline`: (column, label) of the oracle value to show."""
        done = int(row["epoch"]) + 1
        if self.enabled:
            print(self.epoch_line(row, elapsed, headline, done), file=sys.stderr, flush=True)
        self.bar.reset()
        self.bar.set_description(self._bar_label(done))

    def epoch_line(self, row: dict[str, Any], elapsed: float, headline: tuple[str, str] | None, done: int) -> str:
        per_epoch = (time.perf_counter() - self.started) / max(done - self.first_epoch, 1)
        eta = per_epoch * (self.total - done)
        seconds = float(row.get("epoch_seconds", math.nan))
        line = (
            f"{self.label} epoch {done}/{self.total}: {self.steps / seconds:.2f} steps/s ({format_seconds(seconds)}), "
            f"elapsed {format_seconds(elapsed)}, ETA {format_seconds(eta)}; skip {row.get('skip_count')}"
        )
        value = row.get(headline[0]) if headline else None
        if isinstance(value, float) and math.isfinite(value):
            line += f", {headline[1]} {value:.2f}"
        return line

    def close(self) -> None:
        self.bar.close()
