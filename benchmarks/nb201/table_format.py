"""The vocabulary of nash's tabular files: spaces, column keys, their names, and the content checksum.

A column key is `(metric, dataset, split, epochs, seed)`:
- metric: measured after training — `accuracy` (%), `loss`, `time_per_epoch` (s, the benchmark's own
  GPU runs) — or a property of the trained network — `params` (millions), `flops` (millions),
  `latency` (s per batch, as the benchmark measured it). The network properties use split `model`.
- dataset: the four NATS-Bench datasets, `cifar10-valid` (trained on 25k) distinct from `cifar10` (50k).
- split: `train`, `valid` (x-valid), `test` (ori-test for cifar10 and cifar10-valid, x-test for
  cifar100 and ImageNet16-120), `valtest` (ori-test of cifar100 / ImageNet16-120 = x-valid + x-test)
  and `model` for the network properties.
- epochs: the training budget the benchmark ran: 200 or 12 in the topology space (`tss`, = NAS-Bench-201),
  90, 12 or 1 in the size space (`sss`).
- seed: `mean` (over the seeds the benchmark ran for that cell), `single` (one unnamed seed) or an
  integer seed such as `777`.
The column name in a file is `col:` + the parts joined by `/`, e.g. `col:accuracy/cifar10/test/200/mean`.
See `benchmarks.nb201.table_file` for the file format these names live in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

from benchmarks.errors import NashError
from benchmarks.nb201.arch import Nb201Arch
from benchmarks.nb201.size_arch import NatsSizeArch

FORMAT_VERSION = 2  # 2 adds `space` and the size space; version 1 files are topology tables
READABLE_VERSIONS = (1, 2)
TABLE_FILE = "nb201_table.npz"
ORACLE_ENV_VAR = "NASH_ORACLE"
SPACES: tuple[str, ...] = ("tss", "sss")
MEASURED_METRICS: tuple[str, ...] = ("accuracy", "loss", "time_per_epoch")
MODEL_METRICS: tuple[str, ...] = ("params", "flops", "latency")
METRICS: tuple[str, ...] = MEASURED_METRICS + MODEL_METRICS
DATASETS: tuple[str, ...] = ("cifar10", "cifar10-valid", "cifar100", "ImageNet16-120")
MODEL_SPLIT = "model"
SPLITS: tuple[str, ...] = ("train", "valid", "test", "valtest", MODEL_SPLIT)
EPOCHS_BY_SPACE: dict[str, tuple[int, ...]] = {"tss": (200, 12), "sss": (90, 12, 1)}
EPOCHS: tuple[int, ...] = (200, 12, 90, 1)
SEED_POLICIES: tuple[str, ...] = ("mean", "single")
UNITS = {"accuracy": "%", "loss": "", "time_per_epoch": "s", "params": "M", "flops": "M", "latency": "s"}
_COLUMN_PREFIX = "col:"
_SPLIT_HELP = (
    "valid = x-valid; test = ori-test (cifar10, cifar10-valid) or x-test (cifar100, ImageNet16-120); "
    "valtest = ori-test of cifar100 / ImageNet16-120; model = for params, flops, latency"
)

# (metric, dataset, split, epochs, seed); seed is "mean", "single" or a decimal integer string.
Key = tuple[str, str, str, int, str]
ArchLike = str | int | np.integer | Nb201Arch | NatsSizeArch


def column_name(key: Key) -> str:
    """The archive member name of a column, e.g. `col:accuracy/cifar10/test/200/mean`."""
    return _COLUMN_PREFIX + "/".join(str(part) for part in key)


def parse_column_name(name: str) -> Key:
    """Inverse of `column_name`; validates every part."""
    parts = name.removeprefix(_COLUMN_PREFIX).split("/")
    if not name.startswith(_COLUMN_PREFIX) or len(parts) != 5:
        raise NashError(f"bad column name {name!r}: expected '{_COLUMN_PREFIX}metric/dataset/split/epochs/seed'")
    return normalize_key(*parts)


_MAX_DIGITS = 10  # of a seed or an epoch budget given as text: seeds are below 2**32 (10 digits)


def normalize_key(metric: str, dataset: str, split: str, epochs: int | str, seed: int | str) -> Key:
    """Check each part against the vocabulary; the errors list the valid values."""
    if metric not in METRICS:
        raise NashError(f"unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}")
    if dataset not in DATASETS:
        raise NashError(f"unknown dataset {dataset!r}; valid datasets: {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise NashError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)} ({_SPLIT_HELP})")
    if (metric in MODEL_METRICS) != (split == MODEL_SPLIT):
        raise NashError(
            f"metric {metric} goes with split {MODEL_SPLIT if metric in MODEL_METRICS else 'train/valid/test'}, "
            f"not {split!r}: params, flops and latency are properties of the network (split {MODEL_SPLIT})"
        )
    # isdecimal, not isdigit: int() refuses '²', which isdigit takes; the lengths keep int() off 10,000-digit text
    if isinstance(epochs, str) and epochs.strip().isdecimal() and len(epochs.strip()) <= _MAX_DIGITS:
        epochs = int(epochs)
    if isinstance(epochs, bool) or epochs not in EPOCHS:
        valid = "; ".join(f"{', '.join(map(str, e))} ({s})" for s, e in EPOCHS_BY_SPACE.items())
        raise NashError(f"unknown epochs {str(epochs)[:40]!r}; valid epochs: {valid}")
    seed_text = str(seed).strip()
    number = seed_text.isdecimal() and len(seed_text) <= _MAX_DIGITS
    if isinstance(seed, bool) or not (seed_text in SEED_POLICIES or number):
        raise NashError(
            f"unknown seed {seed_text[:40]!r}; valid seeds: mean (default), single, or an integer seed such as 777"
        )
    return (metric, dataset, split, int(epochs), str(int(seed_text)) if number else seed_text)


def default_split(metric: str) -> str:
    """The split a query means when it names none: `model` for network properties, else `test`."""
    return MODEL_SPLIT if metric in MODEL_METRICS else "test"


def table_checksum(archs: np.ndarray, columns: Mapping[Key, np.ndarray], space: str = "tss") -> str:
    """sha256 of the table contents, independent of zip timestamps and member order.

    Topology tables hash exactly as in format version 1; other spaces start with `space:<name>` and a NUL.
    """
    digest = hashlib.sha256(b"" if space == "tss" else f"space:{space}\0".encode())
    digest.update(np.ascontiguousarray(archs, dtype="<u1").tobytes())
    for name, column in sorted((column_name(key), col) for key, col in columns.items()):
        digest.update(name.encode() + b"\0")
        digest.update(np.ascontiguousarray(column, dtype="<f8").tobytes())
    return digest.hexdigest()
