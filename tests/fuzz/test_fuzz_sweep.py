"""Sweeps under careless arguments, kills and concurrent processes (no search runs here)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import harness.system.interrupt as interrupt
from harness.cli.sweep import format_status
from harness.sweep.manifest import Manifest
from harness.sweep.plan import MAX_SEEDS, SweepRequest, parse_seeds, plan_sweep

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cells():
    return plan_sweep(SweepRequest(["gdas"], ["nb201-cifar10"], [0, 1], epochs=1))


@pytest.mark.parametrize(
    ("seeds", "fragment"),
    [("", "'' is not a seed"), (" , ", "is not a seed"), ("0,,1", "is not a seed"),
     ("0-100000", f"at most {MAX_SEEDS}"), ("0-99999999999999999999", "above 2**32-1"),
     ("4294967296", "above 2**32-1"), ("3-1", "is empty")],
)  # fmt: skip
def test_bad_seeds_are_one_line_and_write_nothing(nash, tmp_path, seeds, fragment):
    out = tmp_path / "sweep"
    argv = ["sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--seeds", seeds, "--out", out]
    nash(*argv).one_error_line("--seeds", fragment)
    assert not out.exists()


def test_seeds_parse_in_one_pass_with_repeats_dropped():
    assert parse_seeds("5,0-2,1,5") == [5, 0, 1, 2]
    assert parse_seeds(",".join(["7"] * 200_000)) == [7]  # quadratic before: each seed checked against the list
    assert len(parse_seeds(f"0-{MAX_SEEDS - 1}")) == MAX_SEEDS


@pytest.fixture
def quick_escalation(monkeypatch):
    """Our SIGTERM handler in this process, escalating after 0.2 s; the previous handler back afterwards."""
    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(interrupt, "GRACE_SECONDS", 0.2)
    interrupt.install_sigterm_handler()
    yield
    interrupt._cancel_escalation()
    interrupt._stop_requested = False
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_stops_within_seconds_where_no_loop_checks(quick_escalation):
    """A long data load, a lock wait, a report: the first SIGTERM's timer sends the second one itself."""
    os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(interrupt.RunInterrupted, match="second SIGTERM"):
        time.sleep(10)  # stands for any code that never reaches a check


def test_a_stop_acted_on_in_time_is_not_escalated(quick_escalation):
    os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(interrupt.RunInterrupted, match=r"terminated \(SIGTERM\)"):
        interrupt.raise_if_stop_requested()
    time.sleep(0.5)  # the timer was disarmed: no second SIGTERM arrives


def test_sigterm_while_a_sweep_is_planned_stops_the_planning(quick_escalation):
    os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(interrupt.RunInterrupted, match=r"\(SIGTERM\)"):
        plan_sweep(SweepRequest(["darts", "gdas"], ["nb201-cifar10"], list(range(50)), epochs=1))


def _handler_installed(pid: int) -> bool:
    """Linux: whether the process catches SIGTERM yet (bit 15 of SigCgt in /proc/PID/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc to see the handler installed")
def test_sigterm_to_a_command_that_never_checks_ends_it_within_seconds(tmp_path):
    """`nash profile` waits on its measuring child and checks no flag: SIGTERM used to be ignored till the end."""
    argv = ["profile", "--searchers", "darts", "--profile", "quick", "--warmup", "0", "--steps", "100000000"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "harness.cli", *argv], stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 120
        while not _handler_installed(process.pid) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # into the profiling
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert process.returncode == 130 and lines[-1] == "nash: interrupted" and "Traceback" not in stderr, stderr


def test_status_after_a_resumed_cell_finishes_shows_it_done(tmp_path, cells):
    manifest = Manifest(tmp_path)
    manifest.register(cells)
    ids = [cell.cell_id for cell in cells]
    manifest.release([manifest.claim_next(ids, time.time())])  # a sweep stopped by SIGTERM gave it back
    assert "interrupted" in format_status(manifest.read())
    assert manifest.claim_next(ids, time.time()) == ids[0]  # the next sweep resumes it ...
    manifest.finish(ids[0], ok=True, seconds=3.0)  # ... to the end
    (row,) = [line for line in format_status(manifest.read()).splitlines() if line.startswith(ids[0])]
    assert " done " in row and "interrupted" not in row


def test_a_stale_claim_is_judged_by_the_cell_process_too(tmp_path, cells):
    """The sweep that claimed the cell is dead, but the cell's own process still runs: not stale, not reclaimed."""
    ids = [cell.cell_id for cell in cells]
    manifest = Manifest(tmp_path)
    manifest.register(cells)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    driver = Manifest(tmp_path)
    driver.pid = dead.pid
    assert driver.claim_next(ids[:1], time.time()) == ids[0]
    cell_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        worker = Manifest(tmp_path)
        worker.pid = cell_process.pid
        worker.note_worker(ids[0])
        assert manifest.claim_next(ids[:1], time.time()) is None  # its process runs on
        assert "claim stale" not in format_status(manifest.read())
    finally:
        cell_process.kill()
        cell_process.wait()
    assert "claim stale" in format_status(manifest.read())
    assert manifest.claim_next(ids[:1], time.time()) == ids[0]  # both gone: resumed by the next sweep
    assert "worker" not in manifest.read()["cells"][ids[0]]  # the claim is this sweep's now
