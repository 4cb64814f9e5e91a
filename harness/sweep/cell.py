"""Run one sweep cell: the same search `nash search` runs, resumed when a checkpoint exists.

`python -m harness.sweep.cell SPEC_JSON OUT [--no-progress]` is how the local executor runs a
cell in its own process, so a crash or an out-of-memory kill takes down that cell only. Its last
stderr line is the cell's one-line error; exit 0 = done, 2 = a user error, 1 = any other failure.
Ray workers call `run_cell` directly (Ray already gives each task its own worker process).
"""

from __future__ import annotations

import ctypes
import json
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from harness.sweep.plan import CellSpec, build_config

ERROR_PREFIX = "nash: error: "


def run_cell(spec: dict[str, Any], out: str, progress: bool = False) -> dict[str, Any]:
    """Run the cell; never raises for a failed run: the outcome says ok/error (one line)/traceback."""
    from harness.run.runner import run_search  # torch is imported here, in the worker, not by the driver

    started = time.perf_counter()
    try:
        config = build_config(CellSpec.from_dict(spec))
        _note_worker(Path(out), config.run_id)
        run_search(config, Path(out), progress=progress, resume=True)
    except NashError as err:
        return {"ok": False, "error": str(err), "seconds": time.perf_counter() - started, "user_error": True}
    except Exception as err:
        return {
            "ok": False,
            "error": " ".join(f"{type(err).__name__}: {err}".split()),
            "seconds": time.perf_counter() - started,
            "traceback": traceback.format_exc(),
        }
    return {"ok": True, "error": None, "seconds": time.perf_counter() - started}


def _note_worker(out: Path, cell_id: str) -> None:
    """Record this process in the cell's claim, so the claim is judged stale only once this process is gone."""
    from harness.sweep.manifest import MANIFEST_FILE, Manifest

    if (out / MANIFEST_FILE).exists():  # a cell run by hand, outside a sweep, has no claim to note
        Manifest(out).note_worker(cell_id)


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the sweep that started it dies, so no orphan keeps running
    a cell the next sweep will reclaim (the runner turns SIGTERM into an `interrupted` run)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    from harness.system.interrupt import RunInterrupted, install_sigterm_handler

    _die_with_parent()
    install_sigterm_handler(stop_line=f"{ERROR_PREFIX}interrupted")  # the sweep reads the last line
    spec, out = argv[0], argv[1]
    try:
        outcome = run_cell(json.loads(spec), out, progress="--no-progress" not in argv)
    except (KeyboardInterrupt, RunInterrupted):
        print(f"{ERROR_PREFIX}interrupted", file=sys.stderr)
        return 130
    if outcome.get("traceback"):
        print(outcome["traceback"], file=sys.stderr, end="")
    if not outcome["ok"]:
        print(f"{ERROR_PREFIX}{outcome['error']}", file=sys.stderr, flush=True)
        return 2 if outcome.get("user_error") else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
