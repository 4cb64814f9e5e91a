"""--deterministic: torch's deterministic algorithms during the run, same rows for the same seed, recorded."""

import dataclasses
import functools
import json
import os

import pandas as pd
import pytest
import torch

import harness.run.data
import harness.run.runner as runner
from harness.cli.main import main
from harness.config.run_config import resolve_config
from harness.run.runner import run_search
from harness.system.environment import CUBLAS_WORKSPACE_ENV, determinism

_cached_load_cifar10 = functools.cache(harness.run.data.load_cifar10)


@pytest.fixture(autouse=True)
def decode_the_embedded_subset_once(monkeypatch):
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)


@pytest.fixture
def modes_seen(monkeypatch):
    """Whether deterministic algorithms were on when each epoch's row was made."""
    seen: list[bool] = []
    make_row = runner._epoch_row

    def recording(*args, **kwargs):
        seen.append(torch.are_deterministic_algorithms_enabled())
        return make_row(*args, **kwargs)

    monkeypatch.setattr(runner, "_epoch_row", recording)
    return seen


def tiny_config(deterministic: bool):
    config = resolve_config("nb201-cifar10", "gdas", "quick", seed=3, epochs=2, device="cpu")
    return dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, channels=4),
        data=dataclasses.replace(config.data, train_per_class=8),
        train=dataclasses.replace(config.train, batch_size=16),
        deterministic=deterministic,
    )


def test_deterministic_runs_of_one_seed_give_identical_rows(tmp_path, modes_seen):
    assert not torch.are_deterministic_algorithms_enabled()
    first = run_search(tiny_config(True), tmp_path / "a", progress=False)
    second = run_search(tiny_config(True), tmp_path / "b", progress=False)
    assert modes_seen == [True] * 4
    assert not torch.are_deterministic_algorithms_enabled()  # the mode ends with the run
    frames = [pd.DataFrame(r.rows).drop(columns=["epoch_seconds", "peak_mem_mb"]) for r in (first, second)]
    pd.testing.assert_frame_equal(*frames, check_exact=True)
    for result in (first, second):
        facts = json.loads((result.run_dir / "run.json").read_text())
        assert facts["deterministic"] is True and facts["config"]["deterministic"] is True


def test_a_run_without_it_records_that_it_was_not_deterministic(tmp_path, modes_seen):
    result = run_search(tiny_config(False), tmp_path, progress=False)
    assert modes_seen == [False, False]
    facts = json.loads((result.run_dir / "run.json").read_text())
    assert facts["deterministic"] is False and facts["config"]["deterministic"] is False


def test_cli_flag_sets_the_mode(tmp_path, capsys, modes_seen):
    args = [
        "search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "1", "--device", "cpu",
        "--set", "data.train_per_class=8", "--set", "network.channels=4", "--no-progress", "--out", str(tmp_path),
    ]  # fmt: skip
    assert main([*args, "--deterministic"]) == 0
    facts = json.loads((tmp_path / "nb201-cifar10__darts__quick__seed0" / "run.json").read_text())
    assert facts["deterministic"] is True and modes_seen == [True]


def test_cuda_settings_and_restore(monkeypatch):
    """The CUDA half of the mode is flags and an environment variable, so it is checked without a GPU."""
    monkeypatch.setenv(CUBLAS_WORKSPACE_ENV, "unset-by-test")
    monkeypatch.delenv(CUBLAS_WORKSPACE_ENV)
    cudnn = torch.backends.cudnn
    monkeypatch.setattr(cudnn, "benchmark", True)
    with determinism(True, torch.device("cuda")):
        assert os.environ[CUBLAS_WORKSPACE_ENV] == ":4096:8"
        assert torch.are_deterministic_algorithms_enabled()
        assert cudnn.deterministic and not cudnn.benchmark
    assert not torch.are_deterministic_algorithms_enabled() and cudnn.benchmark and not cudnn.deterministic
    assert os.environ[CUBLAS_WORKSPACE_ENV] == ":4096:8"  # read once when cuBLAS starts, so it stays
    monkeypatch.delenv(CUBLAS_WORKSPACE_ENV)
    with determinism(True, torch.device("cpu")):
        assert CUBLAS_WORKSPACE_ENV not in os.environ  # a CPU run leaves the environment alone
