"""The science suite (`pytest -m science`): study-profile searches, run once per session and shared.

`NASH_SCIENCE_BREAK=darts-uniform` replaces DARTS's softmax by a uniform mixture (α then gets no
gradient): the check that the suite fails when a searcher's mechanism is broken (docs/STUDY.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch

SEEDS = (0, 1, 2)


def _uniform_softmax(logits, dim=-1):
    """softmax(α) replaced by the uniform mixture 1/|O|, still a function of α (with zero gradient)."""
    return torch.full_like(logits, 1.0 / logits.shape[dim]) + 0.0 * logits


@pytest.fixture(scope="session")
def study_runs(tmp_path_factory):
    """searcher -> list of epoch-row lists, one per seed, of nb201-cifar10 --profile study."""
    from harness.config.run_config import resolve_config
    from harness.run.runner import run_search

    out: Path = tmp_path_factory.mktemp("science")
    cache: dict[tuple[str, int], list[dict]] = {}

    def search(searcher: str, seed: int) -> list[dict]:
        if (searcher, seed) not in cache:
            with pytest.MonkeyPatch.context() as patch:
                if searcher == "darts" and os.environ.get("NASH_SCIENCE_BREAK") == "darts-uniform":
                    from searchers.darts import Darts
                    from searchers.mixing import SoftmaxMixer

                    # Both of DARTS's mixtures (the arch step's relaxation and the weight step's); the cell
                    # is still derived from α, and the entropy measured on softmax(α).
                    uniform = lambda self: SoftmaxMixer(_uniform_softmax(self.alpha))  # noqa: E731
                    patch.setattr(Darts, "relaxed_mixer", uniform)
                    patch.setattr(Darts, "weight_mixer", uniform)
                torch.set_num_threads(1)  # the study's runs: one thread each
                config = resolve_config("nb201-cifar10", searcher, "study", seed)
                cache[searcher, seed] = run_search(config, out, progress=False).rows
        return cache[searcher, seed]

    return lambda searcher: _Seeds(searcher, search)


class _Seeds(Sequence):
    """The runs of SEEDS, each searched when first read: a failing seed stops the test before the next search."""

    def __init__(self, searcher: str, search) -> None:
        self.searcher, self.search = searcher, search

    def __len__(self) -> int:
        return len(SEEDS)

    def __getitem__(self, index):
        return self.search(self.searcher, SEEDS[index])
