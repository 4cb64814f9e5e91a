"""NAS-Bench-201 `.pth` conversion, on small files written here in the official layout.

The same file is read by the official `nas_201_api.NASBench201API` (and the seed-mean params/FLOPs
by nats_bench's `ArchResults`, which handles the files' known params glitch) for comparison.
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.official.convert import convert

torch = pytest.importorskip("torch")

DATASET_SETS = {
    "cifar10-valid": ["x-valid", "ori-test"],
    "cifar10": ["ori-test"],
    "cifar100": ["x-valid", "x-test", "ori-test"],
    "ImageNet16-120": ["x-valid", "x-test", "ori-test"],
}


def _run(rng: np.random.Generator, arch: str, dataset: str, seed: int, epochs: int, params: float) -> dict[str, Any]:
    """One ResultsCount state, as the official files store it."""
    sets = DATASET_SETS[dataset]
    per_epoch = {f"{s}@{i}": float(rng.uniform(10, 95)) for s in sets for i in range(epochs)}
    return {
        "name": dataset,
        "net_state_dict": None,
        "train_acc1es": {i: float(rng.uniform(10, 99)) for i in range(epochs)},
        "train_acc5es": None,
        "train_losses": {i: float(rng.uniform(0.01, 2)) for i in range(epochs)},
        "train_times": OrderedDict((i, float(rng.uniform(5, 15))) for i in range(epochs)),
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": arch, "class_num": 10},
        "params": np.float64(params),
        "flop": params * 140.0,
        "seed": f"{seed:04d}",
        "epochs": epochs,
        "latency": [np.float64(rng.uniform(0.01, 0.03))],
        "eval_names": list(sets),
        "eval_acc1es": per_epoch,
        "eval_times": {k: float(rng.uniform(1, 3)) for k in per_epoch},
        "eval_losses": {k: float(rng.uniform(0.1, 3)) for k in per_epoch},
    }


def _arch_results(rng, index: int, arch: str, seeds: list[int], epochs: int, glitch: bool) -> dict[str, Any]:
    all_results, dataset_seed = {}, {}
    for dataset in DATASET_SETS:
        dataset_seed[dataset] = sorted(seeds)
        for seed in seeds:
            params = 0.5 + index / 10 + (0.123 if glitch and dataset == "cifar100" and seed == 777 else 0.0)
            all_results[(dataset, seed)] = _run(rng, arch, dataset, seed, epochs, params)
    return {"arch_index": index, "arch_str": arch, "all_results": all_results, "dataset_seed": dataset_seed,
            "clear_net_done": True}  # fmt: skip


def nb201_dict(strings: list[str], evaluated: tuple[int, ...] = (0, 3)) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    infos = {
        i: {
            "less": _arch_results(rng, i, strings[i], [111], 12, glitch=False),
            "full": _arch_results(rng, i, strings[i], [777, 888, 999] if i else [777, 888], 200, glitch=i == 3),
        }
        for i in evaluated
    }
    return {"meta_archs": list(strings), "arch2infos": infos, "evaluated_indexes": set(evaluated)}


@pytest.fixture(scope="module")
def strings() -> list[str]:
    return Nb201Oracle.load().arch_strings()[:5]


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_pth_matches_nas_201_api(strings: list[str], tmp_path: Path, zip_format: bool) -> None:
    data = nb201_dict(strings)
    path = tmp_path / "NAS-Bench-201-v1_1-test.pth"
    torch.save(data, path, _use_new_zipfile_serialization=zip_format)
    table = Nb201Oracle.load(convert(path).save(tmp_path / "t.npz"), eager=True)
    assert table.space == "tss" and len(table) == 5 and table.meta["source"]["version"] == "v1_1"
    assert table.meta["source"]["format"] == "nb201-pth" and table.meta["source"]["architectures_with_results"] == 2

    nas_201_api = pytest.importorskip("nas_201_api")
    api = nas_201_api.NASBench201API(copy.deepcopy(data), verbose=False)
    checked = 0
    for index in (0, 3):
        for hp, epochs in (("12", 12), ("200", 200)):
            results = api.arch2infos_dict[index][hp]
            for dataset in DATASET_SETS:
                for policy in [False, *results.get_dataset_seeds(dataset)]:
                    seed = "mean" if policy is False else policy
                    info = api.get_more_info(index, dataset, hp=hp, is_random=policy)
                    for split in ("train", "valid", "test", "valtest"):
                        for metric, name in (
                            ("accuracy", "accuracy"),
                            ("loss", "loss"),
                            ("time_per_epoch", "per-time"),
                        ):
                            if info.get(f"{split}-{name}") is None:
                                continue
                            ours = table.query(index, metric=metric, dataset=dataset, split=split, epochs=epochs,
                                               seed=seed)  # fmt: skip
                            assert ours == pytest.approx(info[f"{split}-{name}"], rel=1e-12), (index, hp, dataset)
                            checked += 1
    assert checked > 300
    with pytest.raises(NashError, match="has no result for architecture 1"):
        table.query(1, dataset="cifar10", split="test")


def test_params_glitch_and_latency_follow_the_official_rule(strings: list[str], tmp_path: Path) -> None:
    nats_utils = pytest.importorskip("nats_bench.api_utils")
    data = nb201_dict(strings)
    path = tmp_path / "glitch.pth"
    torch.save(copy.deepcopy(data), path)
    table = convert(path)
    for index in (0, 3):
        official = nats_utils.ArchResults.create_from_state_dict(copy.deepcopy(data["arch2infos"][index]["full"]))
        for dataset in DATASET_SETS:
            costs = official.get_compute_costs(dataset)
            for metric, name in (("params", "params"), ("flops", "flops"), ("latency", "latency")):
                assert table.query(index, metric=metric, dataset=dataset) == costs[name], (index, dataset, metric)
    seed_888 = data["arch2infos"][3]["full"]["all_results"][("cifar100", 888)]["params"]
    assert table.query(3, dataset="cifar100", metric="params") == seed_888  # not the mean of 777/888/999
    assert table.query(3, dataset="cifar100", metric="params", seed=777) == pytest.approx(seed_888 + 0.123)


class _RunsACommand:
    """Pickles as a call to os.system: a reader that honours it would run the command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pth_asking_for_other_classes_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    torch.save({"meta_archs": ["x"], "arch2infos": {0: _RunsACommand(marker)}}, path)
    with pytest.raises(NashError, match=r"evil\.pth asks to load .*system.*refusing") as info:
        convert(path)
    assert "\n" not in str(info.value) and not marker.exists()


def test_damaged_pth(strings: list[str], tmp_path: Path) -> None:
    path = tmp_path / "v.pth"
    torch.save(nb201_dict(strings), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NashError, match=r"v\.pth is not a readable \.pth file"):
        convert(path)
    torch.save({"something": "else"}, path)
    with pytest.raises(NashError, match="is not a NAS-Bench-201 file"):
        convert(path)
