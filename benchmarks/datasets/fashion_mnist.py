"""Fashion-MNIST from its IDX files (`train-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`, ...).

IDX: two zero bytes, a type byte (0x08 = uint8), a byte with the number of dimensions, then one
big-endian uint32 per dimension, then the values. Images are (N, 28, 28), labels (N,) in 0..9.
Debian ships the files in `dataset-fashion-mnist` under /usr/share/datasets/fashion-mnist/.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from benchmarks.batches.images import ImageSet
from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import DATASET_FILE_LIMIT, read_bytes

FOLDER = "fashion-mnist"
SYSTEM_FOLDER = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD = "https://github.com/zalandoresearch/fashion-mnist (or apt-get install dataset-fashion-mnist)"
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
_FIX = f"re-download the four IDX files from {DOWNLOAD}"


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        if (folder / name).is_file():
            return folder / name
    raise NashError(f"{folder / stem}[.gz] is missing; {_FIX}")


def read_idx(path: Path, dims: int) -> np.ndarray:
    """The uint8 array in one IDX file (gzipped or not) with exactly `dims` dimensions."""
    try:
        raw = read_bytes(path, DATASET_FILE_LIMIT, "dataset file")
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise NashError(f"{path} is not a readable gzip file ({error_reason(exc)}); {_FIX}") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08 or raw[3] != dims:
        raise NashError(f"{path} is not a {dims}-dimensional uint8 IDX file (bad magic number {raw[:4].hex()}); {_FIX}")
    header = 4 + 4 * dims
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header], dtype=">u4")) if len(raw) >= header else ()
    if len(shape) != dims or len(raw) - header != int(np.prod(shape)):
        raise NashError(f"{path}: header says shape {shape}, but the file holds {len(raw) - header} values; {_FIX}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _read_split(folder: Path, prefix: str) -> ImageSet:
    images_path = _find(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path, 3), read_idx(labels_path, 1)
    if images.shape[1:] != (28, 28):
        raise NashError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28; {_FIX}")
    if len(labels) != len(images):
        raise NashError(f"{labels_path} has {len(labels)} labels for {len(images)} images in {images_path}; {_FIX}")
    if labels.size and labels.max() >= len(CLASSES):
        raise NashError(f"{labels_path}: label {labels.max()} is outside 0..9; {_FIX}")
    return ImageSet(images[..., None].copy(), labels.astype(np.int64), CLASSES)  # copy: frombuffer is read-only


def read_fashion_mnist(folder: str | os.PathLike[str]) -> tuple[ImageSet, ImageSet]:
    """(train 60k, test 10k), images (N, 28, 28, 1) uint8."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NashError(f"Fashion-MNIST folder {folder} does not exist; {_FIX}")
    return _read_split(folder, "train"), _read_split(folder, "t10k")
