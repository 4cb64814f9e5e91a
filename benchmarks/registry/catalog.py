"""Named benchmarks and their profiles. Pure data (no torch), so listing them is instant.

A benchmark = search space + dataset (+ split protocol) + how a derived cell is judged.
Every benchmark has a `paper` profile (the published search setting) and a `quick`
profile (the same code path, scaled down to finish on 2 CPU cores in minutes).
"""

from __future__ import annotations

from typing import Any

from benchmarks.errors import NashError
from benchmarks.registry.darts_family import DARTS_FAMILY_BENCHMARKS, QUICK_EIGEN_STOP
from benchmarks.registry.profiles import Benchmark, OracleMetric, Profile

__all__ = ["BENCHMARKS", "Benchmark", "OracleMetric", "Profile", "get_benchmark", "get_profile"]

# NAS-Bench-201 search setting (Dong & Yang, ICLR 2020): weight SGD Nesterov lr 0.025 cosine
# to 0.001, wd 5e-4, clip 5; arch Adam 3e-4, betas (0.5, 0.999), wd 1e-3; batch 64.
_NB201_TRAIN: dict[str, Any] = {
    "batch_size": 64,
    "lr": 0.025,
    "lr_min": 0.001,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 5e-4,
    "grad_clip": 5.0,
    "arch_lr": 3e-4,
    "arch_beta1": 0.5,
    "arch_beta2": 0.999,
    "arch_weight_decay": 1e-3,
}

# ROME on NB201 = GDAS + gradient accumulation: every NB201 node keeps all its inputs, so
# there is no topology to sample (`none` plays that role).
_NB201_ROME: dict[str, Any] = {"topology": False}

# Per-searcher epochs and options, shared by the NB201 benchmarks of every dataset.
# SDARTS-RS and DrNAS: 100, their released NB201 scripts' --epochs (SmoothDARTS nasbench201/train_search.py,
# DrNAS 201-space/train_search.py); DARTS-ES/ADA and DARTS- search as DARTS does (their NB201 protocol is open).
_NB201_PAPER_EPOCHS = {
    "default": 50,
    "darts": 50,
    "darts-v2": 50,
    "gdas": 250,
    "pcdarts": 50,
    "rome": 50,
    "darts-es": 50,
    "darts-ada": 50,
    "sdarts-rs": 100,
    "darts-minus": 50,
    "drnas": 100,
}
# PC-DARTS paper: K=4 on CIFAR, arch updates from epoch 15 (its batch 256 / lr 0.1 are not used: the
# NB201 optimiser settings keep the searchers comparable). ROME: K=7 x 50 epochs ~ 350, its paper's budget.
_NB201_PAPER_OPTIONS = {"pcdarts": {"k": 4, "warmup_epochs": 15}, "rome": _NB201_ROME | {"k": 7}}
# CPU speed switches of the paper-size supernet (C=16, N=5), per searcher: the fastest float32 variant of
# `python scripts/bench_speed.py --threads 2` (docs/SPEED.md, 2026-12-07). Softmax mixtures run
# whole cells compiled (DARTS 0.74x, DrNAS 0.52x of the fused default with channels_last); PC-DARTS's
# channel slices are slower in channels_last (1.14x), so compile alone (0.76x); single-path GDAS / ROME
# change their op blocks every step, so compile loses (GDAS 1.32x, ROME 1.31x) and channels_last alone
# wins (0.82x, 0.77x). bf16 is faster still (DARTS 0.61x) but its gradients are 40% off float64's
# (float32's: 0.4-0.9%; scripts/perf_faithfulness.py), so it is never a default. Plug-ins: unchanged.
_MIXTURE_CPU_PERF = {"channels_last": True, "compile": True}
_NB201_PAPER_CPU_PERF = {
    **dict.fromkeys(
        ("darts", "darts-v2", "darts-es", "darts-ada", "sdarts-rs", "darts-minus", "drnas"), _MIXTURE_CPU_PERF
    ),
    "pcdarts": {"compile": True},
    "gdas": {"channels_last": True},
    "rome": {"channels_last": True},
    "default": {},
}
_NB201_PAPER_SEARCHERS = (
    "DARTS 50 epochs (first and second order), GDAS 250, PC-DARTS 50 (K=4, 15 warm-up), ROME 50 (K=7), "
    "DARTS-ES/ADA 50, SDARTS-RS 100, DARTS- 50, DrNAS 100"
)
# Quick: ROME's K=2 doubles the cost of an iteration, so half GDAS's epochs cost about the same;
# DARTS second order costs ~2.5 first-order steps, so 2 epochs.
# DARTS-ES/ADA: 4 second-order epochs with the scaled-down stop rule (QUICK_EIGEN_STOP); the first-order
# variants cost what DARTS does.
_NB201_QUICK_EPOCHS = {
    "default": 10,
    "darts": 5,
    "darts-v2": 2,
    "gdas": 20,
    "pcdarts": 6,
    "rome": 10,
    "darts-es": 4,
    "darts-ada": 4,
    "sdarts-rs": 5,
    "darts-minus": 5,
    "drnas": 5,
}
_NB201_QUICK_OPTIONS = {
    "pcdarts": {"k": 4, "warmup_epochs": 1},
    "rome": _NB201_ROME | {"k": 2},
    "darts-es": QUICK_EIGEN_STOP,
    "darts-ada": QUICK_EIGEN_STOP,
}
_NB201_QUICK_SEARCHERS = (
    "DARTS 5 epochs (second order 2), GDAS 20, PC-DARTS 6 (1 warm-up), ROME 10 (K=2), DARTS-ES/ADA 4 "
    "(eigenvalue rule on every epoch, no averaging), SDARTS-RS / DARTS- / DrNAS 5"
)
# Study (docs/STUDY.md, issue 17): 3 seeds x darts / gdas / pcdarts / rome in minutes on 2 CPU cores
# (`--epochs 40` gives the 1,600-step axis, ~10 min per DARTS search). Every searcher gets the SAME
# number of arch updates (4 epochs x 40 steps = 160; PC-DARTS one weight-only warm-up epoch more), unlike quick, so the
# searchers are compared at one arch budget. The paper setting takes 50 x 391 = 19,550 DARTS arch steps.
_NB201_STUDY_EPOCHS = {"default": 4, "darts-v2": 4, "pcdarts": 5}


