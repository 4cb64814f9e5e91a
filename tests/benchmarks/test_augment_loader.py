"""Batch augmentation and the paired (weight, arch) batch stream."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from benchmarks.batches.augment import CIFAR10_MEAN, CIFAR10_STD, normalize, random_crop_flip, to_tensor
from benchmarks.batches.images import CIFAR10_CLASSES, ImageSet
from benchmarks.batches.loader import PairedBatches
from benchmarks.errors import NashError


def test_to_tensor_and_normalize():
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    x = to_tensor(images, "cpu")
    assert x.shape == (2, 3, 32, 32) and x.dtype == torch.float32
    assert x[1, 2, 5, 7].item() == pytest.approx(images[1, 5, 7, 2] / 255)
    y = normalize(x, CIFAR10_MEAN, CIFAR10_STD)
    assert y[0, 1, 3, 4].item() == pytest.approx((x[0, 1, 3, 4].item() - CIFAR10_MEAN[1]) / CIFAR10_STD[1], rel=1e-5)


def reference_crop_flip(image: torch.Tensor, top: int, left: int, flip: bool, padding: int) -> torch.Tensor:
    crop = F.pad(image, (padding,) * 4)[:, top : top + 32, left : left + 32]
    return crop.flip(-1) if flip else crop


def test_crop_flip_matches_a_per_image_reference():
    x = torch.rand(32, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    out = random_crop_flip(x, torch.Generator().manual_seed(1), padding=4)
    assert out.shape == x.shape
    seen = set()
    for image, result in zip(x, out, strict=True):
        matches = [
            (top, left, flip)
            for top in range(9)
            for left in range(9)
            for flip in (False, True)
            if torch.equal(reference_crop_flip(image, top, left, flip, 4), result)
        ]
        assert len(matches) == 1, "every output is exactly one crop (and maybe mirror) of its own padded input"
        seen.add(matches[0])
    assert len(seen) > 16 and {flip for _, _, flip in seen} == {False, True}


def test_padding_is_black_and_some_crops_shift():
    x = torch.ones(64, 3, 32, 32)
    out = random_crop_flip(x, torch.Generator().manual_seed(0))
    shifted = (out == 0).flatten(1).any(dim=1)
    assert 0 < shifted.sum() < 64  # offsets (4, 4) keep the image whole: 1/81 chance each
    assert set(out.unique().tolist()) == {0.0, 1.0}


def test_flip_without_padding_mirrors():
    x = torch.arange(32.0).expand(16, 3, 32, 32).contiguous()
    out = random_crop_flip(x, torch.Generator().manual_seed(0), padding=0)
    mirrored = torch.tensor([torch.equal(o, i.flip(-1)) for o, i in zip(out, x, strict=True)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x, strict=True)])
    assert (mirrored ^ kept).all() and 0 < mirrored.sum() < 16


def test_same_generator_seed_same_augmentation():
    x = torch.rand(8, 3, 32, 32)
    a = random_crop_flip(x, torch.Generator().manual_seed(5))
    b = random_crop_flip(x, torch.Generator().manual_seed(5))
    c = random_crop_flip(x, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def indexed_set(n: int, offset: int = 0) -> ImageSet:
    """Image i is filled with the value (offset + i) % 256 and labelled i % 10, so a batch reveals its sources."""
    values = (np.arange(n) + offset) % 256
    images = np.broadcast_to(values[:, None, None, None], (n, 32, 32, 3)).astype(np.uint8)
    return ImageSet(images, (np.arange(n) % 10).astype(np.int64), CIFAR10_CLASSES)


def source_ids(x: torch.Tensor, offset: int) -> list[int]:
    raw = x * torch.tensor(CIFAR10_STD).view(1, 3, 1, 1) + torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    return [int(v) - offset for v in (raw[:, 0, 16, 16] * 255).round().tolist()]


def collect(batches: PairedBatches) -> list[tuple[torch.Tensor, ...]]:
    return [(tx, ty, vx, vy) for (tx, ty), (vx, vy) in batches.epoch()]


def test_paired_batches_shapes_steps_and_coverage():
    arch = indexed_set(30, offset=100)
    batches = PairedBatches(indexed_set(50), arch, 16, "cpu", seed=0, augment=False, arch_sampling="epoch_pass")
    assert batches.steps_per_epoch == 4
    steps = collect(batches)
    assert [len(s[0]) for s in steps] == [16, 16, 16, 2] and [len(s[2]) for s in steps] == [16, 16, 16, 2]
    tx, ty, vx, vy = steps[0]
    assert tx.shape == (16, 3, 32, 32) and tx.dtype == torch.float32 and ty.dtype == torch.int64
    train_ids = [i for s in steps for i in source_ids(s[0], 0)]
    assert sorted(train_ids) == list(range(50))  # one pass over the weight half
    val_ids = [i for s in steps for i in source_ids(s[2], 100)]
    assert sorted(val_ids[:30]) == list(range(30)) and set(val_ids[30:]) <= set(range(30))  # cycled arch half
    labels = torch.cat([s[1] for s in steps]).tolist()
    assert labels == [i % 10 for i in train_ids]
    dropping = PairedBatches(indexed_set(50), indexed_set(30), 16, "cpu", seed=0, drop_last=True)
    assert dropping.steps_per_epoch == 3 and len(collect(dropping)) == 3


def test_augment_flags():
    # offset 1: no image is black itself, so black pixels can only come from padding
    batches = PairedBatches(indexed_set(40, 1), indexed_set(40, 1), 40, "cpu", seed=0, augment=True, augment_val=False)
    ((tx, _), (vx, _)) = next(batches.epoch())
    black = (0 - CIFAR10_MEAN[0]) / CIFAR10_STD[0]
    assert torch.isclose(tx[:, 0], torch.tensor(black)).any()  # padded border in the train batch
    assert not torch.isclose(vx[:, 0], torch.tensor(black)).any()  # none in the un-augmented val batch


def test_bad_batch_size_is_a_user_error():
    with pytest.raises(NashError, match="batch_size"):
        PairedBatches(indexed_set(10), indexed_set(10), 0, "cpu", seed=0)
    with pytest.raises(NashError, match="drop_last"):
        PairedBatches(indexed_set(10), indexed_set(10), 16, "cpu", seed=0, drop_last=True)
