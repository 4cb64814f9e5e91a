"""Paired (weight batch, arch batch) iteration for bi-level search, with the data resident on the device.

The images are converted to one uint8 tensor on the device once (memory-mapped sets stay on disk
and are gathered per batch); a batch is an index gather plus crop/flip/normalise on the device,
so there are no worker processes and no per-step host copies of pixels. Orders come from a CPU
torch.Generator (identical streams on every device type) and augmentation from a generator on
the data's device; both are in `state_dict()`, so a resumed run draws exactly the batches the
uninterrupted run would have drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from benchmarks.batches.arch_sampling import ARCH_SAMPLINGS, EPOCH_PASS, PER_IMAGE
from benchmarks.batches.augment import CIFAR10_MEAN, CIFAR10_STD, cutout, normalize, random_crop_flip
from benchmarks.batches.images import ImageSet
from benchmarks.errors import NashError

Batch = tuple[torch.Tensor, torch.Tensor]  # (x float32 normalised NCHW, y int64)

# Offset so the augmentation stream differs from the order stream under the same run seed.
_AUGMENT_SEED_OFFSET = 0x5EED


class _DeviceImages:
    """One ImageSet as uint8 NHWC images + int64 labels, on the device when the set is in memory.

    A memory-mapped set (the ImageNet cache, too big for RAM) stays on disk: each batch gathers its
    rows from the map and only that batch moves to the device. Pixels stay NHWC until a batch is
    drawn, so a map is never copied whole; the NCHW permute happens on the gathered batch.
    """

    def __init__(self, images: ImageSet, device: torch.device, pin_memory: bool, channels_last: bool) -> None:
        self.mapped = isinstance(images.images, np.memmap)
        # Page-locked staging only helps (and only works) for copies to a GPU.
        self.pin = pin_memory and self.mapped and device.type == "cuda"
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.x = torch.from_numpy(images.images) if self.mapped else torch.from_numpy(images.images).to(device)
        self.y = torch.from_numpy(images.labels).to(device)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def gather(self, idx: torch.Tensor, device: torch.device) -> torch.Tensor:
        """(B, C, H, W) float32 in [0, 1] on `device`."""
        if self.mapped:
            rows = self.x[idx.cpu()]
            rows = (rows.pin_memory() if self.pin else rows).to(device, non_blocking=True)
        else:
            rows = self.x[idx.to(device)]
        # The NHWC rows permuted are already channels-last: that layout costs no copy here.
        return rows.permute(0, 3, 1, 2).contiguous(memory_format=self.memory_format).float().div_(255.0)


class PairedBatches:
    """Yields (train_batch, val_batch) pairs: weights learn from `weight_set`, architecture from `arch_set`.

    One epoch is one pass over `weight_set` in a fresh random order. The val batches are drawn from
    `arch_set` by `arch_sampling` (`benchmarks.batches.arch_sampling`): `per_image` (each image with
    replacement, NB201's loop), `per_batch` (each batch a fresh sample of distinct images, quark0's) or
    `epoch_pass` (one random order, reshuffled and cycled when it runs out); a val batch always has the
    same size as its train batch. NAS-Bench-201's search augments both halves with the training
    transform, hence `augment_val=True` by default. `drop_last=False` keeps the final partial batch,
    as a default PyTorch DataLoader does. `pin_memory` stages memory-mapped batches in page-locked
    memory for a non-blocking copy to the GPU; `channels_last` hands out NHWC-strided images. `cutout` > 0
    zeroes one cutout x cutout square of every augmented image after normalisation (RobustDARTS' search
    transform, applied to both halves as there); 0 = off.
    """

    def __init__(
        self,
        weight_set: ImageSet,
        arch_set: ImageSet,
        batch_size: int,
        device: torch.device | str,
        seed: int,
        augment: bool = True,
        augment_val: bool = True,
        drop_last: bool = False,
        mean: tuple[float, ...] = CIFAR10_MEAN,
        std: tuple[float, ...] = CIFAR10_STD,
        padding: int | None = None,
        pin_memory: bool = False,
        channels_last: bool = False,
        cutout: int = 0,
        arch_sampling: str = PER_IMAGE,
    ) -> None:
        if batch_size < 1:
            raise NashError(f"batch_size must be at least 1, got {batch_size}; set a positive batch size")
        if len(weight_set) == 0 or len(arch_set) == 0:
            raise NashError(
                f"the search split is empty ({len(weight_set)} weight / {len(arch_set)} arch images); use more data"
            )
        if drop_last and len(weight_set) < batch_size:
            raise NashError(
                f"batch_size {batch_size} exceeds the {len(weight_set)} weight-half images, so drop_last leaves "
                "no batch; lower the batch size or use more data"
            )
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.augment = augment
        self.augment_val = augment_val
        self.drop_last = drop_last
        if cutout < 0:
            raise NashError(f"data.cutout must be >= 0 (0 = off), got {cutout}")
        self.cutout = cutout
        if arch_sampling not in ARCH_SAMPLINGS:
            raise NashError(f"data.arch_sampling must be one of {', '.join(ARCH_SAMPLINGS)}, got {arch_sampling!r}")
        self.arch_sampling = arch_sampling
        if weight_set.image_shape != arch_set.image_shape:
            raise NashError(f"weight images are {weight_set.image_shape}, arch images {arch_set.image_shape}")
        height, _, channels = weight_set.image_shape
        if len(mean) != channels or len(std) != channels:
            raise NashError(f"{channels}-channel images need {channels} mean/std values, got {len(mean)}/{len(std)}")
        # Pad-4 for 32x32 (the CIFAR recipe) scales with the image: 2 for 16x16, 3 for 28x28.
        self.padding = height // 8 if padding is None else padding
        self._weight = _DeviceImages(weight_set, self.device, pin_memory, channels_last)
        self._arch = _DeviceImages(arch_set, self.device, pin_memory, channels_last)
        self._mean = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, channels, 1, 1)
        self._std = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, channels, 1, 1)
        self._order = torch.Generator(device="cpu").manual_seed(seed)
        self._augment = torch.Generator(device=self.device).manual_seed(seed + _AUGMENT_SEED_OFFSET)
        self.epochs_drawn = 0

    @property
    def steps_per_epoch(self) -> int:
        n = len(self._weight)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _val_order(self, count: int) -> torch.Tensor:
        """`count` arch indices, in batches of `batch_size` (the last one may be shorter), by `arch_sampling`."""
        n = len(self._arch)
        if self.arch_sampling == PER_IMAGE:
            return torch.randint(n, (count,), generator=self._order)
        if self.arch_sampling == EPOCH_PASS:
            return _cycled_permutation(n, count, self._order)
        sizes = [min(self.batch_size, count - start) for start in range(0, count, self.batch_size)]
        return torch.cat([_cycled_permutation(n, size, self._order) for size in sizes])

    def _batch(self, data: _DeviceImages, idx: torch.Tensor, augment: bool) -> Batch:
        x = data.gather(idx, self.device)
        if augment:
            x = random_crop_flip(x, self._augment, self.padding)
        x = normalize(x, self._mean, self._std)
        if augment and self.cutout:
            x = cutout(x, self.cutout, self._augment)
        x = x.contiguous(memory_format=data.memory_format)  # crop may undo it
        return x, data.y[idx.to(self.device)]

    def epoch(self) -> Iterator[tuple[Batch, Batch]]:
        """One pass over the weight half. Take `state_dict()` between epochs, not in the middle of one."""
        steps = self.steps_per_epoch
        # Both orders are drawn up front so the generator state after an epoch does not depend on
        # how far the consumer iterated.
        train_order = torch.randperm(len(self._weight), generator=self._order)[: steps * self.batch_size]
        val_order = self._val_order(len(train_order))
        self.epochs_drawn += 1
        for start in range(0, len(train_order), self.batch_size):
            stop = start + self.batch_size
            train = self._batch(self._weight, train_order[start:stop], self.augment)
            val = self._batch(self._arch, val_order[start:stop], self.augment_val)
            yield train, val

    def state_dict(self) -> dict[str, Any]:
        return {
            "order_rng": self._order.get_state(),
            "augment_rng": self._augment.get_state(),
            "epochs_drawn": self.epochs_drawn,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        # Generator states must be CPU byte tensors, even when a checkpoint was mapped onto the GPU.
        self._order.set_state(state["order_rng"].cpu())
        self._augment.set_state(state["augment_rng"].cpu())
        self.epochs_drawn = int(state["epochs_drawn"])


def _cycled_permutation(n: int, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` indices of range(n): fresh permutations concatenated, so a short set is cycled."""
    perms = [torch.randperm(n, generator=generator) for _ in range(-(-count // n))]
    return torch.cat(perms)[:count]
