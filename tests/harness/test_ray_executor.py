"""The Ray executor on a local Ray instance (2 CPUs): cells as Ray tasks, one failing, all recorded."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main
from tests.harness.test_sweep import TINY


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NASH_DATA_ROOT", "NASH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_a_ray_sweep_records_every_cell_and_isolates_the_failing_one(tmp_path, capsys):
    pytest.importorskip("ray")
    out, empty = tmp_path / "runs", tmp_path / "no-data"
    empty.mkdir()
    argv = ["sweep", "--executor", "ray", "--jobs", "2", "--searchers", "gdas"]
    argv += ["--benchmarks", "nb201-cifar10,s2-cifar100", "--seeds", "0,1", "--data-root", str(empty)]
    argv += ["--out", str(out), *TINY]
    failing = {"s2-cifar100__gdas__quick__seed0", "s2-cifar100__gdas__quick__seed1"}

    assert main(argv) == 1
    cells = json.loads((out / "sweep.json").read_text())["cells"]
    assert len(cells) == 4
    for cell_id, cell in cells.items():
        if cell_id in failing:
            assert cell["state"] == "failed" and "cifar100 not found" in cell["error"]
        else:
            assert cell["state"] == "done", cell
            facts = json.loads((out / cell_id / "run.json").read_text())
            assert facts["status"] == "done" and facts["config"]["train"]["epochs"] == 1
            assert (out / cell_id / "epochs.parquet").exists()
    assert "2 done, 2 failed" in capsys.readouterr().out


def test_ray_executor_without_ray_says_how_to_install(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    argv = ["sweep", "--executor", "ray", "--searchers", "gdas", "--benchmarks", "nb201-cifar10"]
    assert main([*argv, "--out", str(tmp_path / "runs")]) == 2
    assert "pip install 'nas-harness[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
