"""Decode + augment throughput of the streamed ImageNet batches (images/s), by number of decoding threads.

Writes `--images` synthetic 500x375 JPEGs (ImageNet's typical size; smooth colour fields plus noise,
quality 90, so files are photo-sized) into a temporary class-folder tree, or reads the first
`--images` files of a real ImageNet `train/` with `--folder DIR` (the `imagenet/` folder). Then times
one epoch of StreamedImageBatches (the consumer does nothing, so this is the loader's ceiling) for
the training view (random-resized crop, flip, colour jitter, normalise) and the test view (resize
256, centre crop), with 1 thread and with the default pool size.

    python scripts/bench_imagenet_stream.py [--images 256] [--resolution 224] [--batch-size 64] [--folder DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets.catalog import get_dataset  # noqa: E402
from benchmarks.datasets.imagenet_stream import (  # noqa: E402
    ImageFiles,
    StreamedImageBatches,
    default_workers,
    imagenet_train_val_files,
)

CLASSES = 8


def write_jpegs(folder: Path, count: int, seed: int = 0) -> None:
    """`count` 500x375 RGB JPEGs in CLASSES class folders: upsampled random colour fields + pixel noise."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        coarse = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize((500, 375), Image.BICUBIC)
        noisy = np.asarray(coarse, dtype=np.int16) + rng.normal(0, 10, (375, 500, 3)).astype(np.int16)
        class_dir = folder / "train" / f"n{i % CLASSES:08d}"
        class_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(class_dir / f"img_{i:05d}.JPEG", quality=90)
    for c in range(CLASSES):  # val/ must exist for the reader; one image per class is enough
        (folder / "val" / f"n{c:08d}").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (500, 375)).save(folder / "val" / f"n{c:08d}" / "img.JPEG")


def images_per_second(files: ImageFiles, batch_size: int, workers: int, train: bool) -> float:
    spec = get_dataset("imagenet")
    batches = StreamedImageBatches(
        files, batch_size, torch.device("cpu"), spec.mean, spec.std, seed=0, train=train, workers=workers
    )
    start = time.perf_counter()
    count = sum(int(y.shape[0]) for _x, y in batches.epoch())
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--folder", help="a real ImageNet folder (with train/ and val/) instead of synthetic JPEGs")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the normalisation is cheap; the threads that matter are the decoding ones
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder) if args.folder else Path(tmp) / "imagenet"
        if not args.folder:
            write_jpegs(folder, args.images)
        train, _val = imagenet_train_val_files(folder, args.resolution)
        files = train.subset(np.arange(min(args.images, len(train))))
        mean_kb = sum(p.stat().st_size for p in files.paths) / len(files) / 1024
        print(
            f"{len(files)} JPEGs ({'real' if args.folder else 'synthetic 500x375'}, mean {mean_kb:.0f} KB), "
            f"view {args.resolution} px, batch {args.batch_size}, {os.cpu_count()} CPU cores"
        )
        images_per_second(files, args.batch_size, default_workers(), train=True)  # warm the page cache
        print(f"{'view':<34} {'threads':>7} {'images/s':>9}")
        for label, train_view in (
            ("train (crop, flip, jitter, norm)", True),
            ("test (resize, centre crop, norm)", False),
        ):
            for workers in sorted({1, default_workers()}):
                rate = images_per_second(files, args.batch_size, workers, train_view)
                print(f"{label:<34} {workers:>7} {rate:>9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
