"""The searchers nash knows, by the name used on the command line and in result files."""

from __future__ import annotations

from benchmarks.errors import NashError
from searchers.base import Searcher
from searchers.darts import Darts
from searchers.gdas import Gdas
from searchers.rome import Rome

SEARCHERS: dict[str, type[Searcher]] = {cls.name: cls for cls in (Darts, Gdas, Rome)}

DESCRIPTIONS = {
    "darts": "DARTS, first order: softmax mixture of all ops on every edge (Liu et al., ICLR 2019)",
    "gdas": "GDAS: one Gumbel-sampled op per edge, straight-through, tau 10 -> 0.1 (Dong & Yang, CVPR 2019)",
    "rome": "ROME: GDAS single path, 2 sampled inputs per node, K-sample grad accumulation (Wang et al., ICCV 2023)",
}


def get_searcher(name: str) -> type[Searcher]:
    try:
        return SEARCHERS[name]
    except KeyError:
        raise NashError(f"unknown searcher {name!r}; valid searchers: {', '.join(SEARCHERS)}") from None
