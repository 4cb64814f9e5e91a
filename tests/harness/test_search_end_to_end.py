"""A seconds-long real search on CPU, and the result files it must leave behind."""

import dataclasses
import json

import pandas as pd
import pytest

from harness.config.run_config import resolve_config
from harness.run.runner import run_search

REQUIRED_COLUMNS = {
    "run_id",
    "benchmark",
    "searcher",
    "profile",
    "seed",
    "epoch",
    "genotype",
    "skip_count",
    "param_free_count",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "tau",
    "epoch_seconds",
    "peak_mem_mb",
    "lr_weights",
    "arch_entropy",
    "oracle_cifar10_test_200",
    "oracle_cifar10valid_valid_200",
    "oracle_cifar100_test_200",
    "oracle_imagenet16_test_200",
}


def tiny_config(searcher: str, epochs: int = 2):
    config = resolve_config("nb201-cifar10", searcher, "quick", seed=0, epochs=epochs, device="cpu")
    return dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, channels=4),
        data=dataclasses.replace(config.data, train_per_class=8),
        train=dataclasses.replace(config.train, batch_size=16),
    )


@pytest.mark.parametrize("searcher", ["darts", "darts-v2", "gdas", "pcdarts"])
def test_search_writes_one_valid_row_per_epoch(tmp_path, searcher):
    result = run_search(tiny_config(searcher), tmp_path, progress=False)
    frame = pd.read_parquet(result.run_dir / "epochs.parquet")
    assert REQUIRED_COLUMNS <= set(frame.columns)
    assert list(frame["epoch"]) == [0, 1]
    assert frame["oracle_cifar10_test_200"].between(10, 94.38).all()
    assert (frame["train_acc"].between(0, 100)).all() and (frame["val_loss"] > 0).all()
    assert frame["skip_count"].between(0, 6).all()
    facts = json.loads((result.run_dir / "run.json").read_text())
    assert facts["status"] == "done"
    assert facts["config"]["searcher"] == searcher and facts["config"]["train"]["epochs"] == 2
    assert facts["final"]["genotype"] == frame["genotype"].iloc[-1]
    if searcher == "gdas":
        assert frame["tau"].iloc[0] == 10.0 and abs(frame["tau"].iloc[-1] - 0.1) < 1e-9
    else:
        assert frame["tau"].isna().all()


def test_a_failed_run_is_marked_failed_not_done(tmp_path, monkeypatch):
    import harness.run.runner as runner

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "load_search_batches", explode)
    with pytest.raises(RuntimeError):
        run_search(tiny_config("gdas"), tmp_path, progress=False)
    run_dir = tmp_path / tiny_config("gdas").run_id
    facts = json.loads((run_dir / "run.json").read_text())
    assert facts["status"] == "failed" and "boom" in facts["error"]
    assert not (run_dir / "epochs.parquet").exists()


def test_same_seed_gives_the_same_rows(tmp_path):
    first = run_search(tiny_config("gdas"), tmp_path / "a", progress=False).rows
    second = run_search(tiny_config("gdas"), tmp_path / "b", progress=False).rows
    drop = {"epoch_seconds", "peak_mem_mb"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in first] == [
        {k: v for k, v in r.items() if k not in drop} for r in second
    ]


def test_overrides_change_the_resolved_config_and_reject_unknown_keys():
    from benchmarks.errors import NashError
    from harness.config.run_config import apply_overrides

    config = apply_overrides(
        tiny_config("gdas"), ["train.arch_lr=3e-4", "network.channels=16", "searcher.tau_max=5", "data.augment=false"]
    )
    assert config.train.arch_lr == 3e-4 and config.network.channels == 16
    assert config.searcher_options["tau_max"] == 5.0 and config.data.augment is False
    for bad in ["train.nope=1", "train.lr", "nope.lr=1", "searcher.k=3", "network.channels=abc"]:
        with pytest.raises(NashError):
            apply_overrides(config, [bad])
