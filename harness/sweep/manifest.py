"""The sweep manifest `<out>/sweep.json`: every cell's state, shared by every sweep on a folder.

States: pending → running (claimed: host, pid, started) → done | failed (error). Every change is
made under an exclusive `fcntl.flock` on `<out>/.sweep.lock` and written atomically, so two
sweeps on one folder never claim the same cell and a kill never leaves a truncated manifest.
A claim whose process is gone (same host, pid not alive) is stale and may be claimed again; a
failed cell is retried by a later sweep, never by the one that saw it fail.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import safe_files
from benchmarks.errors import NashError
from benchmarks.safe_files import MIB
from harness.system.store import read_json, write_json

if TYPE_CHECKING:  # sweep_plan resolves configs (torch); `nash status` reads the manifest without it
    from harness.sweep.plan import PlannedCell

MANIFEST_FILE = "sweep.json"
LOCK_FILE = ".sweep.lock"
STATES = ("pending", "running", "done", "failed")
# A cell's entry (spec, fingerprint, a few claims in its history) is ~1-2 kB; a sweep has at most
# plan.MAX_SWEEP_CELLS (5,000) cells, so 64 MiB leaves room for many retries and nothing larger is a manifest.
MANIFEST_LIMIT = 64 * MIB


def now() -> float:
    return time.time()


def pid_alive(pid: int) -> bool:
    if type(pid) is not int or pid <= 0:  # 0 and negatives would signal process groups
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def claim_holders(cell: dict[str, Any]) -> list[tuple[str, int]]:
    """(host, pid) of the sweep that claimed a running cell and, once it started, of the cell's own process."""
    holders = [(cell.get("host"), cell.get("pid"))]
    worker = cell.get("worker")
    if isinstance(worker, dict):
        holders.append((worker.get("host"), worker.get("pid")))
    return holders


def claim_is_stale(cell: dict[str, Any], host: str | None = None) -> bool:
    """A running cell whose claiming sweep and cell process are both gone; only decidable on their host.

    The cell process counts, not only the sweep: a cell outlives a killed sweep by its last step and
    checkpoint (or runs on as a Ray task), and a second process on the same run folder would mix runs.
    """
    host = host or socket.gethostname()
    holders = claim_holders(cell)
    return cell.get("state") == "running" and all(h == host and not pid_alive(p) for h, p in holders)


def claim_elsewhere(cell: dict[str, Any], host: str) -> bool:
    """A running cell held from another host (its sweep or its process): what --reclaim takes over."""
    holders = claim_holders(cell)
    local_alive = any(h == host and pid_alive(p) for h, p in holders)
    return cell.get("state") == "running" and not local_alive and any(h != host for h, _ in holders)


def damaged_manifest_advice(path: Path) -> str:
    return (
        f"the run folders beside it are intact: move it aside (mv {path} {path}.damaged) and run the same "
        "nash sweep command again; finished cells are found and not run again, interrupted ones resume"
    )


def _manifest_problem(data: dict[str, Any]) -> str | None:
    """What makes `data` not a sweep manifest, or None."""
    cells = data.get("cells")
    if not isinstance(cells, dict):
        return "no 'cells' object"
    for cell_id, cell in cells.items():
        if not isinstance(cell, dict):
            return f"cell {cell_id} is not an object"
        expected = {"state": str, "fingerprint": str, "spec": dict, "history": list}
        if cell.get("state") == "running":
            expected.update(host=str, pid=int, started=(int, float))
        for key, kind in expected.items():
            if not isinstance(cell.get(key), kind) or isinstance(cell.get(key), bool):
                return f"cell {cell_id} has no valid {key!r}"
        if (
            cell["state"] not in STATES
            or (cell["state"] == "running" and cell["pid"] <= 0)
            or not all(isinstance(h, dict) for h in cell["history"])
        ):
            return f"cell {cell_id} has state {cell['state']!r}, pid {cell.get('pid')!r}"
        for key in ("seconds", "finished", "started"):
            if key in cell and (not isinstance(cell[key], int | float) or isinstance(cell[key], bool)):
                return f"cell {cell_id} has a {type(cell[key]).__name__} {key!r}"
    return None


