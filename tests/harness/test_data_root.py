"""--data-root / NASH_DATA_ROOT resolution, missing-dataset messages, and tiny searches on CIFAR-100 and ImageNet16."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks.errors import NashError
from harness.config.run_config import resolve_config
from harness.run.data import load_search_batches, load_search_sets
from harness.run.runner import run_search
from tests.benchmarks.dataset_files import write_cifar100, write_imagenet16, write_svhn


def nash(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, env=env)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NASH_DATA_ROOT", "NASH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_missing_dataset_names_files_place_and_url(tmp_path, monkeypatch):
    with pytest.raises(NashError, match=r"cifar100 not found: put the pickles train, test and meta .*--data-root"):
        resolve_config("nb201-cifar100", "darts", "quick")
    monkeypatch.setenv("NASH_DATA_ROOT", str(tmp_path))
    with pytest.raises(NashError, match=f"{tmp_path}/ImageNet16/.*image-net.org"):
        resolve_config("nb201-imagenet16", "gdas", "paper")
    config = resolve_config("nb201-cifar10", "darts", "quick")  # CIFAR-10 quick falls back to the embedded subset
    assert config.data.source == "embedded"


def test_cifar100_protocol_weights_on_train_arch_on_xvalid(tmp_path):
    write_cifar100(tmp_path, per_class_train=3, per_class_test=6)
    config = resolve_config("nb201-cifar100", "darts", "quick", data_root=str(tmp_path))
    assert config.data.source == str(tmp_path / "cifar-100-python")
    config = dataclasses.replace(config, data=dataclasses.replace(config.data, train_per_class=2, arch_per_class=2))
    weight, arch = load_search_sets(config)
    assert (weight.class_counts() == 2).all() and (arch.class_counts() == 2).all()
    train_rows = {r.tobytes() for r in write_cifar100_rows(tmp_path, "train")}
    test_rows = {r.tobytes() for r in write_cifar100_rows(tmp_path, "test")}
    assert all(img.tobytes() in train_rows for img in weight.images)  # weights: train set only
    assert all(img.tobytes() in test_rows for img in arch.images)  # arch: test set (its x-valid half)


def write_cifar100_rows(root, name):
    from benchmarks.datasets.cifar100 import read_cifar100

    train, test = read_cifar100(root)
    return (train if name == "train" else test).images


@pytest.mark.parametrize("bench_name", ["nb201-cifar100", "nb201-imagenet16"])
def test_tiny_search_runs_on_each_dataset(tmp_path, bench_name):
    if bench_name == "nb201-cifar100":
        write_cifar100(tmp_path, per_class_train=2, per_class_test=4)
    else:
        write_imagenet16(tmp_path, per_file=250, every_class=True)
    config = resolve_config(bench_name, "gdas", "quick", epochs=1, data_root=str(tmp_path), device="cpu")
    config = dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, channels=4),
        data=dataclasses.replace(config.data, train_per_class=2, arch_per_class=1),
        train=dataclasses.replace(config.train, batch_size=32),
    )
    batches = load_search_batches(config, "cpu")
    (tx, _), _ = next(batches.epoch())
    side = 16 if bench_name == "nb201-imagenet16" else 32
    assert tx.shape[1:] == (3, side, side) and batches.padding == side // 8
    result = run_search(config, tmp_path / "runs", progress=False)
    row = result.rows[-1]
    headline = "oracle_imagenet16_test_200" if bench_name == "nb201-imagenet16" else "oracle_cifar100_test_200"
    assert result.summary["headline"]["column"] == headline and 0 < row[headline] < 74
    assert np.isfinite(row["train_loss"])


def test_cli_missing_and_corrupt_dataset_is_one_line(tmp_path):
    base = ["search", "--benchmark", "nb201-cifar100", "--searcher", "darts", "--out", str(tmp_path / "runs")]
    assert_one_line_error(nash(*base), "cifar100 not found", "cifar-100-python")
    write_cifar100(tmp_path)
    (tmp_path / "cifar-100-python" / "test").write_bytes(b"\x80\x02}q\x00(X")  # truncated pickle
    result = nash(*base, "--data-root", str(tmp_path), "--no-progress", "--epochs", "1")
    assert_one_line_error(result, "cifar-100-python/test is not a readable CIFAR-100 pickle")


@pytest.mark.parametrize("bench_name", ["s2-cifar100", "s2-svhn"])
def test_darts_family_search_splits_the_train_set_in_class_balanced_halves(tmp_path, bench_name):
    """RobustDARTS protocol: weights and α on disjoint halves of the train set; the test set is not touched."""
    if bench_name == "s2-cifar100":
        planar, _ = write_cifar100(tmp_path, per_class_train=4, per_class_test=2)["train"]
        train_images, classes = planar.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), 100
    else:
        x, _ = write_svhn(tmp_path, train=40, test=20)["train"]
        train_images, classes = x.transpose(3, 0, 1, 2), 10
    config = resolve_config(bench_name, "darts", "quick", data_root=str(tmp_path), device="cpu")
    config = dataclasses.replace(config, data=dataclasses.replace(config.data, train_per_class=None))
    weight_set, arch_set = load_search_sets(config)
    half = len(train_images) // 2
    for part in (weight_set, arch_set):
        assert np.bincount(np.asarray(part.labels), minlength=classes).tolist() == [half // classes] * classes
    # Together the halves are exactly the train file's images, none twice.
    searched = [np.asarray(img).tobytes() for part in (weight_set, arch_set) for img in np.asarray(part.images)]
    assert len(searched) == len(set(searched)) == len(train_images)
    assert set(searched) == {np.ascontiguousarray(img).tobytes() for img in train_images}
