"""Turn a run's data config into paired (weight, arch) batches on the run's device."""

from __future__ import annotations

import os

import torch

from benchmarks.datasets.cifar10 import load_cifar10
from benchmarks.datasets.loader import PairedBatches
from benchmarks.datasets.split import nb201_search_split, subsample
from harness.config import RunConfig

DATA_DIR_ENV = "NASH_DATA_DIR"


def resolve_data_source(cli_value: str | None) -> str | None:
    """--data wins; otherwise $NASH_DATA_DIR; otherwise None (the profile's default)."""
    return cli_value or os.environ.get(DATA_DIR_ENV) or None


def load_search_batches(config: RunConfig, device: torch.device) -> PairedBatches:
    """NAS-Bench-201 search protocol: weights on one half of the train set, α on the other."""
    source = None if config.data.source == "embedded" else config.data.source
    train, _test = load_cifar10(source)
    if config.data.train_per_class is not None:
        train = train.subset(subsample(train.labels, config.data.train_per_class, seed=config.data.split_seed))
    weight_idx, arch_idx = nb201_search_split(train.labels, seed=config.data.split_seed)
    return PairedBatches(
        train.subset(weight_idx),
        train.subset(arch_idx),
        batch_size=config.train.batch_size,
        device=device,
        seed=config.seed,
        augment=config.data.augment,
    )
