"""Nonsense values: refused before anything is written; a run that diverges ends `failed`, never `done`."""

from __future__ import annotations

import json

import pytest

from benchmarks.batches.images import require_classes
from benchmarks.errors import NashError
from tests.fuzz.conftest import RUN_ID, SEARCH, assert_no_result_left, status_of, write_cifar10_batches

NONSENSE = [
    ("train.lr=nan", "train.lr"), ("train.arch_lr=inf", "train.arch_lr"), ("train.momentum=nan", "train.momentum"),
    ("train.weight_decay=inf", "train.weight_decay"), ("train.grad_clip=-1", "train.grad_clip"),
    ("network.cells_per_stage=0", "network.cells_per_stage"), ("network.channels=0", "network.channels"),
    ("train.lr=-inf", "train.lr"), ("train.batch_size=0", "train.batch_size"), ("train.arch_beta1=1", "arch_beta1"),
    ("data.train_per_class=0", "data.train_per_class"), ("data.split_seed=4294967296", "data.split_seed"),
    ("searcher.tau_max=nan", "searcher.tau_max"),
]  # fmt: skip


@pytest.mark.parametrize(("assignment", "field"), NONSENSE)
def test_a_nonsense_value_is_refused_with_its_range_before_anything_is_written(nash, tmp_path, assignment, field):
    out = tmp_path / "runs"
    searcher = ["--searcher", "gdas"] if assignment.startswith("searcher.") else []
    line = nash(*SEARCH, *searcher, "--set", assignment, "--out", out).one_error_line(field, "must be")
    assert "got" in line and not out.exists()


def test_nonsense_in_a_config_file_and_in_a_sweep_is_refused_alike(nash, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[train]\nlr = nan\n")  # TOML has nan and inf literals
    nash(*SEARCH, "--config", config, "--out", tmp_path / "a").one_error_line("train.lr must be a finite number")
    nash(*SEARCH, "--set", "train.nesterov=true", "--set", "train.momentum=0", "--out", tmp_path / "a").one_error_line(
        "nesterov"
    )
    sweep = ["sweep", "--searchers", "darts,gdas", "--benchmarks", "nb201-cifar10", "--out", tmp_path / "s"]
    nash(*sweep, "--set", "train.weight_decay=-1").one_error_line("train.weight_decay must be >= 0")
    nash(*sweep, "--config", config).one_error_line("train.lr")
    nash(*sweep, "--gpus-per-run", "nan").one_error_line("--gpus-per-run must be a finite number")
    assert not (tmp_path / "a").exists() and not (tmp_path / "s").exists()


@pytest.mark.parametrize("argv", [["--seed", "4294967296"], ["--device", "tpu"]])
def test_a_seed_beyond_numpy_or_an_unknown_device_is_refused(nash, tmp_path, argv):
    nash(*SEARCH, *argv, "--out", tmp_path / "runs").one_error_line(argv[0].strip("-"))
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("searcher", ["darts", "gdas"])
def test_a_run_whose_loss_or_alpha_becomes_non_finite_fails_naming_epoch_and_step(nash, tmp_path, searcher):
    out = tmp_path / "runs"
    argv = [*SEARCH, "--searcher", searcher, "--epochs", "3", "--out", out]
    line = nash(*argv, "--set", "train.lr=1e30", "--set", "train.arch_lr=1e30").one_error_line("diverged at epoch")
    assert ", step " in line and "NaN or infinite" in line
    run_dir = out / RUN_ID.replace("darts", searcher)
    facts = json.loads((run_dir / "run.json").read_text())
    assert facts["status"] == "failed" and facts["error"] in line
    assert_no_result_left(out)
    # The rows kept are the finite epochs before it: none has an all-`none` cell.
    if (run_dir / "epochs.parquet").exists():
        import pandas as pd

        rows = pd.read_parquet(run_dir / "epochs.parquet")
        assert rows[["train_loss", "val_loss"]].notna().all().all()


def test_a_dataset_whose_labels_miss_classes_is_refused(nash, tmp_path):
    folder = write_cifar10_batches(tmp_path / "data", classes=5)
    out = tmp_path / "runs"
    line = nash(*SEARCH, "--data", folder, "--out", out).one_error_line("covers 5 of the 10 classes")
    assert "none of class 5, 6, 7, 8, 9" in line
    assert status_of(out / RUN_ID) in (None, "failed")
    assert_no_result_left(out)
    # Complete labels from the same writer are accepted: the refusal is about the classes only.
    complete = write_cifar10_batches(tmp_path / "complete")
    assert nash(*SEARCH, "--data", complete, "--epochs", "1", "--out", out, "--overwrite").code == 0


def test_labels_outside_the_benchmark_and_missing_classes_are_named():
    import numpy as np

    require_classes(np.arange(10).repeat(2), 10, "x")
    with pytest.raises(NashError, match="has label 10, but the benchmark predicts 10 classes"):
        require_classes(np.arange(11), 10, "x")
    with pytest.raises(NashError, match=r"covers 3 of the 100 classes .*none of class 3, 4, 5, 6, 7, \.\.\."):
        require_classes(np.arange(3), 100, "x")
