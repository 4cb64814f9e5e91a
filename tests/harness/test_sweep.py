"""End-to-end local sweeps of tiny cells (a few seconds each, mostly the child's imports):
failure isolation, re-runs, stale claims, and two sweeps on one folder at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import build_parser, main
from harness.cli.sweep import request_from_args
from harness.sweep.executors import cell_log_path
from harness.sweep.manifest import Manifest
from harness.sweep.plan import plan_sweep

# ~1 s of search per cell: 1 epoch, 10 images per class, 4 channels.
TINY = ["--epochs", "1", "--set", "data.train_per_class=10", "--set", "network.channels=4", "--no-progress"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NASH_DATA_ROOT", "NASH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def cells_of(manifest_dir: Path) -> dict:
    return json.loads((manifest_dir / "sweep.json").read_text())["cells"]


def run_facts(out: Path, cell_id: str) -> dict:
    return json.loads((out / cell_id / "run.json").read_text())


def test_a_failing_cell_does_not_stop_the_others_and_a_rerun_retries_only_it(tmp_path, capsys):
    out, empty = tmp_path / "runs", tmp_path / "no-data"
    empty.mkdir()
    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "s2-cifar100,nb201-cifar10", "--seeds", "0"]
    argv += ["--data-root", str(empty), "--out", str(out), *TINY]
    failing, good = "s2-cifar100__gdas__quick__seed0", "nb201-cifar10__gdas__quick__seed0"

    assert main(argv) == 1  # some cell failed
    cells = cells_of(out)
    assert cells[failing]["state"] == "failed" and "cifar100 not found" in cells[failing]["error"]
    assert "\n" not in cells[failing]["error"]
    assert cells[good]["state"] == "done" and cells[good]["seconds"] > 0
    assert run_facts(out, good)["status"] == "done"
    assert cell_log_path(out, failing).read_text().count("attempt started") == 1
    started = run_facts(out, good)["started"]
    assert f"1 cell(s) (first {failing}) lack their dataset" in capsys.readouterr().out

    assert main(argv) == 1
    printed = capsys.readouterr().out
    assert f"[start] {failing}" in printed and f"[start] {good}" not in printed
    cells = cells_of(out)
    assert len(cells[failing]["history"]) == 2 and cells[failing]["state"] == "failed"
    assert len(cells[good]["history"]) == 1 and run_facts(out, good)["started"] == started


def test_a_stale_claim_is_resumed_and_a_live_one_left_alone(tmp_path, capsys):
    out = tmp_path / "runs"
    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--seeds", "0,1", "--out", str(out), *TINY]
    planned = plan_sweep(request_from_args(build_parser().parse_args(argv)))
    stale, live = (cell.cell_id for cell in planned)
    manifest = Manifest(out)
    manifest.register(planned)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    for cell_id, pid in ((stale, gone.pid), (live, os.getppid())):
        claimer = Manifest(out)
        claimer.pid = pid
        assert claimer.claim_next([cell_id], since=0.0) == cell_id

    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "1 still running in another sweep" in printed
    cells = cells_of(out)
    assert cells[stale]["state"] == "done" and [h["pid"] for h in cells[stale]["history"]] == [gone.pid, os.getpid()]
    assert cells[live]["state"] == "running" and cells[live]["pid"] == os.getppid()
    assert not (out / live).exists()


def test_two_sweeps_on_one_folder_at_once_run_each_cell_exactly_once(tmp_path):
    out = tmp_path / "runs"
    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--seeds", "0,1", "--out", str(out), *TINY]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "harness.cli", *argv]
    sweeps = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)]
    sweeps.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = [sweep.communicate(timeout=300) for sweep in sweeps]
    assert [sweep.returncode for sweep in sweeps] == [0, 0], outputs
    started = [line.split()[1] for stdout, _ in outputs for line in stdout.splitlines() if line.startswith("[start]")]
    cells = cells_of(out)
    assert sorted(started) == sorted(cells) and len(cells) == 2  # each cell started once, by one of the sweeps
    for cell_id, cell in cells.items():
        assert cell["state"] == "done" and len(cell["history"]) == 1
        assert cell_log_path(out, cell_id).read_text().count("attempt started") == 1
        assert run_facts(out, cell_id)["status"] == "done"


def test_a_cell_killed_mid_run_is_contained_and_recorded(tmp_path):
    """SIGKILL (what the OOM killer sends) ends one child; the other cell finishes."""
    import signal
    import time

    from harness.sweep.local import LocalExecutor

    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--seeds", "0,1", *TINY]
    victim, survivor = plan_sweep(request_from_args(build_parser().parse_args(argv)))
    executor = LocalExecutor(tmp_path, jobs=2, forward_output=False)
    executor.submit(victim)
    executor.submit(survivor)
    next(child for child in executor.children.values() if child.cell_id == victim.cell_id).process.send_signal(
        signal.SIGKILL
    )
    outcomes, deadline = {}, time.time() + 120
    while executor.running() and time.time() < deadline:
        outcomes.update({outcome.cell_id: outcome for outcome in executor.wait(0.5)})
    executor.close()
    assert not outcomes[victim.cell_id].ok and outcomes[victim.cell_id].error.startswith("killed by SIGKILL")
    assert outcomes[survivor.cell_id].ok and run_facts(tmp_path, survivor.cell_id)["status"] == "done"


def test_sigterm_to_a_sweep_stops_its_cell_and_gives_the_claim_back(tmp_path):
    import signal
    import time

    out = tmp_path / "runs"
    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--out", str(out), *TINY]
    argv[argv.index("--epochs") + 1] = "200"  # long enough to be caught running
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    sweep = subprocess.Popen([sys.executable, "-m", "harness.cli", *argv], stderr=subprocess.PIPE, text=True, env=env)
    cell_id = "nb201-cifar10__gdas__quick__seed0"
    deadline = time.time() + 120
    while not (out / cell_id / "epochs.parquet").exists() and time.time() < deadline:
        time.sleep(0.2)
    sweep.send_signal(signal.SIGTERM)
    _, stderr = sweep.communicate(timeout=120)
    assert sweep.returncode == 130 and "interrupted" in stderr
    cell = cells_of(out)[cell_id]
    assert cell["state"] == "pending" and "interrupted" in cell["note"]
    assert cell["history"][-1]["state"] == "interrupted"
    assert run_facts(out, cell_id)["status"] == "interrupted"  # the run itself says so too


def test_an_interrupted_cell_resumes_from_its_checkpoint_in_the_next_sweep(tmp_path, monkeypatch):
    """A cell stopped after its second epoch (its sweep died) continues at epoch 2, not from scratch."""
    import harness.run.runner as runner
    from harness.run.runner import run_search
    from harness.sweep.plan import build_config

    out = tmp_path / "runs"
    tiny = ["--epochs", "3", *TINY[2:]]
    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--seeds", "0", "--out", str(out), *tiny]
    (cell,) = plan_sweep(request_from_args(build_parser().parse_args(argv)))
    Manifest(out).register([cell])
    save = runner.save_search_checkpoint

    def save_then_stop(run_dir, config, rows, *args):
        save(run_dir, config, rows, *args)
        if len(rows) == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(runner, "save_search_checkpoint", save_then_stop)
        with pytest.raises(KeyboardInterrupt):
            run_search(build_config(cell.spec), out, progress=False)
    assert run_facts(out, cell.cell_id)["status"] == "interrupted"

    assert main(argv) == 0
    facts = run_facts(out, cell.cell_id)
    assert facts["status"] == "done" and facts["resumed_from_epoch"] == 2 and facts["epochs_completed"] == 3
