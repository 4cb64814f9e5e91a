"""Which ops a genotype of each DARTS-family space may use (ALGORITHMS.md §1.2), for checking genotypes
before an evaluation. S1 allows different ops per edge; this is the union of its table."""

from __future__ import annotations

from benchmarks.darts.ops import DARTS_OPS, NOISE
from benchmarks.errors import NashError

_SPACE_OPS: dict[str, frozenset[str]] = {
    "s0": frozenset(DARTS_OPS) - {"none"},
    "s1": frozenset({"skip_connect", "dil_conv_3x3", "dil_conv_5x5", "sep_conv_3x3", "max_pool_3x3", "avg_pool_3x3"}),
    "s2": frozenset({"skip_connect", "sep_conv_3x3"}),
    "s3": frozenset({"none", "skip_connect", "sep_conv_3x3"}),
    "s4": frozenset({NOISE, "sep_conv_3x3"}),
}


def ops_of_space(space: str) -> set[str]:
    """The op names a derived cell of `space` (s0–s4) may contain."""
    try:
        return set(_SPACE_OPS[space])
    except KeyError:
        raise NashError(f"{space!r} is not a DARTS-family space; known: {', '.join(_SPACE_OPS)}") from None
