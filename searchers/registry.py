"""The searchers nash knows, by the name used on the command line and in result files."""

from __future__ import annotations

from benchmarks.errors import NashError
from searchers.base import Searcher
from searchers.darts import Darts, DartsSecondOrder
from searchers.gdas import Gdas
from searchers.pcdarts import PcDarts
from searchers.rome import Rome

SEARCHERS: dict[str, type[Searcher]] = {cls.name: cls for cls in (Darts, DartsSecondOrder, Gdas, PcDarts, Rome)}

DESCRIPTIONS = {
    "darts": "DARTS, first order: softmax mixture of all ops on every edge (Liu et al., ICLR 2019)",
    "darts-v2": "DARTS, second order: arch gradient after a virtual weight step, finite-difference Hessian",
    "gdas": "GDAS: one Gumbel-sampled op per edge, straight-through, tau 10 -> 0.1 (Dong & Yang, CVPR 2019)",
    "pcdarts": "PC-DARTS: 1/k of the channels through the mixed op, edge normalisation, warm-up (Xu et al., 2020)",
    "rome": "ROME: GDAS single path, 2 sampled inputs per node, K-sample grad accumulation (Wang et al., ICCV 2023)",
}


def get_searcher(name: str) -> type[Searcher]:
    try:
        return SEARCHERS[name]
    except KeyError:
        raise NashError(f"unknown searcher {name!r}; valid searchers: {', '.join(SEARCHERS)}") from None