_NB201_CIFAR10 = Benchmark(
    name="nb201-cifar10",
    space="nb201",
    dataset="cifar10",
    num_classes=10,
    backend="oracle",
    description="NAS-Bench-201 cell searched on the CIFAR-10 train set split 25k/25k; "
    "cells judged by the NB201 table (seed mean, 200 epochs)",
    # NB201 papers report the searched cell on all three datasets; record them all.
    oracle_metrics=(
        OracleMetric("cifar10-valid", "valid"),
        OracleMetric("cifar10", "test"),
        OracleMetric("cifar100", "test"),
        OracleMetric("ImageNet16-120", "test"),
    ),
    headline=OracleMetric("cifar10", "test"),
    profiles={
        "paper": Profile(
            name="paper",
            description="NAS-Bench-201 search setting: C=16, N=5, 32x32, full 50k train set split in halves; "
            f"{_NB201_PAPER_SEARCHERS} (NATS-Bench re-runs use 200 for all: --epochs 200)",
            network={"channels": 16, "cells_per_stage": 5, "affine": False},
            train=dict(_NB201_TRAIN),
            epochs=_NB201_PAPER_EPOCHS,
            data={"source": "full", "train_per_class": None},
            searcher_options=_NB201_PAPER_OPTIONS,
            cpu_perf=_NB201_PAPER_CPU_PERF,
        ),
        "quick": Profile(
            name="quick",
            description="same code scaled for 2 CPU cores: C=8, N=1, 32x32, the embedded 5,000-image "
            f"CIFAR-10 subset split in halves; {_NB201_QUICK_SEARCHERS}; arch lr 1e-2 "
            "(not 3e-4) because the run has ~100x fewer arch steps",
            network={"channels": 8, "cells_per_stage": 1, "affine": False},
            # ~200 (DARTS) / ~800 (GDAS) arch steps instead of ~20k: a larger Adam step lets α
            # travel a comparable distance, so the quick search shows the dynamics of the real one.
            train={**_NB201_TRAIN, "arch_lr": 1e-2},
            epochs=_NB201_QUICK_EPOCHS,
            data={"source": "embedded", "train_per_class": 500},
            searcher_options=_NB201_QUICK_OPTIONS,
        ),
        "study": Profile(
            name="study",
            description="collapse study at the scale 2 shared CPU cores allow (docs/STUDY.md): C=8, N=1, "
            "the embedded 5,000-image CIFAR-10 subset in halves, arch lr 1e-2, 160 arch steps for every "
            "searcher (4 epochs; PC-DARTS 5 with 1 warm-up; ROME K=2)",
            # C=8, N=1: chosen on a loaded machine, where a C=16, N=2 DARTS step cost 6 s (3 s at C=8, N=1);
            # idle, 160 DARTS steps take 32 s, which leaves room for the 1,600-step axis (`--epochs 40`,
            # ~10 min) and for `nash demo` in 1.5 min (STUDY.md, "Cost").
            network={"channels": 8, "cells_per_stage": 1, "affine": False},
            # arch lr 1e-2 as quick: 160 Adam steps at 3e-4 move α by < 0.05 (near-uniform, nothing to see).
            train={**_NB201_TRAIN, "arch_lr": 1e-2},
            epochs=_NB201_STUDY_EPOCHS,
            # The 5,000-image embedded subset (2,500 / 2,500): a step costs the same on the full set, but
            # it ships with nash, so every study run is reproducible from a fresh clone.
            data={"source": "embedded", "train_per_class": 500},
            searcher_options=_NB201_QUICK_OPTIONS,  # PC-DARTS K=4, 1 warm-up epoch; ROME K=2 (cost ~2 DARTS steps)
        ),
    },
)


