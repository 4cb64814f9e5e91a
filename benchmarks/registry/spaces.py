"""Search spaces by the name benchmarks use (`Benchmark.space`): nb201 and the DARTS-family s0–s4."""

from __future__ import annotations

from benchmarks.darts.spaces import DARTS_SPACE_NAMES, DartsSpace
from benchmarks.errors import NashError
from benchmarks.nb201.space import Nb201Space

SPACE_NAMES = ("nb201", *DARTS_SPACE_NAMES)


def get_space(name: str) -> Nb201Space | DartsSpace:
    if name == "nb201":
        return Nb201Space()
    if name in DARTS_SPACE_NAMES:
        return DartsSpace(name)
    raise NashError(f"unknown search space {name!r}; valid: {', '.join(SPACE_NAMES)}")
