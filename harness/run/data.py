"""Turn a run's data config into paired (weight, arch) batches on the run's device, per benchmark dataset."""

from __future__ import annotations

import torch

from benchmarks.batches.arch_sampling import resolve_arch_sampling
from benchmarks.batches.images import ImageSet, require_classes
from benchmarks.batches.loader import PairedBatches
from benchmarks.batches.split import nb201_search_split, subsample
from benchmarks.datasets.catalog import load_train_test
from benchmarks.datasets.cifar10 import load_cifar10
from benchmarks.datasets.cifar100 import cifar100_test_halves
from benchmarks.datasets.imagenet import imagenet_search_sets
from benchmarks.datasets.imagenet16 import imagenet16_test_halves
from benchmarks.errors import NashError
from benchmarks.registry.profiles import Benchmark
from harness.config.objects import RunObjects
from harness.config.run_config import DATA_DIR_ENV, DATA_ROOT_ENV, RunConfig

__all__ = ["DATA_DIR_ENV", "DATA_ROOT_ENV", "load_search_sets", "load_search_batches"]


def _subsample(images: ImageSet, per_class: int | None, seed: int) -> ImageSet:
    return images if per_class is None else images.subset(subsample(images.labels, per_class, seed=seed))


def load_search_sets(config: RunConfig, objects: RunObjects | None = None) -> tuple[ImageSet, ImageSet]:
    """(weight set, arch set), each covering every class of the benchmark (else a one-line NashError)."""
    benchmark = RunObjects.for_config(config, objects).benchmark
    weight, arch = _search_sets(config, benchmark)
    where = "the embedded CIFAR-10 subset" if config.data.source == "embedded" else config.data.source
    for images, half in ((weight, "weight"), (arch, "architecture")):
        require_classes(images.labels, benchmark.num_classes, f"the {half} half of the search data from {where}")
    return weight, arch


def _search_sets(config: RunConfig, benchmark: Benchmark) -> tuple[ImageSet, ImageSet]:
    """(weight set, arch set) by the benchmark's `search_split` (BENCHMARKS.md §1–2).

    train_halves (CIFAR-10 / CIFAR-100 / SVHN): the train set, subsampled to `train_per_class`, cut in
    class-balanced halves. test_halves (NB201 on CIFAR-100 / ImageNet16-120): weights on the train set,
    architecture on the x-valid half of the test set. imagenet_subsets: disjoint shares of every ImageNet class
    (`imagenet_weight_fraction` / `imagenet_arch_fraction`: 10% + 10% by default, PC-DARTS 10% + 2.5%).
    """
    dataset, protocol = benchmark.dataset, benchmark.search_split
    data, seed = config.data, config.data.split_seed
    if protocol == "train_halves" and dataset in ("cifar10", "cifar100", "svhn"):
        if dataset == "cifar10":
            train, _test = load_cifar10(None if data.source == "embedded" else data.source)
        else:
            train, _test = load_train_test(dataset, data.source)
        train = _subsample(train, data.train_per_class, seed)
        weight_idx, arch_idx = nb201_search_split(train.labels, seed=seed)
        return train.subset(weight_idx), train.subset(arch_idx)
    if protocol == "test_halves" and dataset in ("cifar100", "ImageNet16-120"):
        train, test = load_train_test(dataset, data.source)
        halves = cifar100_test_halves if dataset == "cifar100" else imagenet16_test_halves
        xvalid_idx, _xtest_idx = halves(data.source, test.labels, seed)
        xvalid = test.subset(xvalid_idx)
        return _subsample(train, data.train_per_class, seed), _subsample(xvalid, data.arch_per_class, seed)
    if protocol == "imagenet_subsets" and dataset == "imagenet":
        fractions = {"fraction": data.imagenet_weight_fraction, "arch_fraction": data.imagenet_arch_fraction}
        weight, arch = imagenet_search_sets(data.source, seed=seed, **fractions)
        return _subsample(weight, data.train_per_class, seed), _subsample(arch, data.train_per_class, seed)
    raise NashError(f"benchmark {config.benchmark}: no {protocol!r} search protocol for dataset {dataset}")


def load_search_batches(config: RunConfig, device: torch.device, objects: RunObjects | None = None) -> PairedBatches:
    """The search's paired batches, normalised with the dataset's own mean/std."""
    objects = RunObjects.for_config(config, objects)
    spec = objects.dataset
    weight, arch = load_search_sets(config, objects)
    return PairedBatches(
        weight,
        arch,
        batch_size=config.train.batch_size,
        device=device,
        seed=config.seed,
        augment=config.data.augment,
        cutout=config.data.cutout,
        arch_sampling=resolve_arch_sampling(config.data.arch_sampling, objects.benchmark.space),
        mean=spec.mean,
        std=spec.std,
        pin_memory=config.perf.pin_memory,
        channels_last=config.perf.channels_last,
    )
