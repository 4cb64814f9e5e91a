"""A run's names turned into objects once: what the command line resolves and everything below it takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks.datasets.catalog import DatasetSpec, get_dataset
from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark, get_profile
from benchmarks.registry.profiles import Benchmark, Profile
from benchmarks.registry.spaces import get_space
from searchers.base import Searcher
from searchers.registry import get_searcher


@dataclass(frozen=True)
class RunObjects:
    """The benchmark, its profile, space and dataset, and the searcher class of one run."""

    benchmark: Benchmark
    profile: Profile
    space: Any  # Nb201Space | DartsSpace
    dataset: DatasetSpec
    searcher: type[Searcher]

    @classmethod
    def of(cls, benchmark: str, searcher: str, profile: str) -> RunObjects:
        """Look the names up (each a one-line NashError when unknown) and check the searcher fits the space."""
        bench = get_benchmark(benchmark)
        searcher_cls = get_searcher(searcher)
        if bench.space not in searcher_cls.spaces:
            raise NashError(
                f"searcher {searcher!r} cannot search the {bench.space} space of {benchmark}; "
                f"it runs on: {', '.join(searcher_cls.spaces)}"
            )
        return cls(bench, get_profile(bench, profile), get_space(bench.space), get_dataset(bench.dataset), searcher_cls)

    @classmethod
    def for_config(cls, config, objects: RunObjects | None = None) -> RunObjects:
        """`objects` when they are this config's (resolved earlier by the caller), else looked up now."""
        if objects is not None and objects.names == (config.benchmark, config.searcher, config.profile):
            return objects
        return cls.of(config.benchmark, config.searcher, config.profile)

    @property
    def names(self) -> tuple[str, str, str]:
        return self.benchmark.name, self.searcher.name, self.profile.name
