"""Convert an official NAS-Bench-201 / NATS-Bench file into a nash table (`Nb201Oracle`).

Every value the official API reports for the final epoch becomes a column: per dataset, split,
epoch budget and seed, plus the seed mean computed the way the official `nats_bench` API computes
it (a plain mean over the seeds the benchmark ran for that cell; time per epoch = mean total time /
epochs; params and FLOPs: if the seeds disagree, the seed-888 value, as the official API does for a
known glitch in the files; latency: mean of the seeds that measured one). A value the source lacks
is NaN. Architectures are converted one at a time into columns allocated once at full length.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.nb201.table_format import EPOCHS_BY_SPACE, MODEL_SPLIT, Key, normalize_key
from benchmarks.nb201.table_space import TABLE_SPACES, TableSpace
from benchmarks.official.nats_files import OfficialSource, read_archive, read_simple_dir

# Our split -> the official evaluation set, per dataset (train is always the training set).
_EVAL_SETS = {
    "cifar10-valid": {"valid": "x-valid", "test": "ori-test"},
    "cifar10": {"valid": "x-valid", "test": "ori-test"},
    "cifar100": {"valid": "x-valid", "test": "x-test", "valtest": "ori-test"},
    "ImageNet16-120": {"valid": "x-valid", "test": "x-test", "valtest": "ori-test"},
}
_LEGACY_SEED = 888  # the official API's choice when seeds disagree on params/FLOPs
_NAN = float("nan")


def read_source(path: Path) -> OfficialSource:
    """Pick the reader by what `path` is: a `-simple` directory, a `.pth`, or a single `.pbz2` archive."""
    if path.is_dir():
        return read_simple_dir(path)
    if not path.exists():
        raise NashError(
            f"{path} not found; pass a NATS-Bench '-simple' directory, a NATS-Bench .pickle.pbz2 "
            "archive or a NAS-Bench-201 .pth file"
        )
    if path.suffix == ".pth":
        from benchmarks.official.nb201_pth import read_pth  # imports torch

        return read_pth(path)
    if path.name.endswith(".pbz2"):
        return read_archive(path)
    raise NashError(f"{path} is neither a directory, a .pth nor a .pbz2 file; cannot tell which format it is")


class ColumnSink:
    """Float64 columns of n rows, each allocated (NaN-filled) when its first value arrives."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.columns: dict[Key, np.ndarray] = {}
        self._keys: dict[tuple[Any, ...], Key] = {}

    def put(self, raw_key: tuple[Any, ...], row: int, value: float | None) -> None:
        if value is None or value != value:
            return
        key = self._keys.get(raw_key)
        if key is None:
            key = self._keys[raw_key] = normalize_key(*raw_key)
            self.columns[key] = np.full(self.rows, _NAN)
        self.columns[key][row] = value


def convert(path: Path, *, progress: bool = False) -> Nb201Oracle:
    """Read `path` and return the table (not yet saved)."""
    source = read_source(path)
    space = _space_of(source)
    rows = np.array([space.row_of_string(text) for text in source.meta_archs], dtype=np.uint8)
    sink = ColumnSink(len(rows))
    for index, where, by_hp in tqdm(
        source.archs,
        total=source.count,
        desc=f"converting {path.name}",
        unit="arch",
        disable=not progress,
        mininterval=0.5,
    ):
        _add_architecture(sink, space, source.meta_archs, index, where, by_hp)
        del by_hp  # the source's copy is gone already (see nats_files.drain); drop ours too
    if not sink.columns:
        raise NashError(f"{path} holds no results")
    meta = {
        "space": space.name,
        "description": f"{space.title} search space: official results converted from {path.name}",
        "source": {
            "file": path.name,
            "version": _version_of(path.name),
            "format": source.layout,
            "architectures": len(rows),
            "architectures_with_results": source.count,
        },
        "sources": [path.name],
        "licence": "numbers from NAS-Bench-201 / NATS-Bench (MIT, Xuanyi Dong et al.)",
        "built_by": "nash table build",
    }
    return Nb201Oracle(rows, sink.columns, meta)


def _space_of(source: OfficialSource) -> TableSpace:
    text = source.meta_archs[0]
    space = TABLE_SPACES["sss" if ":" in text and "|" not in text else "tss"]
    named = re.search(r"(?:^|-)(tss|sss)(?:-|$)", source.path.name)
    if named and named[1] != space.name:
        raise NashError(f"{source.path} is named as a {named[1]} file but lists {space.name} architectures")
    if len(source.meta_archs) > space.num_archs:
        raise NashError(
            f"{source.path} lists {len(source.meta_archs)} architectures; {space.name} has {space.num_archs}"
        )
    return space


