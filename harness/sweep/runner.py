"""`nash sweep`: plan the cells, register them in the manifest, then claim and run them.

The driver is one process and one thread: it claims a cell (under the manifest lock), hands it
to the executor, and records each outcome as it arrives. Cells another live sweep has claimed
are left alone; when nothing is left to claim and nothing runs here, the sweep ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from harness.sweep.executors import Executor, ExecutorOptions
from harness.sweep.manifest import Manifest, now
from harness.sweep.plan import PlannedCell
from harness.sweep.progress import SweepProgress
from harness.system.interrupt import raise_if_stop_requested

_POLL_SECONDS = 0.5


@dataclass
class SweepSummary:
    done: int  # cells of this sweep done (now or before)
    failed: int
    elsewhere: int  # cells claimed by another sweep still running
    ran: int  # cells this invocation ran

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def run_sweep(cells: list[PlannedCell], out: Path, options: ExecutorOptions, reclaim: bool = False) -> SweepSummary:
    out = Path(out)
    manifest = Manifest(out)
    manifest.register(cells)
    since = now()
    by_id = {cell.cell_id: cell for cell in cells}
    ids = list(by_id)
    _note_missing_data(cells)
    states = _states(manifest, by_id)
    progress = SweepProgress(out, len(cells), options.progress, jobs=1)
    retry = " (failed cells are retried)" if "failed" in states.values() else ""
    print(f"sweep of {len(cells)} cells into {out}: {progress.counts_line(states)}{retry}", flush=True)
    executor = make_executor(options, out)
    progress.jobs = executor.slots
    ran = 0
    try:
        while True:
            while len(executor.running()) < executor.slots:
                cell_id = manifest.claim_next(ids, since, reclaim)
                if cell_id is None:
                    break
                progress.started(cell_id, by_id[cell_id].epochs)
                try:
                    executor.submit(by_id[cell_id])
                except BaseException:  # not started (a refused log file): the claim goes back, not left running
                    manifest.release([cell_id])
                    raise
                ran += 1
            if not executor.running():
                break
            for outcome in executor.wait(_POLL_SECONDS):
                manifest.finish(outcome.cell_id, ok=outcome.ok, seconds=outcome.seconds, error=outcome.error)
                progress.finished(outcome, _states(manifest, by_id))
            progress.poll_epochs(executor.running())
            raise_if_stop_requested()  # SIGTERM (a scheduler's kill): give the claims back, stop the cells
    except BaseException:
        manifest.release(executor.running())
        executor.close()
        raise
    executor.close()
    states = _states(manifest, by_id)
    summary = SweepSummary(
        done=sum(s == "done" for s in states.values()),
        failed=sum(s == "failed" for s in states.values()),
        elsewhere=sum(s == "running" for s in states.values()),
        ran=ran,
    )
    progress.summary(summary.done, summary.failed, summary.elsewhere, time.perf_counter())
    return summary


def _note_missing_data(cells: list[PlannedCell]) -> None:
    """One note per missing dataset (a paper sweep may have dozens of cells on one)."""
    by_message: dict[str, list[str]] = {}
    for cell in cells:
        if cell.missing_data:
            by_message.setdefault(cell.missing_data, []).append(cell.cell_id)
    for message, ids in by_message.items():
        print(
            f"note: {len(ids)} cell(s) (first {ids[0]}) lack their dataset on this machine and will fail "
            f"unless their worker has it: {message}"
        )


def _states(manifest: Manifest, by_id: dict[str, PlannedCell]) -> dict[str, str]:
    return {cid: cell["state"] for cid, cell in manifest.read()["cells"].items() if cid in by_id}


def make_executor(options: ExecutorOptions, out: Path) -> Executor:
    if options.kind == "local":
        from harness.sweep.local import LocalExecutor

        return LocalExecutor(out, options.jobs or 1, forward_output=options.progress and (options.jobs or 1) == 1)
    from harness.sweep.ray_executor import RayExecutor

    return RayExecutor(out, options.jobs, options.address, options.gpus_per_run)
