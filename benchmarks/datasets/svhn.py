"""SVHN (cropped digits) from the official MATLAB files `train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`.

Each file is a MATLAB v5 .mat with `X` (32, 32, 3, N) uint8 and `y` (N, 1) labels 1..10, where
10 stands for the digit 0; we store digit d as class d. scipy.io reads the files (no pickle).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.io

from benchmarks.batches.images import ImageSet
from benchmarks.errors import NashError, error_reason

FOLDER = "svhn"
DOWNLOAD = "http://ufldl.stanford.edu/housenumbers/"
CLASSES = tuple(str(d) for d in range(10))
_FIX = f"re-download train_32x32.mat / test_32x32.mat (/ extra_32x32.mat) from {DOWNLOAD}"


def read_svhn_mat(path: Path) -> ImageSet:
    """One SVHN .mat file as (N, 32, 32, 3) uint8 images with labels 0..9."""
    if not path.is_file():
        raise NashError(f"{path} is missing; {_FIX}")
    try:
        mat = scipy.io.loadmat(path, variable_names=("X", "y"))
    except Exception as exc:  # truncated file, not a .mat, unsupported version...
        raise NashError(f"{path} is not a readable MATLAB file ({error_reason(exc)}); {_FIX}") from None
    x, y = mat.get("X"), mat.get("y")
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        got = f"{x.shape} {x.dtype}" if isinstance(x, np.ndarray) else "nothing"
        raise NashError(f"{path}: expected 'X' as a (32, 32, 3, N) uint8 array, got {got}; {_FIX}")
    count = x.shape[3]
    if not isinstance(y, np.ndarray) or y.size != count or not np.issubdtype(y.dtype, np.number):
        raise NashError(f"{path}: expected 'y' as {count} labels to match 'X'; {_FIX}")
    raw = y.reshape(-1)
    if count and (raw.min() < 1 or raw.max() > 10 or not np.array_equal(raw, np.round(raw))):
        raise NashError(f"{path}: expected 'y' labels in 1..10 (10 = digit 0), found {raw.min()}..{raw.max()}; {_FIX}")
    labels = raw.astype(np.int64) % 10  # 10 -> 0, 1..9 unchanged
    images = np.ascontiguousarray(x.transpose(3, 0, 1, 2))  # MATLAB HWCN -> NHWC
    return ImageSet(images, labels, CLASSES)


def read_svhn(folder: str | os.PathLike[str], extra: bool = False) -> tuple[ImageSet, ImageSet]:
    """(train, test); `extra=True` appends the 531k `extra` images to train, as some protocols do."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NashError(f"SVHN folder {folder} does not exist; {_FIX}")
    train = read_svhn_mat(folder / "train_32x32.mat")
    if extra:
        more = read_svhn_mat(folder / "extra_32x32.mat")
        images, labels = np.concatenate([train.images, more.images]), np.concatenate([train.labels, more.labels])
        train = ImageSet(images, labels, CLASSES)
    return train, read_svhn_mat(folder / "test_32x32.mat")
