"""ImageNet16-120 (NAS-Bench-201): 16x16 downsampled ImageNet restricted to its first 120 classes.

The folder (NB201 calls it `ImageNet16`) holds the pickles `train_data_batch_1` .. `_10` and
`val_data` of the downsampled ImageNet release (Chrabaszcz et al., 2017): dicts with `data`
(N, 768) uint8 rows, channel-planar (R plane, G plane, B plane, each 16x16 row-major), and
`labels` 1..1000. NB201 keeps labels 1..120 and uses 0..119. `val_data` is the test set that
NB201 cuts into x-valid / x-test (see `split.xvalid_xtest_halves`, `cifar100.py` for the caveat).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmarks.batches.images import ImageSet
from benchmarks.batches.split import read_split_file, xvalid_xtest_halves
from benchmarks.datasets.safe_pickle import int_labels, load_dict_pickle, uint8_rows
from benchmarks.errors import NashError

FOLDER = "ImageNet16"
SPLIT_FILE = "imagenet-16-120-test-split.txt"  # NB201's file name; optional
NUM_CLASSES = 120
TRAIN_FILES = tuple(f"train_data_batch_{i}" for i in range(1, 11))
DOWNLOAD = "https://image-net.org/download-images (Downsampled ImageNet 16x16, or NB201's ImageNet16 archive)"
_FIX = f"re-download the 16x16 downsampled ImageNet pickles ({DOWNLOAD})"
_SIDE = 16


def read_imagenet16_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images (M, 16, 16, 3) uint8, labels 0..119) of the rows of one pickle whose label is in 1..120."""
    batch = load_dict_pickle(path, "downsampled-ImageNet pickle", _FIX)
    data = uint8_rows(batch, b"data", 3 * _SIDE * _SIDE, path, _FIX)
    labels = int_labels(batch, b"labels", data.shape[0], 1, 1001, path, _FIX)
    keep = labels <= NUM_CLASSES
    rows = data[keep].reshape(-1, 3, _SIDE, _SIDE).transpose(0, 2, 3, 1)  # channel-planar -> NHWC
    return np.ascontiguousarray(rows), labels[keep] - 1


def read_imagenet16_120(folder: str | os.PathLike[str]) -> tuple[ImageSet, ImageSet]:
    """(train ~151.7k, test 6k) of ImageNet16-120, images (N, 16, 16, 3)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NashError(
            f"ImageNet16 folder {folder} does not exist; it needs {', '.join(TRAIN_FILES[:1])}..10 and val_data; {_FIX}"
        )
    classes = tuple(f"class{c:03d}" for c in range(1, NUM_CLASSES + 1))  # the pickles carry no class names
    parts = [read_imagenet16_file(folder / name) for name in TRAIN_FILES]
    train = ImageSet(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), classes)
    test = ImageSet(*read_imagenet16_file(folder / "val_data"), classes)
    for name, part in (("train batches", train), ("val_data", test)):
        if len(part) == 0:
            raise NashError(f"{folder}: the {name} hold no image of classes 1..{NUM_CLASSES}; {_FIX}")
    return train, test


def imagenet16_test_halves(folder: str | os.PathLike[str], labels: np.ndarray, seed: int = 0):
    """(x-valid, x-test) indices into the 120-class test set: the official file when present, else ours."""
    path = Path(folder) / SPLIT_FILE
    return read_split_file(path, len(labels)) if path.is_file() else xvalid_xtest_halves(labels, seed)