class Manifest:
    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.path = self.out / MANIFEST_FILE
        self.host = socket.gethostname()
        self.pid = os.getpid()

    @contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """The manifest, read and (on a clean exit of the block) written back under the lock."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)  # the user's folder: may be a link, nothing in it is followed
            lock = safe_files.open_append(self.out / LOCK_FILE, "sweep lock")
        except OSError as err:
            raise NashError(f"cannot write to sweep folder {self.out}: {err.strerror}; choose another --out") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read() if self.path.exists() else {"version": 1, "cells": {}}
            yield data
            data["updated"] = now()
            write_json(self.path, data)

    def read(self) -> dict[str, Any]:
        """A consistent snapshot without the lock (the file is only ever replaced whole)."""
        if not self.path.exists():
            raise NashError(f"no sweep manifest in {self.out} ({self.path} missing); start one with `nash sweep --out`")
        return self._read()

    def _read(self) -> dict[str, Any]:
        data = read_json(self.path, damaged_manifest_advice(self.path), MANIFEST_LIMIT)
        problem = _manifest_problem(data)
        if problem:
            raise NashError(f"{self.path} is not a sweep manifest ({problem}); {damaged_manifest_advice(self.path)}")
        return data

    def register(self, cells: list[PlannedCell]) -> None:
        """Add new cells as pending; refuse a known cell planned with other settings."""
        with self.locked() as data:
            for cell in cells:
                known = data["cells"].get(cell.cell_id)
                if known is None:
                    data["cells"][cell.cell_id] = {
                        "state": "pending",
                        "spec": cell.spec.to_dict(),
                        "fingerprint": cell.fingerprint,
                        "history": [],
                    }
                elif known["fingerprint"] != cell.fingerprint:
                    raise NashError(
                        f"{cell.cell_id} is already in {self.path} with other settings (--set, --epochs or preset); "
                        "use another --out for a different sweep"
                    )

    def claim_next(self, cell_ids: list[str], since: float, reclaim: bool = False) -> str | None:
        """Claim the first runnable cell among `cell_ids` for this process, or None.

        Runnable: pending; failed before `since` (this sweep's start: a retry, once); running with
        a stale claim (an interrupted run, resumed from its checkpoint). `reclaim` also takes
        claims from other hosts (a resubmitted batch job whose old driver ran elsewhere).
        """
        with self.locked() as data:
            for cell_id in cell_ids:
                cell = data["cells"][cell_id]
                state = cell["state"]
                retry = state == "failed" and cell.get("finished", 0.0) < since
                foreign = reclaim and claim_elsewhere(cell, self.host)
                if state == "pending" or retry or foreign or claim_is_stale(cell, self.host):
                    cell.update(state="running", host=self.host, pid=self.pid, started=now())
                    for old_news in ("error", "note", "worker"):  # of an earlier attempt
                        cell.pop(old_news, None)
                    cell["history"].append({"host": self.host, "pid": self.pid, "started": cell["started"]})
                    return cell_id
        return None

    def note_worker(self, cell_id: str) -> None:
        """Called by the cell's own process as it starts: the claim is then live while it runs."""
        with self.locked() as data:
            cell = data["cells"].get(cell_id)
            if cell is not None and cell["state"] == "running":
                cell["worker"] = {"host": self.host, "pid": self.pid}

    def finish(self, cell_id: str, *, ok: bool, seconds: float, error: str | None = None) -> None:
        with self.locked() as data:
            cell = data["cells"][cell_id]
            cell.update(state="done" if ok else "failed", finished=now(), seconds=round(seconds, 3))
            if error:
                cell["error"] = error
            cell["history"][-1].update(state=cell["state"], seconds=round(seconds, 3))

    def release(self, cell_ids: list[str]) -> None:
        """Give claims back (a sweep stopped by Ctrl-C): the next sweep resumes these cells."""
        with self.locked() as data:
            for cell_id in cell_ids:
                cell = data["cells"][cell_id]
                if cell["state"] == "running" and cell.get("pid") == self.pid and cell.get("host") == self.host:
                    cell.update(state="pending", note="interrupted; resumes from its checkpoint")
                    cell["history"][-1].update(state="interrupted")
