"""Local executor: each cell in its own `python -P -m harness.sweep.cell` child process.

A crash, an out-of-memory kill or a hung import in one cell ends that child only. The child's
output goes to `<out>/.sweep-logs/<cell>.log` (and, with one job and progress on, to this
terminal, so its progress bar shows); its last line is the cell's error when it fails. The child
imports nash from where the sweep did, never from the current folder (harness.system.child_python).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from benchmarks.safe_files import open_append, real_folder
from harness.sweep.cell import ERROR_PREFIX
from harness.sweep.executors import CellOutcome, cell_log_path
from harness.sweep.plan import PlannedCell
from harness.system.child_python import child_command, child_environment

_TAIL_BYTES = 8192
_STOP_SECONDS = 15.0  # for every cell to stop after SIGTERM, before they are killed


@dataclass
class _Child:
    cell_id: str
    process: subprocess.Popen
    log: IO[bytes]
    started: float = field(default_factory=time.perf_counter)
    tail: bytes = b""


def threads_per_cell(jobs: int) -> int:
    """CPU threads for each of `jobs` cells at once: the cores shared out, not each cell taking them all.

    Oversubscribed cores slow small-op searchers by up to 10x (2 cells x 2 threads on 2 cores); an
    OMP_NUM_THREADS the user set is kept.
    """
    return max(1, (os.cpu_count() or 1) // max(jobs, 1))


class LocalExecutor:
    def __init__(self, out: Path, jobs: int, forward_output: bool) -> None:
        self.out = Path(out)
        self.slots = jobs
        self.forward_output = forward_output
        self.children: dict[int, _Child] = {}  # by the fd of the child's output pipe
        self.selector = selectors.DefaultSelector()
        self.env = child_environment()
        self.env.setdefault("OMP_NUM_THREADS", str(threads_per_cell(jobs)))

    def submit(self, cell: PlannedCell) -> None:
        log_path = cell_log_path(self.out, cell.cell_id)
        real_folder(log_path.parent, "sweep log folder")
        log = open_append(log_path, "sweep log")  # never through a planted link; closed when the child ends
        log.write(f"--- attempt started {time.strftime('%Y-%m-%dT%H:%M:%S%z')} ---\n".encode())
        log.flush()
        command = child_command("harness.sweep.cell", json.dumps(cell.spec.to_dict()), str(self.out))
        if not self.forward_output:
            command.append("--no-progress")
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env)
        os.set_blocking(process.stdout.fileno(), False)
        self.children[process.stdout.fileno()] = _Child(cell.cell_id, process, log)
        self.selector.register(process.stdout, selectors.EVENT_READ)

    def running(self) -> list[str]:
        return [child.cell_id for child in self.children.values()]

    def wait(self, timeout: float) -> list[CellOutcome]:
        if not self.children:
            return []
        for key, _ in self.selector.select(timeout):
            self._read(self.children[key.fd])
        outcomes = []
        for fd, child in list(self.children.items()):
            if child.process.poll() is None:
                continue
            self._read(child)  # what the child wrote just before it exited
            self.selector.unregister(child.process.stdout)
            child.process.stdout.close()
            child.log.close()
            del self.children[fd]
            outcomes.append(self._outcome(child))
        return outcomes

    def _read(self, child: _Child) -> None:
        while True:
            try:
                data = os.read(child.process.stdout.fileno(), 65536)
            except BlockingIOError:
                return
            if not data:
                return
            child.log.write(data)
            child.log.flush()
            child.tail = (child.tail + data)[-_TAIL_BYTES:]
            if self.forward_output:
                sys.stderr.buffer.write(data)
                sys.stderr.flush()

    def _outcome(self, child: _Child) -> CellOutcome:
        seconds = time.perf_counter() - child.started
        code = child.process.returncode
        if code == 0:
            return CellOutcome(child.cell_id, True, seconds)
        lines = [line.strip() for line in re.split(rb"[\r\n]", child.tail) if line.strip()]
        last = lines[-1].decode(errors="replace") if lines else ""
        error = last.removeprefix(ERROR_PREFIX)
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            error = f"killed by {name}{hint}" + (f"; last output: {last}" if last else "")
        return CellOutcome(child.cell_id, False, seconds, error or f"exited with status {code}")

    def close(self) -> None:
        """Stop what still runs (a sweep interrupted by Ctrl-C): SIGTERM, then wait for the checkpoints.

        A cell honours SIGTERM within seconds (harness.system.interrupt); the wait is bounded in all, not per cell."""
        for child in self.children.values():
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_SECONDS
        for child in self.children.values():
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            child.log.close()
        self.children.clear()
        self.selector.close()
