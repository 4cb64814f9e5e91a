"""Turn a run's data config into paired (weight, arch) batches on the run's device, per benchmark dataset."""

from __future__ import annotations

import torch

from benchmarks.datasets.catalog import get_dataset, load_train_test
from benchmarks.datasets.cifar10 import load_cifar10
from benchmarks.datasets.cifar100 import cifar100_test_halves
from benchmarks.datasets.imagenet16 import imagenet16_test_halves
from benchmarks.datasets.images import ImageSet
from benchmarks.datasets.loader import PairedBatches
from benchmarks.datasets.split import nb201_search_split, subsample
from benchmarks.errors import NashError
from benchmarks.registry import get_benchmark
from harness.config import DATA_DIR_ENV, DATA_ROOT_ENV, RunConfig

__all__ = ["DATA_DIR_ENV", "DATA_ROOT_ENV", "load_search_sets", "load_search_batches"]


def _subsample(images: ImageSet, per_class: int | None, seed: int) -> ImageSet:
    return images if per_class is None else images.subset(subsample(images.labels, per_class, seed=seed))


def load_search_sets(config: RunConfig) -> tuple[ImageSet, ImageSet]:
    """(weight set, arch set) by the benchmark's protocol (BENCHMARKS.md §1.2).

    cifar10: the train set cut into class-balanced halves. cifar100 / ImageNet16-120: weights on
    the train set, architecture on the x-valid half of the test set (NAS-Bench-201).
    """
    dataset = get_benchmark(config.benchmark).dataset
    data, seed = config.data, config.data.split_seed
    if dataset == "cifar10":
        train, _test = load_cifar10(None if data.source == "embedded" else data.source)
        train = _subsample(train, data.train_per_class, seed)
        weight_idx, arch_idx = nb201_search_split(train.labels, seed=seed)
        return train.subset(weight_idx), train.subset(arch_idx)
    if dataset in ("cifar100", "ImageNet16-120"):
        train, test = load_train_test(dataset, data.source)
        halves = cifar100_test_halves if dataset == "cifar100" else imagenet16_test_halves
        xvalid_idx, _xtest_idx = halves(data.source, test.labels, seed)
        xvalid = test.subset(xvalid_idx)
        return _subsample(train, data.train_per_class, seed), _subsample(xvalid, data.arch_per_class, seed)
    raise NashError(f"benchmark {config.benchmark} uses dataset {dataset}, which has no search protocol yet")


def load_search_batches(config: RunConfig, device: torch.device) -> PairedBatches:
    """The search's paired batches, normalised with the dataset's own mean/std."""
    spec = get_dataset(get_benchmark(config.benchmark).dataset)
    weight, arch = load_search_sets(config)
    return PairedBatches(
        weight,
        arch,
        batch_size=config.train.batch_size,
        device=device,
        seed=config.seed,
        augment=config.data.augment,
        mean=spec.mean,
        std=spec.std,
    )
