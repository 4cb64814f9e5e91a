"""Tables converted from the genuine NATS-Bench sample files agree with the official `nats_bench` API.

Every value the official API reports for the final epoch (train/valid/test/valtest accuracy, loss and
time per epoch, per seed and seed mean; params, FLOPs and latency) must be in our table with the same
value, and every value in our table must be one of those: both spaces, all three sample indexes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.official.convert import convert
from tests.shared_data import SHARED_DATA

SAMPLES = SHARED_DATA / "nats-official-samples"
DIRS = {"tss": SAMPLES / "NATS-tss-v1_0-3ffb9-simple", "sss": SAMPLES / "NATS-sss-v1_0-50262-simple"}
INDEXES = (0, 11, 284)
_OFFICIAL_METRIC = {"accuracy": "accuracy", "loss": "loss", "time_per_epoch": "per-time"}


@pytest.fixture(scope="module", params=["tss", "sss"])
def converted(request, tmp_path_factory) -> tuple[str, Nb201Oracle, object]:
    nats_bench = pytest.importorskip("nats_bench")
    space = request.param
    if not DIRS[space].is_dir():
        pytest.skip(f"{DIRS[space]} not present")
    path = convert(DIRS[space]).save(tmp_path_factory.mktemp(space) / f"{space}.npz")
    api = nats_bench.create(str(DIRS[space]), space, fast_mode=True, verbose=False)
    return space, Nb201Oracle.load(path, eager=True), api


def _official_values(api, index: int) -> dict[tuple, float]:
    """(metric, dataset, split, epochs, seed) -> the official value, for everything the API reports."""
    api.get_more_info(index, "cifar10", hp="12", is_random=False)  # loads the index into arch2infos_dict
    values: dict[tuple, float] = {}
    for hp, results in api.arch2infos_dict[index].items():
        epochs = int(hp)
        for dataset in results.get_dataset_names():
            seeds = results.get_dataset_seeds(dataset)
            for policy in [False, *seeds]:
                seed = "mean" if policy is False else str(policy)
                info = api.get_more_info(index, dataset, hp=hp, is_random=policy)
                for split in ("train", "valid", "test", "valtest"):
                    for metric, name in _OFFICIAL_METRIC.items():
                        value = info.get(f"{split}-{name}")
                        if value is not None:
                            values[(metric, dataset, split, epochs, seed)] = value
            costs = results.get_compute_costs(dataset)
            values[("params", dataset, "model", epochs, "mean")] = costs["params"]
            values[("flops", dataset, "model", epochs, "mean")] = costs["flops"]
            if costs["latency"] is not None:
                values[("latency", dataset, "model", epochs, "mean")] = costs["latency"]
            for seed in seeds:
                run = results.query(dataset, seed)
                values[("params", dataset, "model", epochs, str(seed))] = run.params
                values[("flops", dataset, "model", epochs, str(seed))] = run.flop
                if run.get_latency() > 0:
                    values[("latency", dataset, "model", epochs, str(seed))] = run.get_latency()
    return values


def test_every_value_equals_the_official_api(converted) -> None:
    space, table, api = converted
    assert table.space == space and len(table) == len(api)
    for index in INDEXES:
        official = _official_values(api, index)
        assert len(official) > 200
        for (metric, dataset, split, epochs, seed), value in official.items():
            where = {"metric": metric, "dataset": dataset, "split": split, "epochs": epochs, "seed": seed}
            assert table.query(index, **where) == value, (index, where)  # exact: same arithmetic
            assert table.query(api.meta_archs[index], **where) == value
        ours = {
            key: float(
                table.column(**dict(zip(("metric", "dataset", "split", "epochs", "seed"), key, strict=True)))[index]
            )
            for key in table.available()
        }
        extra = {key for key, v in ours.items() if not math.isnan(v)} - set(official)
        assert not extra, f"values in our table that the official API does not report: {sorted(extra)[:5]}"


def test_rows_follow_the_official_index_order(converted) -> None:
    space, table, api = converted
    assert table.arch_strings() == list(api.meta_archs)
    first = "8:8:8:8:8" if space == "sss" else api.meta_archs[0]
    assert table.index_of(first) == 0
    meta = table.meta
    assert meta["space"] == space and meta["format_version"] == 2
    assert meta["source"]["file"] == DIRS[space].name and meta["source"]["version"] == "v1_0"
    assert meta["source"]["architectures_with_results"] == 3
    assert len(meta["checksum_sha256"]) == 64


def test_cells_without_results_are_refused_not_nan(converted) -> None:
    space, table, _ = converted
    where = {"dataset": "cifar10", "split": "test", "epochs": 200 if space == "tss" else 90}
    with pytest.raises(NashError, match="has no result for architecture 1"):
        table.query(1, **where)
    values = table.query_many(np.arange(300), **where)
    assert np.isnan(values).sum() == 297 and not np.isnan(values[list(INDEXES)]).any()


def test_size_space_lookups() -> None:
    if not DIRS["sss"].is_dir():
        pytest.skip("samples absent")
    table = convert(DIRS["sss"])
    arch = table.arch_of(11)
    assert str(arch) == "8:8:8:16:32" and table.index_of(arch) == 11
    assert table.query("8:8:8:16:32", dataset="cifar100") == table.query(11, dataset="cifar100", epochs=90)
    assert table.query(0, dataset="cifar10", metric="params") > 0  # split `model` by default
    with pytest.raises(NashError, match="a sss table has epochs 90, 12, 1"):
        table.query(0, dataset="cifar10", split="test", epochs=200)
    with pytest.raises(NashError, match="channel counts"):
        table.query("8:8:8:8:9", dataset="cifar10")
    with pytest.raises(NashError, match="in a sss table"):
        table.query(3.0, dataset="cifar10")  # type: ignore[arg-type]


def test_topology_table_agrees_with_the_embedded_one(converted) -> None:
    space, table, _ = converted
    if space != "tss":
        pytest.skip("the embedded table is topology only")
    embedded = Nb201Oracle.load()
    for metric, dataset, split, epochs, seed in embedded.available():
        if seed != "mean" or (metric, epochs) == ("time_per_epoch", 200):
            continue  # the embedded table's time column came from a rounded extraction
        for index in INDEXES:
            where = {"metric": metric, "dataset": dataset, "split": split, "epochs": epochs}
            assert table.query(index, **where) == pytest.approx(embedded.query(index, **where), abs=1e-6)


def test_converted_file_loads_lazily(converted, tmp_path: Path) -> None:
    _, table, _ = converted
    path = table.save(tmp_path / "again.npz")
    lazy = Nb201Oracle.load(path)
    assert all(column is None for column in lazy._columns.values())  # noqa: SLF001
    assert lazy.meta["checksum_sha256"] == table.meta["checksum_sha256"]
