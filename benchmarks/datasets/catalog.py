"""Every dataset nash reads: where it lives under a data root, how to get it, and its normalisation constants.

A data root (`--data-root DIR` / `$NASH_DATA_ROOT`) holds one folder per dataset (docs/DATA.md):
    <root>/cifar-10-batches-py  (or <root>/cifar10-jpeg with the JPEG tarballs)
    <root>/cifar-100-python     <root>/svhn     <root>/ImageNet16     <root>/imagenet     <root>/fashion-mnist
Pure data + path checks (no torch).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchmarks.batches.images import ImageSet
from benchmarks.datasets import cifar100, fashion_mnist, imagenet, imagenet16, svhn
from benchmarks.errors import NashError


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    folders: tuple[str, ...]  # accepted folder names under a data root, first = documented one
    expects: str  # what the folder must hold, for the missing-dataset message
    download: str
    # Per-channel mean/std of the train set in [0, 1]; the source is named in each entry below.
    mean: tuple[float, ...]
    std: tuple[float, ...]


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        # The values used by the CIFAR-10 code of DARTS/NB201 (train-set statistics).
        DatasetSpec(
            "cifar10",
            ("cifar-10-batches-py", "cifar10-jpeg"),
            "data_batch_1..5, test_batch, batches.meta (or the two CIFAR-10 JPEG tarballs)",
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            (0.4914, 0.4822, 0.4465),
            (0.2470, 0.2435, 0.2616),
        ),
        # NB201's CIFAR-100 constants: mean (129.3, 124.1, 112.4) / 255, std (68.2, 65.4, 70.4) / 255.
        DatasetSpec(
            "cifar100",
            (cifar100.FOLDER,),
            "the pickles train, test and meta (optional: cifar100-test-split.txt)",
            cifar100.DOWNLOAD,
            tuple(v / 255 for v in (129.3, 124.1, 112.4)),
            tuple(v / 255 for v in (68.2, 65.4, 70.4)),
        ),
        # RobustDARTS's SVHN constants (train-set statistics).
        DatasetSpec(
            "svhn",
            (svhn.FOLDER,),
            "train_32x32.mat and test_32x32.mat (optional: extra_32x32.mat)",
            svhn.DOWNLOAD,
            (0.4377, 0.4438, 0.4728),
            (0.1980, 0.2010, 0.1970),
        ),
        # NB201's ImageNet16-120 constants: mean (122.68, 116.66, 104.01) / 255, std (63.22, 61.26, 65.09) / 255.
        DatasetSpec(
            "ImageNet16-120",
            (imagenet16.FOLDER, "ImageNet16-120"),
            "train_data_batch_1..10 and val_data (optional: imagenet-16-120-test-split.txt)",
            imagenet16.DOWNLOAD,
            tuple(v / 255 for v in (122.68, 116.66, 104.01)),
            tuple(v / 255 for v in (63.22, 61.26, 65.09)),
        ),
        # The usual ImageNet train-set statistics (as in the PC-DARTS / ROME ImageNet code).
        DatasetSpec(
            "imagenet",
            (imagenet.FOLDER,),
            "train/<wnid>/*.JPEG and val/<wnid>/*.JPEG",
            imagenet.DOWNLOAD,
            (0.485, 0.456, 0.406),
            (0.229, 0.224, 0.225),
        ),
        # Measured by us over the 60k Fashion-MNIST train images (Debian dataset-fashion-mnist): 0.2860, 0.3530.
        DatasetSpec(
            "fashion-mnist",
            (fashion_mnist.FOLDER,),
            "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
            "t10k-labels-idx1-ubyte[.gz]",
            fashion_mnist.DOWNLOAD,
            (0.2860,),
            (0.3530,),
        ),
    )
}


def get_dataset(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise NashError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def find_in_root(name: str, root: str | os.PathLike[str]) -> Path | None:
    """The dataset's folder under `root` (first accepted name that exists), or None."""
    spec = get_dataset(name)
    for folder in spec.folders:
        if (Path(root).expanduser() / folder).exists():
            return Path(root).expanduser() / folder
    if name == "fashion-mnist" and fashion_mnist.SYSTEM_FOLDER.is_dir():  # the Debian package's place
        return fashion_mnist.SYSTEM_FOLDER
    return None


def missing_dataset_message(name: str, root: str | os.PathLike[str] | None) -> str:
    """One line: which files are expected where, and where to get them."""
    spec = get_dataset(name)
    where = f"{Path(root).expanduser() / spec.folders[0]}/" if root else f"<data root>/{spec.folders[0]}/"
    how = "" if root else " and pass --data-root DIR (or set NASH_DATA_ROOT)"
    return f"{name} not found: put {spec.expects} in {where}{how}; get it from {spec.download} (see docs/DATA.md)"


def load_train_test(name: str, path: str | os.PathLike[str]) -> tuple[ImageSet, ImageSet]:
    """(train, test) of a dataset at `path` (its own folder; for CIFAR-10 any layout load_cifar10 accepts)."""
    if name == "cifar10":
        from benchmarks.datasets.cifar10 import load_cifar10

        return load_cifar10(path)
    readers = {
        "cifar100": cifar100.read_cifar100,
        "svhn": svhn.read_svhn,
        "ImageNet16-120": imagenet16.read_imagenet16_120,
        "fashion-mnist": fashion_mnist.read_fashion_mnist,
    }
    if name not in readers:
        raise NashError(f"{name} has no plain train/test reader; ImageNet is read by imagenet.imagenet_search_sets")
    return readers[name](path)
