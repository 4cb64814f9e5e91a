"""The vocabulary of nash's tabular files: column keys, their names, and the content checksum.

See `benchmarks.nb201.oracle` for the file format these names live in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

from benchmarks.errors import NashError
from benchmarks.nb201.arch import Nb201Arch

FORMAT_VERSION = 1
TABLE_FILE = "nb201_table.npz"
ORACLE_ENV_VAR = "NASH_ORACLE"
METRICS: tuple[str, ...] = ("accuracy", "loss", "time_per_epoch")
DATASETS: tuple[str, ...] = ("cifar10", "cifar10-valid", "cifar100", "ImageNet16-120")
SPLITS: tuple[str, ...] = ("train", "valid", "test")
EPOCHS: tuple[int, ...] = (200, 12)
SEED_POLICIES: tuple[str, ...] = ("mean", "single")
UNITS = {"accuracy": "%", "loss": "", "time_per_epoch": "s"}
_COLUMN_PREFIX = "col:"
_SPLIT_HELP = "valid = x-valid; test = ori-test (cifar10, cifar10-valid) or x-test (cifar100, ImageNet16-120)"

# (metric, dataset, split, epochs, seed); seed is "mean", "single" or a decimal integer string.
Key = tuple[str, str, str, int, str]
ArchLike = str | int | np.integer | Nb201Arch


def column_name(key: Key) -> str:
    """The archive member name of a column, e.g. `col:accuracy/cifar10/test/200/mean`."""
    return _COLUMN_PREFIX + "/".join(str(part) for part in key)


def parse_column_name(name: str) -> Key:
    """Inverse of `column_name`; validates every part."""
    parts = name.removeprefix(_COLUMN_PREFIX).split("/")
    if not name.startswith(_COLUMN_PREFIX) or len(parts) != 5:
        raise NashError(f"bad column name {name!r}: expected '{_COLUMN_PREFIX}metric/dataset/split/epochs/seed'")
    return normalize_key(*parts)


def normalize_key(metric: str, dataset: str, split: str, epochs: int | str, seed: int | str) -> Key:
    """Check each part against the vocabulary; the errors list the valid values."""
    if metric not in METRICS:
        raise NashError(f"unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}")
    if dataset not in DATASETS:
        raise NashError(f"unknown dataset {dataset!r}; valid datasets: {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise NashError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)} ({_SPLIT_HELP})")
    if isinstance(epochs, str) and epochs.strip().isdigit():
        epochs = int(epochs)
    if isinstance(epochs, bool) or epochs not in EPOCHS:
        raise NashError(f"unknown epochs {epochs!r}; valid epochs: {', '.join(map(str, EPOCHS))}")
    seed_text = str(seed).strip()
    if isinstance(seed, bool) or not (seed_text in SEED_POLICIES or seed_text.isdigit()):
        raise NashError(f"unknown seed {seed!r}; valid seeds: mean (default), single, or an integer seed such as 777")
    return (metric, dataset, split, int(epochs), str(int(seed_text)) if seed_text.isdigit() else seed_text)


def table_checksum(op_indices: np.ndarray, columns: Mapping[Key, np.ndarray]) -> str:
    """sha256 of the table contents, independent of zip timestamps and member order."""
    digest = hashlib.sha256(np.ascontiguousarray(op_indices, dtype="<u1").tobytes())
    for name, column in sorted((column_name(key), col) for key, col in columns.items()):
        digest.update(name.encode() + b"\0")
        digest.update(np.ascontiguousarray(column, dtype="<f8").tobytes())
    return digest.hexdigest()
