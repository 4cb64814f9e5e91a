"""SIGTERM (and Ctrl-C) end every command within seconds, with one line and exit 130, wherever it waits.

Real processes, real signals: a read that blocks (a FIFO planted where nash reads a file), a read
blocked inside a C library that never returns to Python, and a search stopped mid-run, which must
keep its finished epochs and checkpoint. A command that refuses the planted FIFO before it blocks
passes as well, if it ends without a traceback (only `nash:` lines on stderr).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from harness.system import interrupt
from tests.fuzz.conftest import RUN_ID, SEARCH

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/wchan").exists(), reason="reads /proc to see where a process waits"
)

REPO = Path(__file__).resolve().parents[2]
STOPS_WITHIN = interrupt.GRACE_SECONDS + interrupt.HARD_STOP_SECONDS + 5.0  # slack for a loaded 2-core machine
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def start(command: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def nash_command(*argv: str) -> list[str]:
    return [sys.executable, "-P", "-m", "harness.cli", *map(str, argv)]


def waiting_on_a_fifo(process: subprocess.Popen) -> bool:
    """Linux: the main thread sleeps in a FIFO's open (no writer yet) or read."""
    try:
        return Path(f"/proc/{process.pid}/wchan").read_text() in ("wait_for_partner", "pipe_read", "pipe_wait")
    except OSError:
        return False


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def stopped(process: subprocess.Popen, signum: int = signal.SIGTERM) -> tuple[int | None, list[str], float]:
    """Send `signum` (unless the process already ended on its own); exit code, stderr lines, seconds it took."""
    sent = time.monotonic()
    if process.poll() is None:
        process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=STOPS_WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        return None, err.splitlines(), time.monotonic() - sent
    return process.returncode, [line for line in err.splitlines() if line.strip()], time.monotonic() - sent


def assert_stopped_or_refused(name: str, code: int | None, lines: list[str], seconds: float) -> None:
    assert code is not None, f"{name}: still running {seconds:.0f} s after SIGTERM; stderr: {lines}"
    assert not any("Traceback" in line for line in lines), (name, lines)
    if code == 130:
        assert lines == ["nash: interrupted"], (name, lines)
    else:  # it did not block: refused the FIFO (or, `nash status`, listed the run as unreadable)
        assert all(line.startswith("nash: ") for line in lines), (name, code, lines)


@pytest.fixture
def fifo_folder(tmp_path, done_run) -> Path:
    """FIFOs where commands read: an oracle file, and run.json or epochs.parquet of a finished run."""
    os.mkfifo(tmp_path / "oracle.parquet")
    for folder, fifo in (("runs-json", "run.json"), ("runs-parquet", "epochs.parquet")):
        run = tmp_path / folder / RUN_ID
        run.mkdir(parents=True)
        for name in ("run.json", "epochs.parquet"):
            if name == fifo:
                os.mkfifo(run / name)
            else:
                (run / name).write_bytes((done_run / name).read_bytes())
    return tmp_path


def test_commands_reading_a_fifo_stop_on_sigterm(fifo_folder):
    """All at once (they mostly wait): `nash report` on a FIFO `epochs.parquet` used to wait for a writer forever,
    deaf to SIGTERM (pyarrow retries the interrupted open in C++, so no Python handler ran)."""
    commands = {
        "report (epochs.parquet)": nash_command("report", "runs-parquet", "--out", "report1"),
        "report (run.json)": nash_command("report", "runs-json", "--out", "report2"),
        "status (run.json)": nash_command("status", "runs-json"),
        "query --oracle": nash_command("query", "--dataset", "cifar10", "--oracle", "oracle.parquet", "0"),
    }
    processes = {name: start(command, fifo_folder) for name, command in commands.items()}
    try:
        for process in processes.values():
            wait_until(lambda p=process: waiting_on_a_fifo(p) or p.poll() is not None, 60)
        outcomes = {name: stopped(process) for name, process in processes.items()}
    finally:
        for process in processes.values():
            process.kill()
    for name, outcome in outcomes.items():
        assert_stopped_or_refused(name, *outcome)


STUCK_IN_C = """
import sys
import pyarrow.parquet
from harness.system import interrupt

interrupt.GRACE_SECONDS = 1.0
interrupt.install_sigterm_handler(stop_line=sys.argv[2])
print("blocking", flush=True)
pyarrow.parquet.ParquetFile(sys.argv[1])  # opens the FIFO in C++, retrying EINTR: no Python handler ever runs
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_read_stuck_in_c_code_still_stops(tmp_path, signum):
    """The Python handler never runs while pyarrow waits in open(): the watchdog thread ends the process."""
    os.mkfifo(tmp_path / "epochs.parquet")
    line = "nash: error: interrupted"  # a sweep cell's stop line: the sweep reads it as the cell's error
    # Ctrl-C reaches a foreground process, whose SIGINT is the default; a shell's `pytest &` ignores it, and
    # nash rightly leaves an ignored SIGINT alone (harness/system/interrupt.py), so the child restores it.
    process = subprocess.Popen(
        [sys.executable, "-P", "-c", STUCK_IN_C, "epochs.parquet", line],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        assert process.stdout.readline() == "blocking\n"
        wait_until(lambda: waiting_on_a_fifo(process), 30)
        code, lines, seconds = stopped(process, signum)
    finally:
        process.kill()
    assert code == 130 and lines == [line], (code, lines, seconds)
    assert seconds < 1.0 + interrupt.HARD_STOP_SECONDS + 3.0


def test_sigterm_storm_mid_search_keeps_the_finished_epochs(tmp_path):
    """Five SIGTERMs once epoch 1 is checkpointed: one line, exit 130, epoch 1 and its checkpoint readable."""
    process = start(nash_command(*SEARCH, "--epochs", "30", "--out", "out"), tmp_path)
    run = tmp_path / "out" / RUN_ID
    try:
        wait_until(lambda: (run / "checkpoint.pt").exists() or process.poll() is not None, 120)
        for _ in range(4):
            process.send_signal(signal.SIGTERM)
            time.sleep(0.02)
        code, lines, seconds = stopped(process)
    finally:
        process.kill()
    assert code == 130 and lines == ["nash: interrupted"], (code, lines, seconds)
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    epochs = pd.read_parquet(run / "epochs.parquet")["epoch"].tolist()
    assert epochs and epochs == list(range(epochs[0], epochs[0] + len(epochs)))
    saved = torch.load(run / "checkpoint.pt", weights_only=False)
    assert saved["epoch"] == len(epochs)
    assert not list(run.glob("*.tmp")) and not list(run.glob(".*.tmp"))
