"""What a benchmark is made of: its profiles, oracle metrics and backend. Pure data (no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Profile:
    """One way to run a benchmark: network size, optimiser settings, epochs, data."""

    name: str
    description: str
    network: dict[str, Any]
    train: dict[str, Any]
    epochs: dict[str, int]  # per searcher; "default" for the others
    # source: "embedded" (CIFAR-10 subset unless data is given) | "full" (needs the dataset on disk);
    # train_per_class / arch_per_class: class-balanced subsamples, None = all.
    data: dict[str, Any]
    searcher_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per searcher, over its defaults
    # Per searcher, over `train` (a searcher whose paper used other optimiser settings, e.g. PC-DARTS).
    searcher_train: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Real-training backend: how a derived genotype is trained from scratch (empty for oracle benchmarks).
    evaluation: dict[str, Any] = field(default_factory=dict)
    # Per searcher, over `data` (a searcher whose paper searched on other subsets, e.g. PC-DARTS on ImageNet).
    searcher_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Searchers the profile's paper never ran, with why: refused unless the user picks the batch size
    # (`harness.config.run_config.check_published_setting`), so a profile never silently runs an unpublished setting.
    unpublished: dict[str, str] = field(default_factory=dict)
    # Lines `nash benchmarks` prints under the profile: per-searcher settings and their sources.
    notes: tuple[str, ...] = ()
    # Per searcher ("default" for the others): `perf` switches (harness.config.run_config.PerfConfig fields) of this
    # profile's searches on the CPU, the fastest measured that keep float32 (docs/SPEED.md); a GPU run keeps
    # PerfConfig's defaults, and `--set perf.NAME=VALUE` wins either way.
    cpu_perf: dict[str, dict[str, Any]] = field(default_factory=dict)

    def epochs_for(self, searcher: str) -> int:
        return self.epochs.get(searcher, self.epochs["default"])

    def options_for(self, searcher: str) -> dict[str, Any]:
        return dict(self.searcher_options.get(searcher, {}))

    def train_for(self, searcher: str) -> dict[str, Any]:
        return {**self.train, **self.searcher_train.get(searcher, {})}

    def cpu_perf_for(self, searcher: str) -> dict[str, Any]:
        return dict(self.cpu_perf.get(searcher, self.cpu_perf.get("default", {})))

    def data_for(self, searcher: str) -> dict[str, Any]:
        return {**self.data, **self.searcher_data.get(searcher, {})}


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
    backend: str  # "oracle": every derived cell is looked up, no retraining; "train": trained from scratch
    description: str
    # How the search data is split (BENCHMARKS.md §1–2): "train_halves" (the train set in class-balanced
    # halves, weights / arch), "test_halves" (weights on train, arch on the x-valid half of the test set,
    # NB201 on CIFAR-100 / ImageNet16), "imagenet_subsets" (10% + 10% per class of the train set).
    search_split: str = "train_halves"
    oracle_metrics: tuple[OracleMetric, ...] = ()
    headline: OracleMetric | None = None  # the value summaries show
    profiles: dict[str, Profile] = field(default_factory=dict)
