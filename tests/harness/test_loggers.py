"""Per-epoch trackers: a TensorBoard event file with the columns of epochs.parquet; W&B through its API."""

import importlib.machinery
import importlib.util
import math
import re
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.registry.catalog import BENCHMARKS
from harness.cli.main import main
from harness.config.run_config import apply_overrides, resolve_config
from harness.run.checkpoint import config_identity
from harness.run.loggers import TENSORBOARD_DIR, scalars
from harness.sweep.plan import config_fingerprint

REPO = Path(__file__).resolve().parents[2]
RUN_ID = "nb201-cifar10__darts__quick__seed0"
SEARCH = [
    "search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "2", "--device", "cpu",
    "--set", "data.train_per_class=8", "--set", "network.channels=4", "--no-progress",
]  # fmt: skip


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    """A two-epoch search with TensorBoard on."""
    pytest.importorskip("tensorboard")  # in the `test` extra; an optional extra for users
    out = tmp_path_factory.mktemp("logged")
    assert main([*SEARCH, "--out", str(out), "--log", "tensorboard"]) == 0
    return out / RUN_ID


def test_tensorboard_gets_every_numeric_column_of_epochs_parquet_per_epoch(logged_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = logged_run
    (event_file,) = (run_dir / TENSORBOARD_DIR).glob("events.out.tfevents.*")
    events = EventAccumulator(str(event_file), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    rows = pd.read_parquet(run_dir / "epochs.parquet").to_dict("records")
    expected = {name for row in rows for name in scalars(row)}
    assert {"train_loss", "val_acc", "skip_count", "oracle_cifar10_test_200", "epoch_seconds"} <= expected
    assert set(events.Tags()["scalars"]) == expected  # every numeric column, no other
    assert "tau" not in expected and math.isnan(rows[0]["tau"])  # DARTS has no temperature: left out, not drawn
    for name in expected:
        logged = {event.step: event.value for event in events.Scalars(name)}
        assert logged == pytest.approx({r["epoch"]: float(r[name]) for r in rows}, rel=1e-6), name
    genotypes = [event.tensor_proto.string_val[0].decode() for event in events.Tensors("genotype/text_summary")]
    assert genotypes == [row["genotype"] for row in rows]


def test_every_column_a_search_writes_is_documented(logged_run):
    text = (REPO / "docs" / "RESULTS.md").read_text().split("# Evaluation runs")[0]
    documented = {name for line in text.splitlines() if line.startswith("| `") for name in
                  re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])}  # fmt: skip
    written = set(pd.read_parquet(logged_run / "epochs.parquet").columns)
    oracle = {metric.column for bench in BENCHMARKS.values() for metric in bench.oracle_metrics}
    searcher_facts = {"tau", "arch_updates"}  # GDAS/ROME and PC-DARTS add these to the base searcher's
    instruments = {
        "hessian_eigenvalue",
        "supernet_kendall_tau",
        "analysis_seconds",
    }  # harness.instruments.search_instruments
    every = written | oracle | searcher_facts | instruments
    assert every <= documented, sorted(every - documented)


def test_weights_and_biases_gets_the_same_rows(tmp_path, monkeypatch):
    calls = []

    class Run:
        def log(self, values, step):
            calls.append(("log", step, values))

        def finish(self):
            calls.append(("finish",))

    fake = types.ModuleType("wandb")  # W&B itself is not installed here: its API as a recording double
    fake.__spec__ = importlib.machinery.ModuleSpec("wandb", None)
    fake.init = lambda **kwargs: calls.append(("init", kwargs)) or Run()
    monkeypatch.setitem(sys.modules, "wandb", fake)
    assert main([*SEARCH, "--epochs", "1", "--out", str(tmp_path), "--set", "log.wandb=true"]) == 0
    (row,) = pd.read_parquet(tmp_path / RUN_ID / "epochs.parquet").to_dict("records")
    (init, _), (log, step, values), (finish,) = calls
    assert init == "init" and log == "log" and step == 0 and finish == "finish"
    assert calls[0][1]["name"] == RUN_ID and calls[0][1]["project"] == "nash" and calls[0][1]["resume"] == "allow"
    assert values == {**scalars(row), "genotype": row["genotype"]}


def test_a_tracker_that_is_not_installed_is_one_line_before_anything_is_written(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    assert main([*SEARCH, "--out", str(tmp_path), "--log", "wandb"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the wandb package is not installed: pip install wandb" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_trackers_are_not_part_of_a_runs_identity():
    config = resolve_config("nb201-cifar10", "gdas", "quick", 0)
    logged = apply_overrides(config, ["log.tensorboard=true", "log.wandb_project=mine"])
    assert logged.log.tensorboard and logged.run_id == config.run_id
    assert config_identity(logged) == config_identity(config)  # resume from a run logged otherwise
    assert config_fingerprint(logged) == config_fingerprint(config)  # the same sweep cell
