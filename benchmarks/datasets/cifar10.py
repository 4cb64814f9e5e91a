"""CIFAR-10 readers: the python pickle batches, JPEG tarballs, and the subset shipped in the package.

Only numpy, Pillow and the standard library: `reports`-style tools can read data without torch.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmarks.batches.images import ImageSet
from benchmarks.datasets.jpeg_tarball import BATCHES_DIR, read_jpeg_splits, read_jpeg_tarball
from benchmarks.datasets.safe_pickle import int_labels, load_dict_pickle, uint8_rows
from benchmarks.errors import NashError

EMBEDDED_SUBSET = Path(__file__).resolve().parents[1] / "data" / "cifar10_subset.tar.gz"
JPEG_TARBALLS = ("cifar10_jpeg_q75_train.tar.gz", "cifar10_jpeg_q75_test.tar.gz")
_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_DOWNLOAD = "https://www.cs.toronto.edu/~kriz/cifar.html"
_LAYOUTS = (
    "accepted: a cifar-10-batches-py folder (data_batch_1..5, test_batch, batches.meta), a folder containing one, "
    "a folder with a *train*.tar.gz and a *test*.tar.gz JPEG tarball (train/<class>/*.jpg, test/<class>/*.jpg), "
    "or one .tar.gz holding both train/ and test/"
)

# --- python pickle batches ---

_FIX = f"re-extract cifar-10-python.tar.gz from {_DOWNLOAD}"
_MISSING = f"a {BATCHES_DIR} folder needs data_batch_1..5, test_batch and batches.meta; {_FIX}"


def _load_pickle(path: Path) -> dict[bytes, object]:
    return load_dict_pickle(path, "CIFAR-10 pickle", _MISSING if not path.is_file() else _FIX)


def _read_batch(path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    batch = _load_pickle(path)
    data = uint8_rows(batch, b"data", 3 * 32 * 32, path, _FIX)
    labels = int_labels(batch, b"labels", data.shape[0], 0, num_classes, path, _FIX)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # channel-planar R, G, B -> NHWC
    return images, labels


def _read_meta(path: Path) -> tuple[str, ...]:
    names = _load_pickle(path).get(b"label_names")
    if not isinstance(names, list) or len(names) != 10 or not all(isinstance(n, bytes | str) for n in names):
        raise NashError(f"{path}: expected b'label_names' as a list of 10 class names; re-extract the file")
    return tuple(n.decode("ascii", "replace") if isinstance(n, bytes) else n for n in names)


def read_cifar10_batches(root: str | os.PathLike[str]) -> tuple[ImageSet, ImageSet]:
    """(train 50k, test 10k) from a `cifar-10-batches-py` folder, read with an allow-listed unpickler."""
    root = Path(root)
    if not root.is_dir():
        raise NashError(f"{root} is not a folder; pass the extracted {BATCHES_DIR} folder ({_DOWNLOAD})")
    classes = _read_meta(root / "batches.meta")
    parts = [_read_batch(root / name, len(classes)) for name in _TRAIN_BATCHES]
    train_images = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
    train = ImageSet(train_images, np.concatenate([p[1] for p in parts]), classes)
    test_images, test_labels = _read_batch(root / "test_batch", len(classes))
    return train, ImageSet(np.ascontiguousarray(test_images), test_labels, classes)


def _train_test(sets: dict[str, ImageSet], path: Path) -> tuple[ImageSet, ImageSet]:
    missing = [s for s in ("train", "test") if s not in sets]
    if missing:
        raise NashError(f"{path} has no {' or '.join(missing)}/ images; {_LAYOUTS}")
    return sets["train"], sets["test"]


def _tarball_pair(folder: Path) -> tuple[Path, Path] | None:
    standard = (folder / JPEG_TARBALLS[0], folder / JPEG_TARBALLS[1])
    if all(p.is_file() for p in standard):
        return standard
    tarballs = sorted(p for p in folder.glob("*.tar.gz") if p.is_file())
    train = [p for p in tarballs if "train" in p.name]
    test = [p for p in tarballs if "test" in p.name and p not in train]
    if not train and not test:
        return None
    if len(train) != 1 or len(test) != 1:
        names = ", ".join(p.name for p in tarballs)
        raise NashError(
            f"{folder} needs exactly one *train*.tar.gz and one *test*.tar.gz, found: {names}; remove extras"
        )
    return train[0], test[0]


def embedded_cifar10() -> tuple[ImageSet, ImageSet]:
    """The class-balanced subset shipped in the package: 5,000 train / 1,000 test JPEGs (see CIFAR10_SUBSET.md)."""
    if not EMBEDDED_SUBSET.is_file():
        raise NashError(
            f"the embedded CIFAR-10 subset {EMBEDDED_SUBSET} is missing; reinstall nash or rebuild it with "
            "scripts/build_cifar10_subset.py, or pass --data PATH to a full CIFAR-10 copy"
        )
    return _train_test(read_jpeg_splits(EMBEDDED_SUBSET), EMBEDDED_SUBSET)


def load_cifar10(source: str | os.PathLike[str] | None = None) -> tuple[ImageSet, ImageSet]:
    """(train, test). `source` None: the embedded subset; otherwise a path in one of the accepted layouts."""
    if source is None:
        return embedded_cifar10()
    path = Path(source).expanduser()
    if not path.exists():
        raise NashError(f"CIFAR-10 source {path} does not exist; {_LAYOUTS}")
    if path.is_file():
        if path.name.endswith((".tar.gz", ".tgz", ".tar")):
            return _train_test(read_jpeg_splits(path), path)
        raise NashError(f"{path} is not a CIFAR-10 source; {_LAYOUTS}")
    if any((path / name).exists() for name in ("batches.meta", "test_batch", *_TRAIN_BATCHES)):
        return read_cifar10_batches(path)
    if (path / BATCHES_DIR).is_dir():
        return read_cifar10_batches(path / BATCHES_DIR)
    pair = _tarball_pair(path)
    if pair is not None:
        return read_jpeg_tarball(pair[0], "train"), read_jpeg_tarball(pair[1], "test")
    raise NashError(f"{path} holds no CIFAR-10 data; {_LAYOUTS}")