def _version_of(name: str) -> str | None:
    found = re.search(r"v\d+_\d+", name)
    return found[0] if found else None


def _add_architecture(
    sink: ColumnSink, space: TableSpace, meta_archs: list[str], index: int, where: str, by_hp: Any
) -> None:
    for hp, state in by_hp.items():
        epochs = int(hp) if isinstance(hp, str) and hp.isdigit() else None
        if epochs not in EPOCHS_BY_SPACE[space.name]:
            raise NashError(
                f"{where}: epoch budget {hp!r} is not one of {space.name}'s "
                f"{', '.join(map(str, EPOCHS_BY_SPACE[space.name]))}"
            )
        if not isinstance(state, dict) or not {"arch_str", "all_results", "dataset_seed"} <= set(state):
            raise NashError(f"{where}: results for {hp} epochs are not an ArchResults state; wrong file?")
        if state["arch_str"] != meta_archs[index]:
            raise NashError(
                f"{where}: holds {state['arch_str']!r}, but index {index} is {meta_archs[index]!r}; "
                "is this file from another benchmark?"
            )
        for dataset, seeds in state["dataset_seed"].items():
            runs = [(seed, state["all_results"][(dataset, seed)]) for seed in seeds]
            _add_dataset(sink, index, dataset, epochs, runs)


def _add_dataset(sink: ColumnSink, row: int, dataset: str, epochs: int, runs: list[tuple[int, dict]]) -> None:
    per_seed = {seed: _final_values(dataset, run) for seed, run in runs}
    names = {name for values in per_seed.values() for name in values}
    for metric, split in names:
        for seed, values in per_seed.items():
            value = values.get((metric, split))
            sink.put((metric, dataset, split, epochs, seed), row, value[0] if value else None)
        sink.put((metric, dataset, split, epochs, "mean"), row, _seed_mean(metric, per_seed, (metric, split)))


def _final_values(dataset: str, run: dict[str, Any]) -> dict[tuple[str, str], tuple[float, ...]]:
    """(metric, split) -> (value, aux) of one run after its last epoch; aux = total time for time_per_epoch."""
    total = int(run["epochs"])
    last = total - 1
    out: dict[tuple[str, str], tuple[float, ...]] = {
        ("accuracy", "train"): (float(run["train_acc1es"][last]),),
        ("loss", "train"): (float(run["train_losses"][last]),),
    }
    times = run.get("train_times")
    if times is not None:
        all_time = sum(times[i] for i in range(total))
        out[("time_per_epoch", "train")] = (all_time / total, all_time, total)
    eval_times = run.get("eval_times") or {}
    for split, name in _EVAL_SETS.get(dataset, {}).items():
        if name not in run.get("eval_names", ()) or f"{name}@{last}" not in run["eval_acc1es"]:
            continue
        out[("accuracy", split)] = (float(run["eval_acc1es"][f"{name}@{last}"]),)
        out[("loss", split)] = (float(run["eval_losses"][f"{name}@{last}"]),)
        if eval_times and all(f"{name}@{i}" in eval_times for i in range(total)):
            all_time = sum(eval_times[f"{name}@{i}"] for i in range(total))
            out[("time_per_epoch", split)] = (all_time / total, all_time, total)
    latency = run.get("latency")
    out[("params", MODEL_SPLIT)] = (float(run["params"]),)
    out[("flops", MODEL_SPLIT)] = (float(run["flop"]),)
    if latency:
        out[("latency", MODEL_SPLIT)] = (sum(latency) / len(latency),)
    return out


def _seed_mean(metric: str, per_seed: dict[int, dict], name: tuple[str, str]) -> float | None:
    found = [values.get(name) for values in per_seed.values()]
    if any(v is None for v in found):
        # every seed has params/flops; latency may be missing for some: mean of those that have one
        present = [v[0] for v in found if v is not None and v[0] > 0]
        return sum(present) / len(present) if metric == "latency" and present else None
    if metric == "time_per_epoch":  # mean total time over seeds, then per epoch (as the official API)
        return (sum(v[1] for v in found) / len(found)) / found[0][2]
    values = [v[0] for v in found]
    if metric in ("params", "flops") and len({f"{v:.5f}" for v in values}) > 1 and _LEGACY_SEED in per_seed:
        return per_seed[_LEGACY_SEED][name][0]
    if metric == "latency":
        values = [v for v in values if v > 0]
        return sum(values) / len(values) if values else None
    return sum(values) / len(values)
