"""Deterministic, class-balanced index splits for the search protocols.

NAS-Bench-201 searches on CIFAR-10 train the supernet weights on one half of the 50k training
images and the architecture parameters on the other half. The official split file of the
benchmark (`cifar-split.txt`) is not available offline, so this module defines our own
documented split: every class is shuffled by a numpy Generator seeded by `seed` alone (never
by the run seed, so all runs of a study share one split) and cut in half.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.errors import NashError

# Separate streams for the two uses: a subsample and a split with the same seed stay unrelated.
_SPLIT_STREAM = 201
_SUBSAMPLE_STREAM = 1
_TEST_HALVES_STREAM = 2


def _class_indices(labels: np.ndarray) -> list[np.ndarray]:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise NashError(f"expected a non-empty 1-D integer label array, got shape {labels.shape} {labels.dtype}")
    return [np.flatnonzero(labels == c) for c in np.unique(labels)]


def nb201_search_split(labels: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(weight indices, arch indices): each class cut in half at random; an odd image goes to the weight half.

    Both arrays are sorted int64; together they cover every index exactly once.
    """
    rng = np.random.default_rng([seed, _SPLIT_STREAM])
    weight, arch = [], []
    for members in _class_indices(labels):
        shuffled = rng.permutation(members)
        half = (len(shuffled) + 1) // 2
        weight.append(shuffled[:half])
        arch.append(shuffled[half:])
    return np.sort(np.concatenate(weight)).astype(np.int64), np.sort(np.concatenate(arch)).astype(np.int64)


def subsample(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted int64 indices of `per_class` randomly chosen images from every class (small profiles)."""
    if per_class < 1:
        raise NashError(f"per_class must be at least 1, got {per_class}; choose a positive number of images per class")
    rng = np.random.default_rng([seed, _SUBSAMPLE_STREAM])
    chosen = []
    for members in _class_indices(labels):
        if len(members) < per_class:
            label = np.asarray(labels)[members[0]]
            raise NashError(
                f"class {label} has only {len(members)} images, cannot take {per_class} per class; "
                "lower train_per_class or use a larger data set (--data PATH)"
            )
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def xvalid_xtest_halves(labels: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x-valid, x-test) indices of a test set (CIFAR-100, ImageNet16-120): every class cut in half by a shuffle.

    Our stand-in for NB201's official index lists: same sizes and per-class balance, different images.
    An odd image goes to x-test. Sorted int64; together they cover every index once.
    """
    rng = np.random.default_rng([seed, _TEST_HALVES_STREAM])
    xvalid, xtest = [], []
    for members in _class_indices(labels):
        shuffled = rng.permutation(members)
        half = len(shuffled) // 2
        xvalid.append(shuffled[:half])
        xtest.append(shuffled[half:])
    return np.sort(np.concatenate(xvalid)).astype(np.int64), np.sort(np.concatenate(xtest)).astype(np.int64)


def read_split_file(path: Path, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(x-valid, x-test) from a NB201 test-split file: JSON {"xvalid": [...], "xtest": [...]}.

    NB201 writes each value as ["int", [indices]]; a plain list of indices is accepted too.
    """
    try:
        obj = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise NashError(f"{path} is not a readable JSON split file ({type(exc).__name__}); fix or remove it") from None
    halves = []
    for key in ("xvalid", "xtest"):
        value = obj.get(key) if isinstance(obj, dict) else None
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], list):
            value = value[1]
        try:
            index = np.asarray(value, dtype=np.int64)
        except (TypeError, ValueError):
            index = np.empty((0, 0), dtype=np.int64)
        if index.ndim != 1 or index.size == 0 or index.min() < 0 or index.max() >= size:
            raise NashError(f"{path}: expected {key!r} as a list of indices in [0, {size}); fix or remove the file")
        halves.append(index)
    if np.intersect1d(*halves).size or len(np.unique(halves[0])) != len(halves[0]):
        raise NashError(f"{path}: x-valid and x-test overlap or repeat an index; fix or remove the file")
    return halves[0], halves[1]
