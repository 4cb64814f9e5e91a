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

from benchmarks.errors import NashError
from harness.store import read_json, write_json

if TYPE_CHECKING:  # sweep_plan resolves configs (torch); `nash status` reads the manifest without it
    from harness.sweep_plan import PlannedCell

MANIFEST_FILE = "sweep.json"
LOCK_FILE = ".sweep.lock"
STATES = ("pending", "running", "done", "failed")


def now() -> float:
    return time.time()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def claim_is_stale(cell: dict[str, Any], host: str | None = None) -> bool:
    """A running cell whose claiming process is gone; only decidable on the claimer's host."""
    return (
        cell.get("state") == "running"
        and cell.get("host") == (host or socket.gethostname())
        and not pid_alive(int(cell.get("pid", 0)))
    )


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
            self.out.mkdir(parents=True, exist_ok=True)
            lock = open(self.out / LOCK_FILE, "a")  # noqa: SIM115 - held for the block
        except OSError as err:
            raise NashError(f"cannot write to sweep folder {self.out}: {err.strerror}; choose another --out") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = read_json(self.path) if self.path.exists() else {"version": 1, "cells": {}}
            yield data
            data["updated"] = now()
            write_json(self.path, data)

    def read(self) -> dict[str, Any]:
        """A consistent snapshot without the lock (the file is only ever replaced whole)."""
        if not self.path.exists():
            raise NashError(f"no sweep manifest in {self.out} ({self.path} missing); start one with `nash sweep --out`")
        return read_json(self.path)

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
                foreign = reclaim and state == "running" and cell.get("host") != self.host
                if state == "pending" or retry or foreign or claim_is_stale(cell, self.host):
                    cell.update(state="running", host=self.host, pid=self.pid, started=now())
                    cell.pop("error", None)
                    cell["history"].append({"host": self.host, "pid": self.pid, "started": cell["started"]})
                    return cell_id
        return None

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
