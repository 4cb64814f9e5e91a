"""ImageNet for training evaluation networks: file lists, and batches decoded from JPEG while the previous one trains.

The 1.28M training images do not fit in memory at 224 px (~190 GB as uint8), so the train set is
streamed: every epoch reads the files in a fresh shuffled order, a small thread pool decodes and
augments them (Pillow releases the GIL while decoding and resizing), and the next `prefetch` batches
are being prepared while the current one trains. The val set (the test set, ImageNet convention) is
streamed in file order with the centre-crop view.

Exact resume: the only state is one seeded NumPy generator. At the start of a training epoch it
draws the order and an epoch key; batch b's random crop/flip/jitter draws come from a generator
seeded by (epoch key, b), drawn in the main thread before its images are handed to the pool, so the
pixels do not depend on thread timing, and `state_dict()` between epochs (when evaluate.py
checkpoints) restores the exact batches of every later epoch.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.batches.augment import normalize
from benchmarks.datasets import imagenet_transforms
from benchmarks.datasets.imagenet import list_class_folders, val_entries
from benchmarks.errors import NashError

_STREAM = 11  # generator stream of the training order (the search subsets use 10)
MAX_WORKERS = 8

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class ImageFiles:
    """Labelled image files (no pixels in memory) viewed at `resolution`: ImageSet's interface for batching."""

    paths: tuple[Path, ...]
    labels: np.ndarray  # (N,) int64 indexes into classes
    classes: tuple[str, ...]
    resolution: int

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.resolution, self.resolution, 3)

    def subset(self, indices: np.ndarray) -> ImageFiles:
        idx = np.asarray(indices, dtype=np.int64)
        return ImageFiles(tuple(self.paths[i] for i in idx), self.labels[idx], self.classes, self.resolution)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=len(self.classes)).astype(np.int64)


def _files(entries: Sequence[tuple[int, Path]], classes: tuple[str, ...], resolution: int) -> ImageFiles:
    labels = np.array([label for label, _ in entries], dtype=np.int64)
    return ImageFiles(tuple(path for _, path in entries), labels, classes, resolution)


def imagenet_train_val_files(folder: str | os.PathLike[str], resolution: int = 224) -> tuple[ImageFiles, ImageFiles]:
    """(train/, val/) of an ImageNet folder as file lists; labels are the sorted wnids of train/."""
    if resolution < 8:
        raise NashError(f"the ImageNet resolution must be at least 8 px, got {resolution}")
    classes, per_class = list_class_folders(Path(folder) / "train")
    train = [(label, path) for label, files in enumerate(per_class) for path in files]
    return _files(train, classes, resolution), _files(val_entries(folder, classes), classes, resolution)


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


class StreamedImageBatches:
    """EvalBatches' interface over ImageFiles: `epoch()` yields normalised (x, y) batches on `device`.

    train=True: shuffled, random-resized crop + flip + colour jitter; train=False: file order, centre
    crop. `workers` threads decode; `prefetch` batches beyond the current one are decoded ahead.
    """

    def __init__(
        self, files: ImageFiles, batch_size: int, device: torch.device, mean: Sequence[float], std: Sequence[float],
        seed: int = 0, train: bool = False, workers: int | None = None, prefetch: int = 2,
    ) -> None:  # fmt: skip
        if batch_size < 1:
            raise NashError(f"batch_size must be at least 1, got {batch_size}")
        if len(files) == 0:
            raise NashError("the evaluation data set is empty; use more data")
        if prefetch < 0:
            raise NashError(f"prefetch must be 0 or more batches, got {prefetch}")
        self.files = files
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.mean, self.std = tuple(mean), tuple(std)
        self.train = train
        self.workers = workers or default_workers()
        self.prefetch = prefetch
        self._rng = np.random.default_rng([seed, _STREAM])

    def __len__(self) -> int:
        return -(-len(self.files) // self.batch_size)

    def epoch(self) -> Iterator[Batch]:
        n = len(self.files)
        # Drawn up front, so the generator's state after an epoch does not depend on how far it was read.
        order = self._rng.permutation(n) if self.train else np.arange(n)
        epoch_key = int(self._rng.integers(2**63)) if self.train else 0
        starts = range(0, n, self.batch_size)
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="imagenet-decode")
        pending: deque[tuple[np.ndarray, np.ndarray, list[Future]]] = deque()
        try:
            for b in range(len(starts)):
                while len(pending) <= self.prefetch and b + len(pending) < len(starts):
                    ahead = b + len(pending)
                    idx = order[starts[ahead] : starts[ahead] + self.batch_size]
                    pending.append(self._submit(pool, idx, epoch_key, ahead))
                idx, pixels, futures = pending.popleft()
                for future in futures:
                    future.result()  # re-raises a worker's NashError (a broken file) here
                yield self._to_device(pixels), torch.from_numpy(self.files.labels[idx]).to(self.device)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, pool: ThreadPoolExecutor, idx: np.ndarray, epoch_key: int, batch: int):
        """Hand one batch's images to the pool; they are written into one (B, H, W, 3) uint8 array."""
        resolution = self.files.resolution
        pixels = np.empty((len(idx), resolution, resolution, 3), dtype=np.uint8)
        paths = self.files.paths
        if self.train:
            draws = np.random.default_rng([epoch_key, batch]).random((len(idx), imagenet_transforms.DRAWS_PER_IMAGE))

            def fill(k: int) -> None:
                pixels[k] = imagenet_transforms.train_view(paths[idx[k]], resolution, draws[k])
        else:

            def fill(k: int) -> None:
                pixels[k] = imagenet_transforms.centre_view(paths[idx[k]], resolution)

        return idx, pixels, [pool.submit(fill, k) for k in range(len(idx))]

    def _to_device(self, pixels: np.ndarray) -> torch.Tensor:
        batch = torch.from_numpy(pixels)
        if self.device.type == "cuda":
            batch = batch.pin_memory()
        x = batch.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
        return normalize(x, self.mean, self.std).contiguous()

    def state_dict(self) -> dict[str, Any]:
        """The generator state; taken between epochs, it fixes every later epoch's batches."""
        return {"stream_rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state["stream_rng"]
