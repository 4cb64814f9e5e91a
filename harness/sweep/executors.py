"""Executors run sweep cells; the sweep driver claims cells in the manifest and records outcomes.

`local`: each cell in its own child process on this machine (`--jobs N` at once).
`ray`: each cell as a Ray task on a local Ray instance or an existing cluster (`--address`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from benchmarks.errors import NashError

if TYPE_CHECKING:  # sweep_plan resolves configs (torch); the CLI lists EXECUTORS without it
    from harness.sweep.plan import PlannedCell

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class CellOutcome:
    cell_id: str
    ok: bool
    seconds: float
    error: str | None = None  # one line


class Executor(Protocol):
    slots: int  # cells in flight at most

    def submit(self, cell: PlannedCell) -> None: ...

    def running(self) -> list[str]: ...

    def wait(self, timeout: float) -> list[CellOutcome]:
        """Outcomes of cells that finished within `timeout` seconds (maybe none)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ExecutorOptions:
    kind: str = "local"
    jobs: int | None = None  # None: 1 locally; what the cluster fits on Ray
    address: str | None = None  # Ray cluster address, e.g. head:6379
    gpus_per_run: float = 0.0
    progress: bool = True

    def __post_init__(self) -> None:  # checked before the sweep writes anything
        if self.kind not in EXECUTORS:
            raise NashError(f"unknown executor {self.kind!r}; valid: {', '.join(EXECUTORS)}")
        if self.jobs is not None and self.jobs < 1:
            raise NashError(f"--jobs must be at least 1, got {self.jobs}")
        if not 0 <= self.gpus_per_run < math.inf:  # NaN fails both comparisons
            raise NashError(f"--gpus-per-run must be a finite number >= 0, got {self.gpus_per_run}")
        if self.kind == "local" and (self.address or self.gpus_per_run):
            raise NashError("--address and --gpus-per-run are for --executor ray; drop them or add --executor ray")


def cell_log_path(out: Path, cell_id: str) -> Path:
    """A cell's full output (tracebacks included), appended per attempt."""
    return Path(out) / ".sweep-logs" / f"{cell_id}.log"
