"""The NAS-Bench-201 oracle: published values, lookups by every arch kind, errors, file round trips."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from benchmarks.errors import NashError
from benchmarks.nb201.arch import NUM_ARCHS, Nb201Arch
from benchmarks.nb201.oracle import Nb201Oracle, default_oracle
from benchmarks.nb201.table_format import ORACLE_ENV_VAR, table_checksum
from tests.shared_data import SHARED_DATA

ALL_SKIP = 1835
NATS_SAMPLES = SHARED_DATA / "nats-official-samples" / "NATS-tss-v1_0-3ffb9-simple"


@pytest.fixture(scope="module")
def oracle() -> Nb201Oracle:
    return Nb201Oracle.load()


@pytest.fixture
def tiny() -> Nb201Oracle:
    ops = np.array([[1] * 6, [3] * 6, [0, 1, 2, 3, 4, 0]], dtype=np.uint8)
    columns = {
        "col:accuracy/cifar10/test/200/mean": [54.3, 94.0, 10.0],
        ("accuracy", "cifar10", "test", 200, 777): [54.0, 94.5, 10.0],
        ("loss", "cifar10-valid", "valid", "12", "mean"): [1.5, 0.4, 2.3],
    }
    return Nb201Oracle.from_arrays(ops, columns, meta={"description": "tiny test table"})


@pytest.mark.parametrize(
    ("dataset", "split", "best"),
    [("cifar10", "test", 94.37), ("cifar100", "test", 73.51), ("ImageNet16-120", "test", 47.31)]
    + [("cifar10-valid", "valid", 91.61)],
)
def test_column_maxima_are_the_published_optima(oracle: Nb201Oracle, dataset: str, split: str, best: float) -> None:
    values = oracle.query_many(np.arange(NUM_ARCHS), dataset=dataset, split=split)
    assert round(float(values.max()), 2) == best


@pytest.mark.parametrize(
    ("dataset", "split", "value"),
    [("cifar10", "test", 54.30), ("cifar100", "test", 15.61), ("ImageNet16-120", "test", 16.32)]
    + [("cifar10-valid", "valid", 39.77)],
)
def test_all_skip_cell(oracle: Nb201Oracle, dataset: str, split: str, value: float) -> None:
    assert oracle.arch_of(ALL_SKIP) == Nb201Arch(("skip_connect",) * 6)
    assert round(oracle.query(ALL_SKIP, dataset=dataset, split=split), 2) == value


def test_index_string_round_trip_for_all_cells(oracle: Nb201Oracle) -> None:
    strings = oracle.arch_strings()
    assert len(strings) == len(set(strings)) == NUM_ARCHS
    assert all(oracle.index_of(s) == i for i, s in enumerate(strings))
    assert all(oracle.arch_of(i).to_string() == s for i, s in enumerate(strings))
    np.testing.assert_array_equal(oracle.indices_of(strings), np.arange(NUM_ARCHS))


def test_same_value_by_string_index_and_arch(oracle: Nb201Oracle) -> None:
    for index in (0, 1, ALL_SKIP, NUM_ARCHS - 1):
        arch = oracle.arch_of(index)
        values = {oracle.query(a, dataset="cifar100", split="test") for a in (index, np.int64(index), str(arch), arch)}
        assert len(values) == 1


def test_query_many_equals_query(oracle: Nb201Oracle) -> None:
    cells = np.random.default_rng(0).integers(0, NUM_ARCHS, size=50)
    mixed = [int(cells[0]), oracle.arch_of(int(cells[1])), str(oracle.arch_of(int(cells[2])))]
    for metric, dataset, split, epochs, seed in oracle.available():
        where = {"metric": metric, "dataset": dataset, "split": split, "epochs": epochs, "seed": seed}
        expected = [oracle.query(int(i), **where) for i in cells]
        np.testing.assert_array_equal(oracle.query_many(cells, **where), expected)
        np.testing.assert_array_equal(oracle.query_many(list(cells), **where), expected)
        np.testing.assert_array_equal(oracle.query_many(mixed, **where), expected[:3])
        assert oracle.query_many(np.arange(NUM_ARCHS), **where).shape == (NUM_ARCHS,)


def test_integer_ranges_and_lists_take_the_array_path(oracle: Nb201Oracle) -> None:
    where = {"dataset": "cifar100", "split": "test"}
    everything = oracle.query_many(np.arange(NUM_ARCHS), **where)
    np.testing.assert_array_equal(oracle.query_many(range(NUM_ARCHS), **where), everything)
    np.testing.assert_array_equal(oracle.query_many(range(10, 0, -3), **where), everything[[10, 7, 4, 1]])
    np.testing.assert_array_equal(oracle.query_many((5, ALL_SKIP), **where), everything[[5, ALL_SKIP]])
    assert oracle.query_many(range(0), **where).shape == (0,)
    assert oracle.indices_of(range(3)).dtype == np.int64
    with pytest.raises(NashError, match=f"index {NUM_ARCHS} out of range"):
        oracle.query_many(range(NUM_ARCHS - 2, NUM_ARCHS + 2), **where)
    with pytest.raises(NashError, match="cannot look up True"):  # a bool is not an index, in a list too
        oracle.query_many([0, True], **where)


def test_available_and_meta(oracle: Nb201Oracle) -> None:
    available = oracle.available()
    assert len(available) == 18
    assert ("accuracy", "cifar10-valid", "test", 200, "mean") in available
    assert ("time_per_epoch", "cifar10-valid", "train", 200, "mean") in available
    assert not any(d == "cifar10" and s != "test" for _, d, s, _, _ in available)
    meta = oracle.meta
    assert meta["format_version"] == 1 and len(meta["checksum_sha256"]) == 64
    assert set(meta["columns"]) == {f"col:{'/'.join(map(str, key))}" for key in available}


def test_values_are_normalised_and_read_only(oracle: Nb201Oracle) -> None:
    by_int = oracle.query(1, dataset="cifar10", split="test", epochs=12)
    assert oracle.query(1, dataset="cifar10", split="test", epochs="12") == by_int  # type: ignore[arg-type]
    column = oracle.column(dataset="cifar10", split="test")
    with pytest.raises(ValueError):
        column[0] = 0.0


@pytest.mark.parametrize(
    ("where", "needles"),
    [
        ({"dataset": "cifar-10", "split": "test"}, ["unknown dataset", "cifar10-valid", "ImageNet16-120"]),
        ({"dataset": "cifar10", "split": "x-valid"}, ["unknown split", "train, valid, test"]),
        ({"dataset": "cifar10", "split": "test", "epochs": 100}, ["unknown epochs", "200, 12"]),
        ({"dataset": "cifar10", "split": "test", "seed": "random"}, ["unknown seed", "mean", "single"]),
        ({"dataset": "cifar10", "split": "test", "metric": "top5"}, ["unknown metric", "accuracy, loss"]),
        ({"dataset": "cifar10", "split": "test", "metric": "flops"}, ["metric flops goes with split model"]),
        ({"dataset": "cifar10", "split": "valid"}, ["not in this table", "only the test split", "cifar10-valid"]),
        ({"dataset": "cifar100", "split": "valid"}, ["not in this table", "available for cifar100", "valid 12ep"]),
        ({"dataset": "cifar10", "split": "test", "seed": 777}, ["seed 777 is not in this table", "seed mean"]),
        ({"dataset": "cifar10-valid", "split": "test", "epochs": 12}, ["not in this table", "valid 12ep"]),
    ],
)
def test_unknown_or_missing_combinations(oracle: Nb201Oracle, where: dict, needles: list[str]) -> None:
    with pytest.raises(NashError) as info:
        oracle.query(0, **where)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message
    with pytest.raises(NashError):
        oracle.query_many(np.arange(3), **where)


@pytest.mark.parametrize("arch", [NUM_ARCHS, -1, True, 1.0, None, "|none~0|", "1835"])
def test_bad_architectures(oracle: Nb201Oracle, arch: object) -> None:
    with pytest.raises(NashError) as info:
        oracle.query(arch, dataset="cifar10", split="test")  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    with pytest.raises(NashError, match="out of range"):
        oracle.query_many(np.array([0, NUM_ARCHS]), dataset="cifar10", split="test")
    with pytest.raises(NashError, match="out of range"):
        oracle.arch_of(NUM_ARCHS)


def test_tiny_table_round_trips_through_a_file(tiny: Nb201Oracle, tmp_path: Path) -> None:
    path = tiny.save(tmp_path / "tiny.table")  # any name: no ".npz" appended
    assert path.exists() and not (tmp_path / "tiny.table.npz").exists()
    loaded = Nb201Oracle.load(path)
    assert len(loaded) == 3 and loaded.available() == tiny.available()
    assert loaded.meta["description"] == "tiny test table"
    assert loaded.meta["checksum_sha256"] == table_checksum(tiny.op_indices, dict(tiny._columns))  # noqa: SLF001
    all_skip = Nb201Arch(("skip_connect",) * 6).to_string()
    for seed in ("mean", 777, "777"):
        for arch in (0, all_skip, Nb201Arch(("nor_conv_3x3",) * 6)):
            where = {"dataset": "cifar10", "split": "test", "seed": seed}
            assert loaded.query(arch, **where) == tiny.query(arch, **where)
    assert loaded.query(2, dataset="cifar10-valid", split="valid", epochs=12, metric="loss") == 2.3
    with pytest.raises(NashError, match="not in this table"):
        loaded.query(Nb201Arch(("none",) * 6), dataset="cifar10", split="test")
    with pytest.raises(NashError, match="nothing for cifar100"):
        loaded.query(0, dataset="cifar100", split="test")
    assert pickle.loads(pickle.dumps(loaded)).query(1, dataset="cifar10", split="test") == 94.0


def test_tiny_table_validation() -> None:
    with pytest.raises(NashError, match="more than one row"):
        Nb201Oracle.from_arrays(np.zeros((2, 6), dtype=np.uint8), {})
    with pytest.raises(NashError, match="shape"):
        Nb201Oracle.from_arrays(np.zeros((1, 5), dtype=np.uint8), {})
    with pytest.raises(NashError, match="expected \\(1,\\)"):
        Nb201Oracle.from_arrays(np.zeros((1, 6), dtype=np.uint8), {"col:accuracy/cifar10/test/200/mean": [1, 2]})
    with pytest.raises(NashError, match="bad column name"):
        Nb201Oracle.from_arrays(np.zeros((1, 6), dtype=np.uint8), {"accuracy/cifar10/test/200": [1]})


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(NashError, match="not found; rebuild it with .*build_nb201_table.py.*--oracle FILE"):
        Nb201Oracle.load(tmp_path / "missing.npz")


def test_corrupt_files_raise_nash_error(tiny: Nb201Oracle, tmp_path: Path) -> None:
    (tmp_path / "text.npz").write_text("not a table")
    real = tiny.save(tmp_path / "real.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(real[: len(real) // 2])
    flipped = bytearray(Path(Nb201Oracle.load().source).read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF  # inside some column's compressed data
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    for name in ("text.npz", "truncated.npz", "flipped.npz"):
        with pytest.raises(NashError, match=f"{name} is unreadable or corrupt.*rebuild it") as info:
            Nb201Oracle.load(tmp_path / name, eager=True)
        assert "\n" not in str(info.value)


def test_checksum_mismatch_is_detected(tiny: Nb201Oracle, tmp_path: Path) -> None:
    path = tiny.save(tmp_path / "t.npz")
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["col:accuracy/cifar10/test/200/mean"] = np.array([1.0, 2.0, 3.0])  # edited without a new checksum
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    lazy = Nb201Oracle.load(path)  # the edited column is only read on use
    assert lazy.query(0, dataset="cifar10", split="test", seed=777) == 54.0
    with pytest.raises(NashError, match="does not match the checksum"):
        lazy.query(0, dataset="cifar10", split="test")
    meta = json.loads(str(arrays["meta"][()]))
    arrays["meta"] = np.array(json.dumps({**meta, "format_version": 99}))
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    with pytest.raises(NashError, match="format_version 99"):
        Nb201Oracle.load(path)


def test_default_oracle_is_cached_and_honours_env(tiny: Nb201Oracle, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(ORACLE_ENV_VAR, raising=False)
    assert default_oracle() is default_oracle()
    assert len(default_oracle()) == NUM_ARCHS
    monkeypatch.setenv(ORACLE_ENV_VAR, str(tiny.save(tmp_path / "env.npz")))
    assert len(default_oracle()) == 3


def test_matches_the_official_nats_bench_files(oracle: Nb201Oracle) -> None:
    nats_bench = pytest.importorskip("nats_bench")
    if not NATS_SAMPLES.is_dir():
        pytest.skip(f"{NATS_SAMPLES} not present")
    api = nats_bench.create(str(NATS_SAMPLES), "tss", fast_mode=True, verbose=False)
    names = {"accuracy": "accuracy", "loss": "loss", "time_per_epoch": "per-time"}
    for index in (0, 11, 284):
        for metric, dataset, split, epochs, seed in oracle.available():
            if seed != "mean":
                continue  # "single" is an unrecorded seed
            official = api.get_more_info(index, dataset, hp=str(epochs), is_random=False)[f"{split}-{names[metric]}"]
            ours = oracle.query(index, metric=metric, dataset=dataset, split=split, epochs=epochs)
            assert ours == pytest.approx(official, abs=1e-6), (index, metric, dataset, split, epochs)
