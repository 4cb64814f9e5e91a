"""`nash evaluate` on s0-imagenet: streamed training on class-folder JPEGs, exact resume, the missing-data message."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
import torch

from benchmarks.darts.complexity import count_macs
from benchmarks.darts.eval_network import build_eval_network
from benchmarks.darts.genotype import parse_genotype
from benchmarks.errors import NashError
from benchmarks.registry.catalog import BENCHMARKS, get_benchmark, get_profile
from harness.cli.main import main
from harness.evaluate.data import eval_batches, load_eval_sets
from harness.evaluate.train import evaluate_genotype
from harness.system.interrupt import RunInterrupted
from tests.benchmarks.dataset_files import write_imagenet_folders

# DARTS-V2's published cell: every op is in S0.
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
TIMING = ("epoch_seconds", "peak_mem_mb")


pytestmark = pytest.mark.usefixtures("deterministic_single_thread")


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    write_imagenet_folders(tmp_path / "data", classes=3, per_class=5, size=(120, 90))  # val: 2 per class
    # Three class folders stand in for ImageNet's 1000; a run refuses data without every class of its benchmark.
    monkeypatch.setitem(BENCHMARKS, "s0-imagenet", dataclasses.replace(BENCHMARKS["s0-imagenet"], num_classes=3))
    return tmp_path / "data"


def test_an_imagenet_folder_with_fewer_classes_than_the_benchmark_is_refused(tmp_path, capsys):
    write_imagenet_folders(tmp_path / "data", classes=3, per_class=5, size=(40, 30))
    args = ["evaluate", "--benchmark", "s0-imagenet", "--genotype", DARTS_V2, "--data-root", str(tmp_path / "data")]
    assert main([*args, "--epochs", "1", "--out", str(tmp_path / "runs"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "covers 3 of the 1000 classes the benchmark needs" in err[0], err
    assert not (tmp_path / "runs").exists()


def test_quick_evaluation_streams_imagenet_and_records_error_params_flops(data_root, tmp_path, capsys):
    args = ["evaluate", "--benchmark", "s0-imagenet", "--genotype", DARTS_V2, "--data-root", str(data_root)]
    assert main([*args, "--epochs", "1", "--out", str(tmp_path / "runs"), "--device", "cpu", "--no-progress"]) == 0
    run_dir = next((tmp_path / "runs").iterdir())
    facts = json.loads((run_dir / "run.json").read_text())
    protocol = facts["protocol"]
    assert facts["status"] == "done" and protocol["network"] == "imagenet" and protocol["resolution"] == 64
    # The quick protocol's per-class subsample: 2 train images of each of 3 classes, 1 val image of each.
    assert facts["data"] == {"source": str(data_root / "imagenet"), "train_images": 6, "test_images": 3}
    final = facts["final"]
    assert 0.0 <= final["test_error"] <= 100.0 and final["test_error"] == 100.0 - final["test_acc"]
    network = build_eval_network(parse_genotype(DARTS_V2), protocol, 3)
    assert final["params"] == sum(p.numel() for p in network.parameters())
    assert final["flops"] == count_macs(network, (3, 64, 64)) > 0  # counted at the streamed resolution
    epochs = pd.read_parquet(run_dir / "epochs.parquet")
    assert len(epochs) == 1 and epochs["lr"].iloc[0] == pytest.approx(0.5 * 32 / 1024)  # one warm-up epoch of 1
    assert '"test_error"' in capsys.readouterr().out


def test_imagenet_resume_after_a_stop_equals_an_uninterrupted_run(data_root, tmp_path):
    overrides = {"epochs": 3, "batch_size": 4, "train_per_class": None, "layers": 3, "channels": 4}

    def run(out, **kwargs):
        return evaluate_genotype(
            "s0-imagenet", DARTS_V2, "quick", 2, tmp_path / out, data_root=str(data_root), device="cpu",
            protocol_overrides=overrides, **kwargs,
        )  # fmt: skip

    full = run("a")

    def stop_after_first_epoch(epoch, _row):
        if epoch == 0:
            raise RunInterrupted("stopped by the test")

    with pytest.raises(RunInterrupted):
        run("b", on_epoch_end=stop_after_first_epoch)
    resumed = run("b", resume=True)
    strip = [{k: v for k, v in row.items() if k not in TIMING} for row in full.rows]
    assert [{k: v for k, v in row.items() if k not in TIMING} for row in resumed.rows] == strip
    for (name, a), (_, b) in zip(full.network.state_dict().items(), resumed.network.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert full.facts["data"]["train_images"] == 15 and resumed.facts["resumed_from_epoch"] == 1


def test_imagenet_sets_are_streamed_not_loaded(data_root):
    train, test = load_eval_sets("imagenet", str(data_root / "imagenet"), 3, None, resolution=40)
    assert (len(train), len(test), train.image_shape) == (9, 6, (40, 40, 3))
    assert not hasattr(train, "images")  # file lists: no pixels held in memory
    batches = eval_batches(train, "imagenet", 4, torch.device("cpu"), seed=0, train=True)
    x, y = next(batches.epoch())
    assert x.shape == (4, 3, 40, 40) and y.dtype == torch.int64 and len(batches) == 3
    with pytest.raises(NashError, match="cutout is not part of the ImageNet training recipe"):
        eval_batches(train, "imagenet", 4, torch.device("cpu"), train=True, cutout_length=16)


def test_missing_imagenet_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NASH_DATA_ROOT", raising=False)
    out = tmp_path / "runs"
    args = ["evaluate", "--benchmark", "s0-imagenet", "--genotype", DARTS_V2, "--out", str(out)]
    for extra in ([], ["--data-root", str(tmp_path)]):
        assert main([*args, *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "imagenet not found: put train/<wnid>/*.JPEG" in err, err
    assert not out.exists()
    assert get_profile(get_benchmark("s0-imagenet"), "quick").evaluation["network"] == "imagenet"
