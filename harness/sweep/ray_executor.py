"""Ray executor: each cell as a Ray task (1 CPU, `--gpus-per-run` GPUs), results in the same store.

With `--address` it joins an existing cluster (every node needs nash installed and `--out` on a
filesystem all nodes share); without it, it starts a local Ray instance. Ray is imported here
only, so nash works without it. Tasks are not retried by Ray (`max_retries=0`): a failed or
crashed cell is recorded failed, and the next sweep retries it.

Ray puts the driver's current folder first on every worker's import path, so a `harness/` planted
there would run in the workers; `ray.init` is called from nash's own folder instead (and the
current folder is back right after). `--out` and `--data-root` are absolute by then.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import open_append, real_folder
from harness.sweep.cell import run_cell
from harness.sweep.executors import CellOutcome, cell_log_path
from harness.sweep.plan import PlannedCell
from harness.system.child_python import nash_root

INSTALL_HINT = "--executor ray needs Ray: pip install 'nas-harness[ray]' (or pip install 'ray>=2.40')"


class RayExecutor:
    def __init__(self, out: Path, jobs: int | None, address: str | None, gpus_per_run: float) -> None:
        try:
            import ray
        except ImportError:
            raise NashError(INSTALL_HINT) from None
        self.ray = ray
        self.out = Path(out).resolve()  # workers may start elsewhere
        try:
            with contextlib.chdir(nash_root()):
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(
                        num_cpus=jobs or os.cpu_count(),
                        include_dashboard=False,
                        log_to_driver=False,
                        runtime_env={"env_vars": {"PYTHONPATH": nash_root()}},
                    )
        except Exception as err:  # a wrong address, a cluster that is down, a Ray version mismatch
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise NashError(f"cannot start or reach {where}: {error_reason(err)}; check `ray status`") from None
        self.slots = jobs or _cluster_slots(ray.cluster_resources(), gpus_per_run)
        self.remote = ray.remote(num_cpus=1, num_gpus=gpus_per_run, max_retries=0)(run_cell)
        self.pending: dict[Any, tuple[str, float]] = {}  # object ref -> (cell id, submitted)

    def submit(self, cell: PlannedCell) -> None:
        ref = self.remote.remote(cell.spec.to_dict(), str(self.out), False)
        self.pending[ref] = (cell.cell_id, time.perf_counter())

    def running(self) -> list[str]:
        return [cell_id for cell_id, _ in self.pending.values()]

    def wait(self, timeout: float) -> list[CellOutcome]:
        if not self.pending:
            return []
        ready, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=timeout)
        outcomes = []
        for ref in ready:
            cell_id, submitted = self.pending.pop(ref)
            try:
                result = self.ray.get(ref)
            except Exception as err:  # the worker died (crash, OOM kill) or Ray lost the task
                first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                result = {"ok": False, "error": f"{type(err).__name__}: {first}"}
            if result.get("traceback"):
                log = cell_log_path(self.out, cell_id)
                real_folder(log.parent, "sweep log folder")
                with open_append(log, "sweep log") as handle:  # never through a planted link
                    handle.write(result["traceback"].encode())
            seconds = result.get("seconds", time.perf_counter() - submitted)
            outcomes.append(CellOutcome(cell_id, bool(result["ok"]), seconds, result.get("error")))
        return outcomes

    def close(self) -> None:
        for ref in self.pending:
            self.ray.cancel(ref, force=True)
        self.pending.clear()
        self.ray.shutdown()


def _cluster_slots(resources: dict[str, float], gpus_per_run: float) -> int:
    """Cells the cluster runs at once: one per CPU, or per `gpus_per_run` GPUs when cells use GPUs."""
    slots = int(resources.get("CPU", 1))
    if gpus_per_run > 0:
        slots = min(slots, int(resources.get("GPU", 0) // gpus_per_run))
        if slots < 1:
            raise NashError(f"--gpus-per-run {gpus_per_run}: the Ray cluster has {resources.get('GPU', 0)} GPUs")
    return max(slots, 1)
