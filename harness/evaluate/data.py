"""Data of an evaluation run: the benchmark's train set (weights) and test set (test error), batched on the device.

CIFAR-10 `quick` reads the embedded subset (500 train / 100 test images per class, both real splits)
unless a dataset is given; everything else reads the dataset's own train/test files. ImageNet is too
large to hold in memory: its train/ and val/ (the test set) are file lists, streamed by
`StreamedImageBatches`; `eval_batches` picks the batch iterator that fits the data. Class-balanced
subsamples (`train_per_class`, `test_per_class`) are fixed by `SUBSAMPLE_SEED`, not by the run seed, so
every seed trains on the same images.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from benchmarks.batches.augment import cutout, normalize, random_crop_flip
from benchmarks.batches.images import ImageSet
from benchmarks.batches.split import subsample
from benchmarks.datasets.catalog import get_dataset, load_train_test
from benchmarks.datasets.cifar10 import load_cifar10
from benchmarks.datasets.imagenet_stream import ImageFiles, StreamedImageBatches, imagenet_train_val_files
from benchmarks.errors import NashError

SUBSAMPLE_SEED = 0
_AUGMENT_SEED_OFFSET = 0x5EED  # the augmentation stream differs from the order stream under one seed

Batch = tuple[torch.Tensor, torch.Tensor]


def load_eval_sets(
    dataset: str, source: str, train_per_class: int | None, test_per_class: int | None, resolution: int | None = None
):
    """(train, test) ImageSets of `dataset` read from `source` ("embedded" = the CIFAR-10 subset).

    ImageNet: ImageFiles of train/ and val/, viewed at `resolution` (default 224).
    """
    if dataset == "cifar10":
        train, test = load_cifar10(None if source == "embedded" else source)
    elif dataset in ("cifar100", "svhn"):
        train, test = load_train_test(dataset, source)
    elif dataset == "imagenet":
        train, test = imagenet_train_val_files(source, resolution or 224)
    else:
        raise NashError(
            f"training evaluation networks on {dataset} is not supported yet (its augmentation pipeline is "
            "missing); params and FLOPs of the network are available from benchmarks.darts.complexity"
        )
    return _subsample(train, train_per_class), _subsample(test, test_per_class)


def _subsample(images: ImageSet | ImageFiles, per_class: int | None) -> ImageSet | ImageFiles:
    return images if per_class is None else images.subset(subsample(images.labels, per_class, seed=SUBSAMPLE_SEED))


def eval_batches(
    images: ImageSet | ImageFiles, dataset: str, batch_size: int, device: torch.device, seed: int = 0,
    train: bool = False, cutout_length: int = 0,
) -> EvalBatches | StreamedImageBatches:  # fmt: skip
    """The batch iterator for `images`: in-memory EvalBatches, or StreamedImageBatches for file lists (ImageNet)."""
    if isinstance(images, ImageFiles):
        if cutout_length > 0:
            raise NashError("cutout is not part of the ImageNet training recipe; set cutout to 0")
        spec = get_dataset(dataset)
        return StreamedImageBatches(images, batch_size, device, spec.mean, spec.std, seed=seed, train=train)
    return EvalBatches(images, dataset, batch_size, device, seed, train=train, cutout_length=cutout_length)


class EvalBatches:
    """Batches of one ImageSet on the device: shuffled + crop/flip/cutout for training, in order for testing.

    Orders come from a CPU generator and augmentation from one on the data's device, seeded by the run
    seed; both are in `state_dict()`, so a resumed run draws the batches the uninterrupted one would.
    """

    def __init__(
        self, images: ImageSet, dataset: str, batch_size: int, device: torch.device, seed: int = 0,
        train: bool = False, cutout_length: int = 0,
    ) -> None:  # fmt: skip
        if batch_size < 1:
            raise NashError(f"batch_size must be at least 1, got {batch_size}")
        if len(images) == 0:
            raise NashError("the evaluation data set is empty; use more data")
        spec = get_dataset(dataset)
        self.device = device
        self.batch_size = batch_size
        self.train = train
        self.cutout_length = cutout_length
        self.padding = images.image_shape[0] // 8  # pad 4 at 32x32
        self.x = torch.from_numpy(images.images).to(device)  # uint8 NHWC
        self.y = torch.from_numpy(images.labels).to(device)
        self.mean, self.std = spec.mean, spec.std
        self._order = torch.Generator(device="cpu").manual_seed(seed)
        self._augment = torch.Generator(device=device).manual_seed(seed + _AUGMENT_SEED_OFFSET)

    def __len__(self) -> int:
        return -(-int(self.y.shape[0]) // self.batch_size)

    def epoch(self) -> Iterator[Batch]:
        n = int(self.y.shape[0])
        # The whole order is drawn up front, so the generator state after an epoch is fixed.
        order = torch.randperm(n, generator=self._order) if self.train else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size].to(self.device)
            x = self.x[idx].permute(0, 3, 1, 2).float().div_(255.0)
            if self.train:
                x = random_crop_flip(x, self._augment, self.padding)
            x = normalize(x, self.mean, self.std)
            if self.train and self.cutout_length > 0:
                x = cutout(x, self.cutout_length, self._augment)
            yield x, self.y[idx]

    def state_dict(self) -> dict[str, Any]:
        return {"order_rng": self._order.get_state(), "augment_rng": self._augment.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._order.set_state(state["order_rng"].cpu())
        self._augment.set_state(state["augment_rng"].cpu())
