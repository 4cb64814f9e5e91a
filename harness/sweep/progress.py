"""Sweep progress: a line per started and finished cell, the overall done / failed / left with an
estimate of the time left, and, when several cells run at once (no single progress bar fits),
one line per finished epoch, read from each running cell's `epochs.parquet`.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.run.progress import format_seconds
from harness.sweep.executors import CellOutcome
from harness.system.store import EPOCHS_FILE


def estimate_left(durations: list[float], left: int, jobs: int) -> float | None:
    """Mean seconds per finished cell × cells left / cells at once; None before any cell finished."""
    if not durations:
        return None
    return sum(durations) / len(durations) * left / max(jobs, 1)


class SweepProgress:
    def __init__(self, out: Path, total: int, enabled: bool, jobs: int) -> None:
        self.out = Path(out)
        self.total = total
        self.enabled = enabled
        self.jobs = jobs
        self.started_at = time.perf_counter()
        self.durations: list[float] = []  # of cells done in this sweep (failures are quick: not counted)
        self.epochs: dict[str, int | None] = {}  # running cell -> epochs in all
        self.seen_rows: dict[str, int] = {}

    def counts_line(self, states: dict[str, str]) -> str:
        done = sum(s == "done" for s in states.values())
        failed = sum(s == "failed" for s in states.values())
        left = self.total - done - failed
        line = f"{done} done, {failed} failed, {left} left"
        eta = estimate_left(self.durations, left, self.jobs)
        return line if eta is None else f"{line}, about {format_seconds(eta)} left"

    def started(self, cell_id: str, epochs: int | None) -> None:
        self.epochs[cell_id] = epochs
        self.seen_rows[cell_id] = 0
        print(f"[start] {cell_id}", flush=True)

    def finished(self, outcome: CellOutcome, states: dict[str, str]) -> None:
        self.epochs.pop(outcome.cell_id, None)
        self.seen_rows.pop(outcome.cell_id, None)
        if outcome.ok:
            self.durations.append(outcome.seconds)
            head = f"[done] {outcome.cell_id} in {format_seconds(outcome.seconds)}"
        else:
            head = f"[failed] {outcome.cell_id} after {format_seconds(outcome.seconds)}: {outcome.error}"
        print(head, flush=True)
        print(f"sweep: {self.counts_line(states)}", flush=True)

    def poll_epochs(self, running: list[str]) -> None:
        """One line per newly finished epoch of each running cell (when several run at once)."""
        if not self.enabled or self.jobs < 2:
            return
        import pyarrow.parquet as pq

        for cell_id in running:
            path = self.out / cell_id / EPOCHS_FILE
            try:
                rows = pq.read_metadata(path).num_rows
            except (OSError, ValueError):  # not written yet (or being replaced)
                continue
            if rows > self.seen_rows.get(cell_id, 0):
                self.seen_rows[cell_id] = rows
                total = self.epochs.get(cell_id)
                print(f"  {cell_id}: epoch {rows}/{total if total else '?'}", flush=True)

    def summary(self, done: int, failed: int, elsewhere: int, now: float) -> None:
        line = f"sweep finished in {format_seconds(now - self.started_at)}: {done} done, {failed} failed"
        if elsewhere:
            line += f", {elsewhere} still running in another sweep"
        print(f"{line} (of {self.total}); table: nash status {self.out}", flush=True)
