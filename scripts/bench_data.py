"""Is data loading a bottleneck of a CPU search? Images/s of loading + augmentation vs the supernet's step rate.

For each dataset on hand (CIFAR-10 from the shared JPEG tarballs and the embedded subset, Fashion-MNIST
when installed, and synthetic files written in the real formats for CIFAR-100, SVHN and ImageNet16-120)
it reports the one-off decode time and the steady images/s of PairedBatches (gather + pad/crop/flip +
normalise, batch 64, weight and arch batch both counted), then the images/s of a DARTS and a GDAS step
on the NB201 quick (C=8, N=1) and paper (C=16, N=5) supernets, batch 64, CPU, and the ratios.

    python scripts/bench_data.py [--threads N] [--steps 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.batches.loader import PairedBatches  # noqa: E402
from benchmarks.datasets.catalog import DATASETS, load_train_test  # noqa: E402
from benchmarks.datasets.cifar10 import embedded_cifar10, load_cifar10  # noqa: E402
from benchmarks.datasets.fashion_mnist import SYSTEM_FOLDER  # noqa: E402
from benchmarks.nb201.space import Nb201Space  # noqa: E402
from harness.config.run_config import resolve_config  # noqa: E402
from searchers.registry import get_searcher  # noqa: E402
from tests.benchmarks.dataset_files import write_cifar100, write_imagenet16, write_svhn  # noqa: E402
from tests.shared_data import SHARED_DATA  # noqa: E402

BATCH = 64


def sources(tmp: Path):
    """(label, dataset name, loader) for every dataset on hand."""
    shared = SHARED_DATA / "cifar10-jpeg"
    if shared.is_dir():
        yield "cifar10 (shared JPEG, 50k)", "cifar10", lambda: load_cifar10(shared)
    yield "cifar10 (embedded 5k)", "cifar10", embedded_cifar10
    if SYSTEM_FOLDER.is_dir():
        yield "fashion-mnist (Debian, 60k)", "fashion-mnist", lambda: load_train_test("fashion-mnist", SYSTEM_FOLDER)
    write_cifar100(tmp, per_class_train=100, per_class_test=20)
    yield "cifar100 (synthetic 10k)", "cifar100", lambda: load_train_test("cifar100", tmp / "cifar-100-python")
    write_svhn(tmp, train=10_000, test=2_000)
    yield "svhn (synthetic .mat 10k)", "svhn", lambda: load_train_test("svhn", tmp / "svhn")
    write_imagenet16(tmp, per_file=8_000)
    yield "imagenet16 (synthetic ~10k)", "ImageNet16-120", lambda: load_train_test("ImageNet16-120", tmp / "ImageNet16")


def data_rate(loader, dataset: str) -> tuple[float, int, float]:
    """(decode seconds, train images, images/s of paired batches over one epoch of up to 100 steps)."""
    start = time.perf_counter()
    train, _test = loader()
    decode = time.perf_counter() - start
    spec = DATASETS[dataset]
    batches = PairedBatches(train, train, BATCH, "cpu", seed=0, mean=spec.mean, std=spec.std)
    count, start = 0, time.perf_counter()
    for step, ((tx, _), (vx, _)) in enumerate(batches.epoch()):
        count += len(tx) + len(vx)
        if step == 99:
            break
    return decode, len(train), count / (time.perf_counter() - start)


def step_rate(searcher: str, profile: str, steps: int) -> float:
    """Images/s (weight + arch batch) of full search steps on random 32x32 data."""
    config = resolve_config("nb201-cifar10", searcher, profile, data="unused", device="cpu")
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=BATCH))
    cls = get_searcher(searcher)
    options = cls.options_type(**config.searcher_options)
    net = config.network
    network = cls.build_supernet(
        Nb201Space(),
        channels=net.channels,
        cells_per_stage=net.cells_per_stage,
        num_classes=10,
        affine=net.affine,
        options=options,
    )
    search = cls(Nb201Space(), network, config.train, options)
    search.new_epoch(0, config.train.epochs)
    batch = (torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,)))
    search.step(batch, batch)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        search.step(batch, batch)
    return 2 * BATCH * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--steps", type=int, default=5, help="timed search steps per supernet")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}, CPU\n")
    rates = {}
    for searcher in ("darts", "gdas"):
        for profile in ("quick", "paper"):
            rates[(searcher, profile)] = step_rate(searcher, profile, args.steps)
            print(f"search step {searcher:5s} nb201 {profile:5s}: {rates[(searcher, profile)]:9.0f} images/s")
    slowest_need = max(rates.values())
    print(f"\n{'dataset':30s} {'decode s':>9s} {'train':>7s} {'load+aug img/s':>15s}  ratio to the fastest step")
    with tempfile.TemporaryDirectory() as tmp:
        for label, dataset, loader in sources(Path(tmp)):
            decode, count, rate = data_rate(loader, dataset)
            print(f"{label:30s} {decode:9.2f} {count:7d} {rate:15.0f}  {rate / slowest_need:8.1f}x")
    print("\nratio = data images/s / images/s of the fastest search step above; > 1 means data is not the bottleneck")


if __name__ == "__main__":
    main()
