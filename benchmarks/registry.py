"""Named benchmarks and their profiles. Pure data (no torch), so listing them is instant.

A benchmark = search space + dataset (+ split protocol) + how a derived cell is judged.
Every benchmark has a `paper` profile (the published search setting) and a `quick`
profile (the same code path, scaled down to finish on 2 CPU cores in minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.errors import NashError

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


@dataclass(frozen=True)
class Profile:
    """One way to run a benchmark: network size, optimiser settings, epochs, data."""

    name: str
    description: str
    network: dict[str, Any]
    train: dict[str, Any]
    epochs: dict[str, int]  # per searcher; "default" for the others
    data: dict[str, Any]  # source: "embedded" | "full"; train_per_class: None = all
    searcher_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per searcher, over its defaults

    def epochs_for(self, searcher: str) -> int:
        return self.epochs.get(searcher, self.epochs["default"])

    def options_for(self, searcher: str) -> dict[str, Any]:
        return dict(self.searcher_options.get(searcher, {}))


@dataclass(frozen=True)
class OracleMetric:
    """One tabular value recorded for every epoch's derived cell."""

    dataset: str
    split: str
    epochs: int = 200

    @property
    def column(self) -> str:
        short = {"cifar10-valid": "cifar10valid", "ImageNet16-120": "imagenet16"}.get(self.dataset, self.dataset)
        return f"oracle_{short}_{self.split}_{self.epochs}"


@dataclass(frozen=True)
class Benchmark:
    name: str
    space: str
    dataset: str
    num_classes: int
    backend: str  # "oracle": every derived cell is looked up, no retraining
    description: str
    oracle_metrics: tuple[OracleMetric, ...] = ()
    headline: OracleMetric | None = None  # the value summaries show
    profiles: dict[str, Profile] = field(default_factory=dict)


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
            "DARTS 50 epochs, GDAS 250, ROME 50 with K=7 (K x epochs ~ 350, its paper's budget; "
            "NATS-Bench re-runs use 200 for all: --epochs 200)",
            network={"channels": 16, "cells_per_stage": 5, "affine": False},
            train=dict(_NB201_TRAIN),
            epochs={"default": 50, "darts": 50, "gdas": 250, "rome": 50},
            data={"source": "full", "train_per_class": None},
            searcher_options={"rome": _NB201_ROME | {"k": 7}},
        ),
        "quick": Profile(
            name="quick",
            description="same code scaled for 2 CPU cores: C=8, N=1, 32x32, the embedded 5,000-image "
            "CIFAR-10 subset split in halves; DARTS 5 epochs, GDAS 20, ROME 10 with K=2; arch lr 1e-2 "
            "(not 3e-4) because the run has ~100x fewer arch steps",
            network={"channels": 8, "cells_per_stage": 1, "affine": False},
            # ~200 (DARTS) / ~800 (GDAS) arch steps instead of ~20k: a larger Adam step lets α
            # travel a comparable distance, so the quick search shows the dynamics of the real one.
            train={**_NB201_TRAIN, "arch_lr": 1e-2},
            epochs={"default": 10, "darts": 5, "gdas": 20, "rome": 10},
            data={"source": "embedded", "train_per_class": 500},
            # K=2 doubles the cost of an iteration, so half GDAS's epochs cost about the same.
            searcher_options={"rome": _NB201_ROME | {"k": 2}},
        ),
    },
)

BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (_NB201_CIFAR10,)}


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
