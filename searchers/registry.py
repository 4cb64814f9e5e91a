"""The searchers nash knows, by the name used on the command line and in result files."""

from __future__ import annotations

from benchmarks.errors import NashError
from searchers.base import Searcher
from searchers.catalog import BUILTIN_DESCRIPTIONS
from searchers.darts import Darts, DartsSecondOrder
from searchers.gdas import Gdas
from searchers.pcdarts import PcDarts
from searchers.rome import Rome

SEARCHERS: dict[str, type[Searcher]] = {cls.name: cls for cls in (Darts, DartsSecondOrder, Gdas, PcDarts, Rome)}

DESCRIPTIONS = dict(BUILTIN_DESCRIPTIONS)  # one copy, in the torch-free catalog (`nash searchers`)


def get_searcher(name: str) -> type[Searcher]:
    try:
        return SEARCHERS[name]
    except KeyError:
        raise NashError(f"unknown searcher {name!r}; valid searchers: {', '.join(SEARCHERS)}") from None
