"""CIFAR-100 from the `cifar-100-python` folder (pickles `train`, `test`, `meta`), and its NB201 test halves.

NAS-Bench-201 trains on the 50k train set and splits the 10k test set into two halves, x-valid
and x-test (search: architecture on x-valid; report x-valid / x-test). Its official index lists
(`cifar100-test-split.txt`) are used when that file is in the folder; otherwise
`split.xvalid_xtest_halves` cuts every class in half by a fixed shuffle. That split is ours: same sizes
and class balance as the official one, but not the same images, so an x-valid accuracy
measured on it is not the table's x-valid.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmarks.batches.images import ImageSet
from benchmarks.batches.split import read_split_file, xvalid_xtest_halves
from benchmarks.datasets.safe_pickle import int_labels, load_dict_pickle, uint8_rows
from benchmarks.errors import NashError

FOLDER = "cifar-100-python"
SPLIT_FILE = "cifar100-test-split.txt"  # NB201's file name; optional
DOWNLOAD = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_FIX = f"re-extract {DOWNLOAD} (the folder {FOLDER} holds train, test and meta)"


def _read_meta(path: Path) -> tuple[str, ...]:
    names = load_dict_pickle(path, "CIFAR-100 pickle", _FIX).get(b"fine_label_names")
    if not isinstance(names, list) or len(names) != 100 or not all(isinstance(n, bytes | str) for n in names):
        raise NashError(f"{path}: expected b'fine_label_names' as a list of 100 class names; {_FIX}")
    return tuple(n.decode("ascii", "replace") if isinstance(n, bytes) else n for n in names)


def _read_part(path: Path, classes: tuple[str, ...]) -> ImageSet:
    batch = load_dict_pickle(path, "CIFAR-100 pickle", _FIX)
    data = uint8_rows(batch, b"data", 3 * 32 * 32, path, _FIX)
    labels = int_labels(batch, b"fine_labels", data.shape[0], 0, len(classes), path, _FIX)
    int_labels(batch, b"coarse_labels", data.shape[0], 0, 20, path, _FIX)  # a CIFAR-10 batch has none: caught here
    images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))  # channel-planar -> NHWC
    return ImageSet(images, labels, classes)


def read_cifar100(folder: str | os.PathLike[str]) -> tuple[ImageSet, ImageSet]:
    """(train 50k, test 10k) with the 100 fine labels."""
    folder = Path(folder)
    if (folder / FOLDER).is_dir():  # the parent of the folder is accepted too
        folder = folder / FOLDER
    if not folder.is_dir():
        raise NashError(f"CIFAR-100 folder {folder} does not exist; {_FIX}")
    classes = _read_meta(folder / "meta")
    return _read_part(folder / "train", classes), _read_part(folder / "test", classes)


def cifar100_test_halves(folder: str | os.PathLike[str], labels: np.ndarray, seed: int = 0):
    """(x-valid, x-test) indices into the test set: the official file when present, else our balanced halves."""
    folder = Path(folder)
    for candidate in (folder / SPLIT_FILE, folder / FOLDER / SPLIT_FILE):
        if candidate.is_file():
            return read_split_file(candidate, len(labels))
    return xvalid_xtest_halves(labels, seed)
