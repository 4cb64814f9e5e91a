"""The resolved configuration of one run: benchmark profile + searcher + command-line choices."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from benchmarks.errors import NashError
from benchmarks.registry import get_benchmark, get_profile
from searchers.base import TrainConfig
from searchers.registry import get_searcher


@dataclass(frozen=True)
class NetworkConfig:
    channels: int = 16
    cells_per_stage: int = 5
    affine: bool = False


@dataclass(frozen=True)
class DataConfig:
    source: str = "embedded"  # "embedded" (shipped subset) or a path to CIFAR-10 on disk
    train_per_class: int | None = None  # class-balanced subsample of the train set; None = all
    split_seed: int = 0  # the weight/arch split is fixed by this, not by the run seed
    augment: bool = True


@dataclass(frozen=True)
class RunConfig:
    benchmark: str
    searcher: str
    profile: str
    seed: int
    network: NetworkConfig
    train: TrainConfig
    data: DataConfig
    searcher_options: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"

    @property
    def run_id(self) -> str:
        return f"{self.benchmark}__{self.searcher}__{self.profile}__seed{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def resolve_config(
    benchmark: str,
    searcher: str,
    profile: str = "quick",
    seed: int = 0,
    *,
    epochs: int | None = None,
    data: str | None = None,
    device: str = "auto",
) -> RunConfig:
    """Merge the benchmark's profile with the searcher's defaults and explicit choices.

    `data` names CIFAR-10 on disk; without it the `quick` profile uses the embedded subset
    and the `paper` profile asks for the full data set.
    """
    bench = get_benchmark(benchmark)
    prof = get_profile(bench, profile)
    searcher_cls = get_searcher(searcher)
    if seed < 0:
        raise NashError(f"--seed must be a non-negative integer, got {seed}")
    n_epochs = prof.epochs_for(searcher) if epochs is None else epochs
    if n_epochs < 1:
        raise NashError(f"--epochs must be at least 1, got {n_epochs}")
    if data is None and prof.data["source"] != "embedded":
        raise NashError(
            f"the {profile!r} profile of {benchmark} needs the full CIFAR-10 training set: pass --data PATH "
            "(a cifar-10-batches-py folder or a folder with the CIFAR-10 JPEG tarballs) or set NASH_DATA_DIR"
        )
    return RunConfig(
        benchmark=benchmark,
        searcher=searcher,
        profile=profile,
        seed=seed,
        network=NetworkConfig(**prof.network),
        train=TrainConfig(epochs=n_epochs, **prof.train),
        data=DataConfig(source=data or "embedded", train_per_class=prof.data["train_per_class"]),
        searcher_options=dataclasses.asdict(searcher_cls.options_type()),
        device=device,
    )
