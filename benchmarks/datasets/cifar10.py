"""CIFAR-10 readers: the python pickle batches, JPEG tarballs, and the subset shipped in the package.

Only numpy, Pillow and the standard library: `reports`-style tools can read data without torch.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np

from benchmarks.datasets.images import ImageSet
from benchmarks.datasets.jpeg_tarball import BATCHES_DIR, error_reason, read_jpeg_splits, read_jpeg_tarball
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

# The batches were pickled by Python 2 with numpy arrays inside: rebuilding them needs exactly these globals.
# Both numpy module spellings map to the live function, so numpy>=2 never imports the deprecated numpy.core.
_RECONSTRUCT = np.ndarray((0,), np.uint8).__reduce_ex__(2)[0]
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _BatchUnpickler(pickle.Unpickler):
    """Refuses every global outside the allow-list: a user file must not be able to run code."""

    def __init__(self, file: io.BufferedIOBase, path: Path) -> None:
        super().__init__(file, encoding="bytes")  # Python 2 str -> bytes, as in the official loading snippet
        self._path = path

    def find_class(self, module: str, name: str) -> object:
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise NashError(
                f"{self._path}: refusing to unpickle {module}.{name}; a CIFAR-10 batch holds only numpy arrays, "
                f"lists and strings, so this is not a genuine batch file: re-download CIFAR-10 (python), {_DOWNLOAD}"
            )
        return found


def _load_pickle(path: Path) -> dict[bytes, object]:
    if not path.is_file():
        raise NashError(
            f"{path} is missing: a {BATCHES_DIR} folder needs data_batch_1..5, test_batch and batches.meta; "
            f"re-extract cifar-10-python.tar.gz from {_DOWNLOAD}"
        )
    try:
        with path.open("rb") as f:
            obj = _BatchUnpickler(f, path).load()
    except NashError:
        raise
    except Exception as exc:  # a truncated/corrupt pickle fails in many ways (EOF, bad opcode, bad array state)
        raise NashError(
            f"{path} is not a readable CIFAR-10 pickle ({error_reason(exc)}); "
            f"re-extract cifar-10-python.tar.gz from {_DOWNLOAD}"
        ) from None
    if not isinstance(obj, dict):
        raise NashError(f"{path} holds a {type(obj).__name__}, expected a CIFAR-10 batch dict; re-extract it")
    return {(k.encode() if isinstance(k, str) else k): v for k, v in obj.items()}


def _read_batch(path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    batch = _load_pickle(path)
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        got = f"{data.shape} {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise NashError(f"{path}: expected b'data' as an (N, 3072) uint8 array, got {got}; re-extract the file")
    try:
        label_array = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        label_array = np.empty(0, dtype=np.int64)
    if label_array.shape != (data.shape[0],) or (
        label_array.size and not 0 <= label_array.min() <= label_array.max() < num_classes
    ):
        raise NashError(
            f"{path}: expected b'labels' as {data.shape[0]} integers in [0, {num_classes}); re-extract the file"
        )
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # channel-planar R, G, B -> NHWC
    return images, label_array


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
