"""CIFAR-10 as JPEG tarballs (members `<split>/<class>/NNNN.jpg`), with a cache of decoded arrays.

Decoding the 50k train JPEGs takes ~5 s, so large tarballs are cached as one `.npz` keyed by the
tarball's path, size and mtime (under `$NASH_CACHE_DIR` or `~/.cache/nash`; `NASH_NO_CACHE=1`
turns it off); the cache file is replaced atomically and silently rebuilt when unreadable.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.batches.images import CIFAR10_CLASSES, ImageSet
from benchmarks.errors import NashError, error_reason  # noqa: F401  (re-exported)
from benchmarks.safe_files import DATASET_FILE_LIMIT, read_bytes

CACHE_DIR_ENV = "NASH_CACHE_DIR"
NO_CACHE_ENV = "NASH_NO_CACHE"
# Decoding takes ~80 us per JPEG: below this many images (<1 s) a cache costs more disk than it saves time.
CACHE_MIN_IMAGES = 10_000
_CACHE_VERSION = "1"
# The original python tarball holds this folder: a hint when someone passes it instead.
BATCHES_DIR = "cifar-10-batches-py"
TARBALL_LAYOUT = "a .tar.gz of train/<class>/*.jpg and test/<class>/*.jpg members"


# --- JPEG tarballs ---


def _read_members(path: Path) -> dict[str, list[tuple[int, str, bytes]]]:
    """split -> [(label, member name, jpeg bytes)] sorted by class then name, for a deterministic order."""
    found: dict[str, list[tuple[int, str, bytes]]] = {}
    other: list[str] = []
    label_of = {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    try:
        raw = read_bytes(path, DATASET_FILE_LIMIT, "dataset file")
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
            f"{path} is not a readable .tar.gz ({error_reason(exc)}); the file is truncated or corrupt: re-copy or "
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
                f"{path}: member {name} is not a readable JPEG ({error_reason(exc)}); re-copy the tarball"
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
        raise NashError(f"{path} does not exist; pass a CIFAR-10 JPEG tarball ({TARBALL_LAYOUT})")
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
