"""A labelled set of images held as plain numpy arrays (no torch): in memory or memory-mapped."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.errors import NashError

CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


# eq=False: the generated __eq__ would compare arrays element-wise and fail on truth-testing.
@dataclass(frozen=True, eq=False)
class ImageSet:
    """`images` (N, H, W, C) uint8 with C = 1 (grey) or 3 (RGB), `labels` (N,) int64 indexes into `classes`.

    `images` may be an `np.memmap` (the ImageNet cache); `subset` then copies only the chosen rows.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        # Programming errors, not user errors: the readers validate user files before building a set.
        if self.images.ndim != 4 or self.images.shape[3] not in (1, 3) or self.images.dtype != np.uint8:
            raise ValueError(f"images must be (N, H, W, 1 or 3) uint8, got {self.images.shape} {self.images.dtype}")
        if self.labels.shape != (self.images.shape[0],) or self.labels.dtype != np.int64:
            raise ValueError(
                f"labels must be ({self.images.shape[0]},) int64, got {self.labels.shape} {self.labels.dtype}"
            )

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, indices: np.ndarray) -> ImageSet:
        """The images at `indices` (in that order), same classes."""
        idx = np.asarray(indices, dtype=np.int64)
        return ImageSet(self.images[idx], self.labels[idx], self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of every image."""
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    def class_counts(self) -> np.ndarray:
        """Number of images per class, (len(classes),) int64."""
        return np.bincount(self.labels, minlength=len(self.classes)).astype(np.int64)


def require_classes(labels: np.ndarray, needed: int, what: str) -> None:
    """Refuse labels that do not cover exactly classes 0..needed-1, the outputs of the benchmark's network.

    A dataset folder holding fewer classes (a filtered copy, ten ImageNet classes for a 1000-class
    benchmark) would otherwise train and search to the end on a task other than the benchmark's.
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= needed):
        raise NashError(
            f"{what} has label {labels.max()}, but the benchmark predicts {needed} classes (0..{needed - 1})"
        )
    present = np.unique(labels)
    if present.size < needed:
        missing = sorted(set(range(needed)) - set(present.tolist()))
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise NashError(
            f"{what} covers {present.size} of the {needed} classes the benchmark needs (none of class {shown}); "
            "point --data or --data-root at the complete dataset"
        )
