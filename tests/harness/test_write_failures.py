"""A denied write or a full disk ends a search with one line and exit 2, and damages no result file."""

import errno
import functools
import json
import os

import pandas as pd
import pytest
import torch

import harness.run.data
import harness.run.runner as runner
from harness.cli.main import main

RUN_ID = "nb201-cifar10__darts__quick__seed0"
ARGS = [
    "search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "3", "--device", "cpu",
    "--set", "data.train_per_class=8", "--set", "network.channels=4", "--no-progress",
]  # fmt: skip
_cached_load_cifar10 = functools.cache(harness.run.data.load_cifar10)


@pytest.fixture(autouse=True)
def decode_the_embedded_subset_once(monkeypatch):
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("nash: error: ")
    return lines[0]


def temporary_files(folder):
    return [path.name for path in folder.rglob("*.tmp")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions; test_denied_write_* simulates the failure")
def test_unwritable_output_folder_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "readonly"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert main([*ARGS, "--out", str(out)]) == 2
    finally:
        out.chmod(0o700)
    assert "cannot write to output folder" in one_error_line(capsys)
    assert list(out.iterdir()) == []


def test_denied_write_is_one_line_and_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    def deny(_src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", deny)  # the rename that publishes every result file
    assert main([*ARGS, "--out", str(tmp_path)]) == 2
    line = one_error_line(capsys)
    assert "cannot write" in line and "run.json: Permission denied" in line
    assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == []  # the empty run folder is gone too


def test_disk_full_mid_run_keeps_the_previous_files_and_resume_finishes(tmp_path, capsys, monkeypatch):
    run_dir = tmp_path / "runs" / RUN_ID
    save = runner.save_search_checkpoint
    disk = {"full": False, "filled": False}

    def save_then_fill_the_disk(run_dir, config, rows, *args):
        save(run_dir, config, rows, *args)
        if len(rows) == 1 and not disk["filled"]:  # once: after the first run's first checkpoint
            disk["full"] = disk["filled"] = True

    real_fsync = os.fsync

    def fsync(fd):
        if disk["full"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(runner, "save_search_checkpoint", save_then_fill_the_disk)
    monkeypatch.setattr(os, "fsync", fsync)
    assert main([*ARGS, "--out", str(tmp_path / "runs")]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"nash: error: disk full while writing {run_dir / 'epochs.parquet'}")
    # What was written before the disk filled is whole: one epoch's rows, its checkpoint, valid JSON.
    assert list(pd.read_parquet(run_dir / "epochs.parquet")["epoch"]) == [0]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    assert torch.load(run_dir / "checkpoint.pt", weights_only=False)["epoch"] == 1
    assert temporary_files(tmp_path) == []

    disk["full"] = False  # space freed
    assert main([*ARGS, "--out", str(tmp_path / "runs"), "--resume"]) == 0
    assert main([*ARGS, "--out", str(tmp_path / "fresh")]) == 0
    drop = ["epoch_seconds", "peak_mem_mb"]
    resumed = pd.read_parquet(run_dir / "epochs.parquet").drop(columns=drop)
    fresh = pd.read_parquet(tmp_path / "fresh" / RUN_ID / "epochs.parquet").drop(columns=drop)
    pd.testing.assert_frame_equal(resumed, fresh, check_exact=True)
