"""The RobustDARTS search setting on S1–S4 (profile `rdarts`) and cutout in the search batches."""

import numpy as np
import pytest
import torch

from benchmarks.batches.images import ImageSet
from benchmarks.batches.loader import PairedBatches
from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark
from harness.config.run_config import apply_overrides, resolve_config
from harness.run.data import load_search_batches


def test_rdarts_follows_robustdarts_search_args_for_second_order_darts():
    config = resolve_config("s3-cifar10", "darts-v2", "rdarts", data="/data/cifar10")
    assert config.train.epochs == 50 and config.train.batch_size == 64
    assert (config.train.lr, config.train.lr_min, config.train.weight_decay, config.train.grad_clip) == (
        0.025, 0.001, 3e-4, 5.0)  # fmt: skip
    assert (config.train.arch_lr, config.train.arch_weight_decay, config.train.arch_beta1) == (3e-4, 1e-3, 0.5)
    assert (config.network.layers, config.network.channels) == (8, 16) and config.data.train_per_class is None
    assert config.data.cutout == 0  # RobustDARTS turns cutout off for its drop_path_prob 0 runs
    assert apply_overrides(config, ["data.cutout=16"]).data.cutout == 16
    assert "rdarts" not in get_benchmark("s0-cifar10").profiles and "rdarts" in get_benchmark("s4-svhn").profiles


def batches(cutout: int, augment: bool = True) -> PairedBatches:
    images = ImageSet(np.full((8, 32, 32, 3), 200, np.uint8), np.arange(8, dtype=np.int64) % 2, ("a", "b"))
    return PairedBatches(images, images, batch_size=8, device="cpu", seed=0, augment=augment, cutout=cutout)


def test_search_cutout_zeroes_a_square_in_both_halves_of_augmented_batches():
    (train, _), (val, _) = next(batches(16).epoch())
    for x in (train, val):
        zero_pixels = (x == 0).all(dim=1).flatten(1).sum(dim=1)  # normalised: a cut pixel is exactly 0
        assert (zero_pixels > 0).all() and (zero_pixels <= 16 * 16).all()
    (plain, _), _ = next(batches(0).epoch())
    (unaugmented, _), _ = next(batches(16, augment=False).epoch())
    assert not (plain == 0).all(dim=1).any() and not (unaugmented == 0).all(dim=1).any()
    with pytest.raises(NashError, match="data.cutout must be >= 0"):
        batches(-1)


def test_the_runner_s_batches_take_the_config_s_cutout():
    config = apply_overrides(resolve_config("s2-cifar10", "darts-v2", "quick"), ["data.cutout=16"])
    assert load_search_batches(config, torch.device("cpu")).cutout == 16