def _nb201_test_halves_benchmark(name: str, dataset: str, classes: int, images: str, per_class: int) -> Benchmark:
    """NB201 on CIFAR-100 / ImageNet16-120: weights on the train set, α on the x-valid half of the test set."""
    return Benchmark(
        name=name,
        space="nb201",
        dataset=dataset,
        num_classes=classes,
        backend="oracle",
        search_split="test_halves",
        description=f"NAS-Bench-201 cell searched on {dataset} ({images}): weights on the train set, "
        "architecture on the x-valid half of the test set; cells judged by the NB201 table",
        oracle_metrics=(
            OracleMetric(dataset, "test"),
            OracleMetric(dataset, "valid", epochs=12),  # the table has no 200-epoch x-valid for this dataset
            OracleMetric("cifar10", "test"),
        ),
        headline=OracleMetric(dataset, "test"),
        profiles={
            "paper": Profile(
                name="paper",
                description=f"NAS-Bench-201 search setting: C=16, N=5, {images}, the whole train set for "
                f"weights and the whole x-valid half for α; {_NB201_PAPER_SEARCHERS}; needs the dataset",
                network={"channels": 16, "cells_per_stage": 5, "affine": False},
                train=dict(_NB201_TRAIN),
                epochs=_NB201_PAPER_EPOCHS,
                data={"source": "full", "train_per_class": None, "arch_per_class": None},
                searcher_options=_NB201_PAPER_OPTIONS,
                cpu_perf=_NB201_PAPER_CPU_PERF,
            ),
            "quick": Profile(
                name="quick",
                description=f"same code scaled for 2 CPU cores: C=8, N=1, {per_class} train and {per_class} "
                f"x-valid images per class; {_NB201_QUICK_SEARCHERS}; arch lr 1e-2; needs the dataset "
                "(nothing of it ships with nash)",
                network={"channels": 8, "cells_per_stage": 1, "affine": False},
                train={**_NB201_TRAIN, "arch_lr": 1e-2},
                epochs=_NB201_QUICK_EPOCHS,
                data={"source": "full", "train_per_class": per_class, "arch_per_class": per_class},
                searcher_options=_NB201_QUICK_OPTIONS,
            ),
        },
    )


# Quick subsets: 25 x 100 classes and 20 x 120 classes ~ the 2,500-image halves of the CIFAR-10 quick profile.
_NB201_CIFAR100 = _nb201_test_halves_benchmark("nb201-cifar100", "cifar100", 100, "32x32", 25)
_NB201_IMAGENET16 = _nb201_test_halves_benchmark("nb201-imagenet16", "ImageNet16-120", 120, "16x16", 20)

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b for b in (_NB201_CIFAR10, _NB201_CIFAR100, _NB201_IMAGENET16, *DARTS_FAMILY_BENCHMARKS)
}


def get_benchmark(name: str) -> Benchmark:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise NashError(f"unknown benchmark {name!r}; valid benchmarks: {', '.join(BENCHMARKS)}") from None


def get_profile(benchmark: Benchmark, name: str) -> Profile:
    try:
        return benchmark.profiles[name]
    except KeyError:
        valid = ", ".join(benchmark.profiles)
        raise NashError(f"unknown profile {name!r} for {benchmark.name}; valid profiles: {valid}") from None
