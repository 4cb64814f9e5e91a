"""CIFAR-10 readers: the python pickle batches, JPEG tarballs, and the subset shipped in the package.

Only numpy, Pillow and the standard library: `reports`-style tools can read data without torch.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from benchmarks.datasets.images import CIFAR10_CLASSES, ImageSet
from benchmarks.errors import NashError

EMBEDDED_SUBSET = Path(__file__).resolve().parents[1] / "data" / "cifar10_subset.tar.gz"
BATCHES_DIR = "cifar-10-batches-py"
JPEG_TARBALLS = ("cifar10_jpeg_q75_train.tar.gz", "cifar10_jpeg_q75_test.tar.gz")
CACHE_DIR_ENV = "NASH_CACHE_DIR"
NO_CACHE_ENV = "NASH_NO_CACHE"
# Decoding takes ~80 us per JPEG: below this many images (<1 s) a cache costs more disk than it saves time.
CACHE_MIN_IMAGES = 10_000
_CACHE_VERSION = "1"
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


def _reason(exc: BaseException) -> str:
    """An exception as one short line for a NashError message."""
    if isinstance(exc, UnidentifiedImageError):  # its text is a BytesIO repr, useless to a user
        return "not an image Pillow can identify"
    return " ".join(f"{type(exc).__name__}: {exc}".split())


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
            f"{path} is not a readable CIFAR-10 pickle ({_reason(exc)}); "
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


# --- JPEG tarballs ---


def _read_members(path: Path) -> dict[str, list[tuple[int, str, bytes]]]:
    """split -> [(label, member name, jpeg bytes)] sorted by class then name, for a deterministic order."""
    found: dict[str, list[tuple[int, str, bytes]]] = {}
    other: list[str] = []
    label_of = {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # whole-file gunzip + in-memory tar: ~1.5x faster than streaming tarfile
            raw = gzip.decompress(raw)
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar:
                parts = member.name.split("/")
                if not member.isfile() or len(parts) < 3 or not parts[-1].lower().endswith((".jpg", ".jpeg")):
                    other.append(member.name)
                    continue
                split, cls = parts[-3], parts[-2]
                if cls not in label_of:
                    raise NashError(
                        f"{path}: member {member.name} is in class folder {cls!r}, expected one of "
                        f"{', '.join(CIFAR10_CLASSES)}; this is not a CIFAR-10 JPEG tarball"
                    )
                data = tar.extractfile(member).read()  # type: ignore[union-attr]  # isfile() checked
                found.setdefault(split, []).append((label_of[cls], member.name, data))
    except NashError:
        raise
    except Exception as exc:  # truncated gzip, bad tar header, unreadable file...
        raise NashError(
            f"{path} is not a readable .tar.gz ({_reason(exc)}); the file is truncated or corrupt: re-copy or "
            "re-download it"
        ) from None
    if not found:
        hint = (
            f"it looks like the original python tarball: extract it (tar xzf) and pass the {BATCHES_DIR} folder"
            if any(BATCHES_DIR in name for name in other)
            else "expected members train/<class>/NNNN.jpg and/or test/<class>/NNNN.jpg"
        )
        raise NashError(f"{path} holds no CIFAR-10 JPEG images; {hint}")
    return {split: sorted(entries) for split, entries in found.items()}


def _decode(path: Path, entries: list[tuple[int, str, bytes]]) -> ImageSet:
    images = np.empty((len(entries), 32, 32, 3), dtype=np.uint8)
    for i, (_, name, data) in enumerate(entries):
        try:
            with Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
                array = np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
        except Exception as exc:  # Pillow raises OSError, SyntaxError or ValueError for broken images
            raise NashError(
                f"{path}: member {name} is not a readable JPEG ({_reason(exc)}); re-copy the tarball"
            ) from None
        if array.shape != (32, 32, 3):
            raise NashError(f"{path}: member {name} is {array.shape[1]}x{array.shape[0]}, expected 32x32 RGB")
        images[i] = array
    labels = np.fromiter((label for label, _, _ in entries), dtype=np.int64, count=len(entries))
    return ImageSet(images, labels, CIFAR10_CLASSES)


def _cache_file(path: Path) -> tuple[Path, str] | None:
    """(cache file, key) for a tarball; the key changes when the file is moved, rewritten or resized."""
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    stat = path.stat()
    key = f"v{_CACHE_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    base = Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "nash")
    return base / f"jpeg-{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz", key


def _cache_load(file: Path, key: str) -> dict[str, ImageSet] | None:
    try:
        with np.load(file, allow_pickle=False) as archive:
            if str(archive["key"]) != key:
                return None
            splits = [name[: -len("_images")] for name in archive.files if name.endswith("_images")]
            return {s: ImageSet(archive[f"{s}_images"], archive[f"{s}_labels"], CIFAR10_CLASSES) for s in splits}
    except Exception:  # missing, partial or corrupt cache: silently rebuilt from the tarball
        return None


def _cache_save(file: Path, key: str, sets: dict[str, ImageSet]) -> None:
    arrays = {f"{s}_{kind}": getattr(d, kind) for s, d in sets.items() for kind in ("images", "labels")}
    tmp = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, prefix=f".{file.stem}.", suffix=".tmp", delete=False) as f:
            tmp = Path(f.name)
            np.savez(f, key=np.array(key), **arrays)
        os.replace(tmp, file)  # atomic: a concurrent reader sees the old file or the complete new one
    except OSError:  # read-only or full disk: the cache is an optimisation only
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def read_jpeg_splits(path: str | os.PathLike[str]) -> dict[str, ImageSet]:
    """Every split (top folder: train/test) of a CIFAR-10 JPEG tarball; large ones are cached decoded."""
    path = Path(path)
    if not path.is_file():
        raise NashError(f"{path} does not exist; pass a CIFAR-10 JPEG tarball ({_LAYOUTS})")
    cache = _cache_file(path)
    if cache is not None and (cached := _cache_load(*cache)) is not None:
        return cached
    sets = {split: _decode(path, entries) for split, entries in _read_members(path).items()}
    if cache is not None and sum(len(s) for s in sets.values()) >= CACHE_MIN_IMAGES:
        _cache_save(*cache, sets)
    return sets


def read_jpeg_tarball(path: str | os.PathLike[str], split: str | None = None) -> ImageSet:
    """The images of one split of a JPEG tarball; `split` may be left out when the tarball holds only one."""
    sets = read_jpeg_splits(path)
    if split is None:
        if len(sets) != 1:
            raise NashError(f"{path} holds the splits {sorted(sets)}; name the one you want (split='train' or 'test')")
        return next(iter(sets.values()))
    if split not in sets:
        raise NashError(f"{path} has no {split}/ images (it holds {sorted(sets)}); pass the {split} tarball")
    return sets[split]


# --- entry points ---


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
