"""ImageNet (ILSVRC-2012) from class folders, with the per-class search subsets and a memory-mapped cache.

Layout: `<folder>/train/<wnid>/*.JPEG` and `<folder>/val/<wnid>/*.JPEG` (the validation images
sorted into class folders, as most copies are). Labels are the sorted wnids of `train/`.

Search subsets (PC-DARTS / ROME protocol): from every class of `train/`, a fixed shuffle (seeded
by `seed` alone) gives the first `fraction` of its images to the weight subset and the next
`arch_fraction` to the arch subset, so the two are disjoint and class-balanced (10% + 10% by default;
PC-DARTS's released ImageNet search uses 10% + 2.5%). The weight subset does not depend on `arch_fraction`.

Images are decoded once at `resolution` (shorter side resized to it with bilinear filtering,
then the centre square cropped) into uint8 `.npy` files under `$NASH_CACHE_DIR` (default
~/.cache/nash) and opened memory-mapped: 10% of ImageNet at 224px is ~19 GB, more than RAM.
The cache is built in a temporary folder and renamed into place, so a failed or interrupted
build leaves nothing that a later run would read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.batches.images import ImageSet
from benchmarks.datasets.jpeg_tarball import CACHE_DIR_ENV
from benchmarks.errors import NashError, error_reason

FOLDER = "imagenet"
DOWNLOAD = "https://image-net.org/download-images (ILSVRC2012 train and val, val sorted into <wnid>/ folders)"
_FIX = f"expected {FOLDER}/train/<wnid>/*.JPEG and {FOLDER}/val/<wnid>/*.JPEG from {DOWNLOAD}"
_EXTENSIONS = (".jpeg", ".jpg", ".png")
_CACHE_VERSION = "1"
_SUBSET_STREAM = 10


def list_class_folders(split_dir: Path) -> tuple[tuple[str, ...], list[list[Path]]]:
    """(sorted class names, sorted image paths of each class)."""
    if not split_dir.is_dir():
        raise NashError(f"ImageNet folder {split_dir} does not exist; {_FIX}")
    classes = tuple(sorted(entry.name for entry in os.scandir(split_dir) if entry.is_dir()))
    files = [sorted(p for p in (split_dir / c).iterdir() if p.suffix.lower() in _EXTENSIONS) for c in classes]
    if not classes or not all(files):
        empty = next((c for c, f in zip(classes, files, strict=True) if not f), None)
        where = f"class folder {split_dir / empty}" if empty else split_dir
        raise NashError(f"{where} holds no images; {_FIX}")
    return classes, files


def search_subsets(
    per_class: list[list[Path]], fraction: float, seed: int, arch_fraction: float | None = None
) -> tuple[list, list]:
    """[(label, path)] of the weight and arch subsets: `fraction` and `arch_fraction` (default: the same)
    of every class, disjoint."""
    arch_fraction = fraction if arch_fraction is None else arch_fraction
    if not (0 < fraction and 0 < arch_fraction and fraction + arch_fraction <= 1):
        raise NashError(
            f"the ImageNet search fractions must be positive and sum to at most 1, got {fraction} and {arch_fraction}"
        )
    rng = np.random.default_rng([seed, _SUBSET_STREAM])
    weight, arch = [], []
    for label, files in enumerate(per_class):
        take = max(1, round(fraction * len(files)))
        take_arch = max(1, round(arch_fraction * len(files)))
        if take + take_arch > len(files):
            raise NashError(
                f"class {files[0].parent} has {len(files)} images, too few for {fraction:.1%} + {arch_fraction:.1%} "
                "subsets"
            )
        order = rng.permutation(len(files))
        weight += [(label, files[i]) for i in sorted(order[:take])]
        arch += [(label, files[i]) for i in sorted(order[take : take + take_arch])]
    return weight, arch


def decode_image(path: Path, resolution: int) -> np.ndarray:
    """(resolution, resolution, 3) uint8: shorter side resized to `resolution`, centre square cropped."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", (resolution, resolution))  # JPEG: let libjpeg downscale while decoding (much faster)
            im = im.convert("RGB")
            scale = resolution / min(im.size)
            size = (max(resolution, round(im.width * scale)), max(resolution, round(im.height * scale)))
            im = im.resize(size, Image.Resampling.BILINEAR)
            left, top = (size[0] - resolution) // 2, (size[1] - resolution) // 2
            return np.asarray(im.crop((left, top, left + resolution, top + resolution)))
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... for broken images
        raise NashError(f"{path} is not a readable image ({error_reason(exc)}); re-copy it or delete it") from None


