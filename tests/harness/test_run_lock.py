"""One process per run folder: a second writer is refused; a run whose process died reads as interrupted."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.errors import NashError
from harness.cli.main import main
from harness.system.run_lock import LOCK_FILE, run_lock, run_status, writer_alive
from reports.runs import load_run_facts
from tests.reports.handmade import NB201_GOOD
from tests.reports.store_folder import write_search

REPO = Path(__file__).resolve().parents[2]
RUN_ID = "nb201-cifar10__darts__quick__seed0"
SEARCH = ["search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "1", "--no-progress"]

# A process that takes a run's lock, marks the run running (as the runner does) and waits to be killed.
HOLDER = """
import json, pathlib, sys, time
from harness.system.run_lock import run_lock
run_dir = pathlib.Path(sys.argv[1])
with run_lock(run_dir):
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_dir.name, "status": "running"}))
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path):
    """A live process writing tmp_path/runs/<RUN_ID>; yields (process, run_dir)."""
    run_dir = tmp_path / "runs" / RUN_ID
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    assert process.stdout.readline().strip() == "held"
    yield process, run_dir
    process.kill()
    process.wait()


def test_a_second_search_on_a_run_being_written_is_refused_with_one_line(holder, capsys):
    process, run_dir = holder
    for extra in ([], ["--resume"], ["--overwrite"]):
        assert main([*SEARCH, "--out", str(run_dir.parent), *extra]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "being written by another nash process" in lines[0], lines
        assert f"pid {process.pid}" in lines[0]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"  # untouched


def test_a_run_whose_process_died_is_interrupted_in_status_and_reports(holder, capsys):
    process, run_dir = holder
    assert writer_alive(run_dir) is True and run_status(run_dir, "running") == "running"
    assert main(["status", str(run_dir.parent)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == [RUN_ID, "search", "running"]
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (run_dir / LOCK_FILE).exists()  # a kill leaves the file; no one holds it
    assert writer_alive(run_dir) is False and run_status(run_dir, "running") == "interrupted"
    assert main(["status", str(run_dir.parent)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:3] == [RUN_ID, "search", "interrupted"] and "--resume" in out[1]
    assert out[-1] == "1 runs: 1 interrupted"
    with run_lock(run_dir):  # stale: the next process takes it at once
        assert writer_alive(run_dir) is True


def test_reports_load_a_dead_running_run_as_interrupted(tmp_path):
    runs = tmp_path / "runs"
    dead = write_search(runs, "nb201-cifar10", "darts", 0, [NB201_GOOD], status="running")
    (dead / LOCK_FILE).write_text("{}")  # left by a killed process
    write_search(runs, "nb201-cifar10", "darts", 1, [NB201_GOOD], status="running")  # never locked (older nash)
    live = write_search(runs, "nb201-cifar10", "darts", 2, [NB201_GOOD], status="running")
    with run_lock(live):
        facts = load_run_facts(runs).set_index("seed")
    assert facts["run.status"].to_dict() == {0: "interrupted", 1: "interrupted", 2: "running"}


def test_a_finished_or_refused_run_leaves_no_lock_and_no_empty_folder(tmp_path):
    run_dir = tmp_path / "out" / "a-run"
    with pytest.raises(NashError, match="bad"), run_lock(run_dir):
        raise NashError("bad config")
    assert not run_dir.exists()  # created for the lock, nothing written: removed
    with run_lock(run_dir):
        (run_dir / "run.json").write_text("{}")
    assert sorted(p.name for p in run_dir.iterdir()) == ["run.json"]
