"""Epoch-level control through the runner: DARTS-ES stops, DARTS-ADA rolls back, on injected eigenvalue series.

The eigenvalue is replaced by a function of the searcher's own state (its weight decay and how many
measurements its rule holds), so a series is the same in an uninterrupted and in a resumed run.
"""

import dataclasses
import json
import math

import pandas as pd
import pytest
import torch

import harness.instruments.search_instruments
import harness.run.data
from harness.instruments.hessian import DominantEigen
from harness.run.runner import run_search
from tests.harness.test_search_resume import _cached_load_cifar10, interrupted_run, tiny_config

RULE = {"unrolled": False, "eigenvalue_every": 1, "window": 1, "delta": 1}
VARYING = {"epoch_seconds", "peak_mem_mb", "analysis_seconds"}


@pytest.fixture(autouse=True)
def cached_data_one_thread(monkeypatch):
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def assert_same_rows(got, expected) -> None:
    frames = [pd.DataFrame(rows).drop(columns=[*VARYING]) for rows in (got, expected)]
    pd.testing.assert_frame_equal(*frames, check_exact=True)


def inject(monkeypatch, series):
    """`series(weight_decay, index)` is the eigenvalue the rule sees as its measurement number `index`."""

    def eigenvalue(self, largest=False):
        searcher = self.searcher
        value = series(searcher.weight_optimizer.param_groups[0]["weight_decay"], len(searcher.track.values))
        return DominantEigen(value, 1, True, value if largest else math.nan)

    monkeypatch.setattr(harness.instruments.search_instruments.SearchInstruments, "eigenvalue", eigenvalue)


def config_of(searcher: str, epochs: int, **options):
    config = tiny_config(searcher, epochs=epochs)
    return dataclasses.replace(config, searcher_options={**config.searcher_options, **RULE, **options})


def test_darts_es_stops_at_the_rule_and_returns_that_epochs_cell(tmp_path, monkeypatch):
    config = config_of("darts-es", 5, start_epoch=1)
    inject(monkeypatch, lambda _wd, index: 1.0)
    flat = run_search(config, tmp_path / "flat", progress=False)
    assert len(flat.rows) == 5 and flat.summary["searcher_facts"] == {"early_stop": None}

    # Measurement 3 (after epoch 3) doubles: 2 / 1 > 1.3, and the rule names epoch 2 (>= start_epoch 1).
    inject(monkeypatch, lambda _wd, index: 2.0 if index == 3 else 1.0)
    stopped = run_search(config, tmp_path / "stopped", progress=False)
    assert stopped.summary["searcher_facts"] == {"early_stop": {"trigger_epoch": 3, "stop_epoch": 2, "ratio": 2.0}}
    assert [row["epoch"] for row in stopped.rows] == [0, 1, 2]
    assert_same_rows(stopped.rows, flat.rows[:3])  # the search itself is the flat run's, up to the stop
    assert stopped.summary["final"]["genotype"] == flat.rows[2]["genotype"]
    stored = pd.read_parquet(stopped.run_dir / "epochs.parquet")
    assert list(stored["epoch"]) == [0, 1, 2] and stopped.summary["epochs_completed"] == 3


def ada_series(wd0: float):
    """Roll back after epoch 1 (2 / 1) to epoch 0; after epoch 2 (3 / 1) to epoch 1; then at the maximum, ignored."""
    spikes = {(wd0, 1): 2.0, (10 * wd0, 2): 3.0, (100 * wd0, 2): 3.0}
    return lambda wd, index: next((v for (w, i), v in spikes.items() if math.isclose(w, wd) and i == index), 1.0)


@pytest.fixture
def ada_config():
    config = config_of("darts-ada", 5, start_epoch=0)
    wd0 = config.train.weight_decay
    return dataclasses.replace(config, searcher_options={**config.searcher_options, "max_weight_decay": 100 * wd0})


def test_darts_ada_rolls_back_and_raises_the_weight_decay_to_its_maximum(tmp_path, monkeypatch, ada_config):
    wd0 = ada_config.train.weight_decay
    inject(monkeypatch, ada_series(wd0))
    result = run_search(ada_config, tmp_path, progress=False)
    assert [row["epoch"] for row in result.rows] == [0, 1, 2, 3, 4]
    # Epoch 0 ran once; epoch 1 ran at wd0 (dropped) then at 10 wd0; epoch 2 at 10 wd0 (dropped) then at the max.
    expected = [wd0, 10 * wd0, 100 * wd0, 100 * wd0, 100 * wd0]
    assert [row["weight_decay"] for row in result.rows] == pytest.approx(expected)
    facts = result.summary["searcher_facts"]
    assert facts["rollbacks"] == [
        {"trigger_epoch": 1, "stop_epoch": 0, "ratio": 2.0, "weight_decay": pytest.approx(10 * wd0)},
        {"trigger_epoch": 2, "stop_epoch": 1, "ratio": 3.0, "weight_decay": pytest.approx(100 * wd0)},
    ]
    assert facts["early_stop"] == {"trigger_epoch": 1, "stop_epoch": 0, "ratio": 2.0}  # DARTS-ES's cell: epoch 0
    assert not (result.run_dir / "epoch_states").exists()  # kept states go with the checkpoints


def test_darts_ada_resumed_after_a_rollback_equals_an_uninterrupted_run(tmp_path, monkeypatch, ada_config):
    inject(monkeypatch, ada_series(ada_config.train.weight_decay))
    full = run_search(ada_config, tmp_path / "full", progress=False)
    # Stopped after the first roll-back and the epoch that follows it (rows 0 and 1'); the state of epoch 1'
    # that the second roll-back needs was kept on disk by the interrupted attempt.
    run_dir = interrupted_run(monkeypatch, tmp_path / "stopped", ada_config, epochs=2)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert (run_dir / "epoch_states" / "epoch_0001.pt").exists()
    resumed = run_search(ada_config, tmp_path / "stopped", progress=False, resume=True)
    assert resumed.summary["resumed_from_epoch"] == 2
    assert_same_rows(resumed.rows, full.rows)
    assert resumed.summary["searcher_facts"] == full.summary["searcher_facts"]


def test_the_eigenvalue_a_searcher_asks_for_is_measured_for_real_and_leaves_the_search_alone(tmp_path):
    es = run_search(config_of("darts-es", 2, start_epoch=0), tmp_path, progress=False)
    # First order on quark0's loop, as this darts-es (plain darts runs NB201's reference loop by default).
    quark0 = {"weights_first": False, "clip_includes_arch": False}
    plain = tiny_config("darts", epochs=2)
    darts = run_search(
        dataclasses.replace(plain, searcher_options={**plain.searcher_options, **quark0}), tmp_path, progress=False
    )
    first, last = es.rows
    assert math.isfinite(first["hessian_eigenvalue"]) and math.isnan(last["hessian_eigenvalue"])  # not the last epoch
    assert first["hessian_max_eigenvalue"] >= first["hessian_eigenvalue"]  # the largest algebraic one
    if first["hessian_eigenvalue"] > 0:
        assert first["hessian_max_eigenvalue"] == first["hessian_eigenvalue"]
    same = ["genotype", "train_loss", "val_loss", "train_acc", "val_acc", "arch_entropy"]
    assert [[row[c] for c in same] for row in es.rows] == [[row[c] for c in same] for row in darts.rows]