def _cache_root() -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "nash")


def decode_cached(entries: list[tuple[int, Path]], classes: tuple[str, ...], resolution: int, tag: str) -> ImageSet:
    """The decoded images of `entries`, memory-mapped from the cache (built on first use)."""
    key = f"v{_CACHE_VERSION}|{resolution}|" + "|".join(f"{label}:{path.resolve()}" for label, path in entries)
    folder = _cache_root() / f"imagenet-{tag}-{resolution}px-{hashlib.sha256(key.encode()).hexdigest()[:20]}"
    if not (folder / "images.npy").is_file():
        _build_cache(folder, entries, resolution)
    images = np.load(folder / "images.npy", mmap_mode="c")  # copy-on-write: writable view, never written back
    labels = np.load(folder / "labels.npy")
    if images.shape != (len(entries), resolution, resolution, 3) or labels.shape != (len(entries),):
        shutil.rmtree(folder, ignore_errors=True)
        raise NashError(f"the ImageNet cache {folder} does not match its file list; it was removed, run again")
    return ImageSet(images, labels.astype(np.int64), classes)


def _build_cache(folder: Path, entries: list[tuple[int, Path]], resolution: int) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        shape = (len(entries), resolution, resolution, 3)
        images = np.lib.format.open_memmap(tmp / "images.npy", mode="w+", dtype=np.uint8, shape=shape)

        def fill(i: int) -> None:
            images[i] = decode_image(entries[i][1], resolution)

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # Pillow decodes without the GIL
            list(pool.map(fill, range(len(entries)), chunksize=64))
        images.flush()
        np.save(tmp / "labels.npy", np.array([label for label, _ in entries], dtype=np.int64))
        try:
            os.rename(tmp, folder)  # atomic; fails if another process finished the same cache first
        except OSError:
            if not (folder / "images.npy").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def imagenet_search_sets(
    folder: str | os.PathLike[str],
    resolution: int = 224,
    fraction: float = 0.1,
    seed: int = 0,
    arch_fraction: float | None = None,
):
    """(weight subset, arch subset) of ImageNet train, decoded at `resolution`, memory-mapped."""
    classes, per_class = list_class_folders(Path(folder) / "train")
    weight, arch = search_subsets(per_class, fraction, seed, arch_fraction)
    return decode_cached(weight, classes, resolution, "weight"), decode_cached(arch, classes, resolution, "arch")


def val_entries(folder: str | os.PathLike[str], classes: tuple[str, ...]) -> list[tuple[int, Path]]:
    """[(label, path)] of the validation images (val/<wnid>/), labelled by their index in `classes` (train/'s)."""
    val_classes, per_class = list_class_folders(Path(folder) / "val")
    unknown = sorted(set(val_classes) - set(classes))
    if unknown:
        raise NashError(f"{Path(folder) / 'val'} has class folders not in train/: {', '.join(unknown[:3])}; {_FIX}")
    label = {c: i for i, c in enumerate(classes)}
    return [(label[c], p) for c, files in zip(val_classes, per_class, strict=True) for p in files]


def imagenet_val(folder: str | os.PathLike[str], resolution: int = 224) -> ImageSet:
    """The 50k validation images (val/<wnid>/), labelled by the wnids of train/, memory-mapped."""
    classes, _ = list_class_folders(Path(folder) / "train")
    return decode_cached(val_entries(folder, classes), classes, resolution, "val")
