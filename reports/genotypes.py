"""Read the ops of a genotype string without torch (the searchers' string forms).

- DARTS family: `Genotype(normal=[('op', input), ...], normal_concat=[...], reduce=[...], reduce_concat=[...])`
- NAS-Bench-201: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`

Parameter-free ops (ALGORITHMS.md §3): skip_connect, the pools, none and noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.errors import NashError

PARAMETER_FREE_OPS = frozenset({"skip_connect", "max_pool_3x3", "avg_pool_3x3", "none", "noise"})
_CELL = re.compile(r"\b(normal|reduce)\s*=\s*\[(.*?)\]", re.S)
_DARTS_OP = re.compile(r"\(\s*['\"]([a-z0-9_]+)['\"]\s*,\s*\d+\s*\)")
_NB201_OP = re.compile(r"^([a-z0-9_]+)~\d+$")


@dataclass(frozen=True)
class CellOps:
    """Ops of the derived cell(s): `normal` is the NB201 cell itself; `reduce` is empty on NB201."""

    space: str  # "darts" or "nb201"
    normal: tuple[str, ...]
    reduce: tuple[str, ...] = ()

    def skips(self, cell: str = "normal") -> int:
        return sum(op == "skip_connect" for op in getattr(self, cell))

    def param_free(self, cell: str = "normal") -> int:
        return sum(op in PARAMETER_FREE_OPS for op in getattr(self, cell))


def parse_cell_ops(text: str) -> CellOps:
    """The ops of a DARTS-family or NB201 genotype string; anything else is a NashError."""
    text = str(text).strip()
    if text.startswith("Genotype("):
        cells = dict.fromkeys(("normal", "reduce"), ())
        for name, body in _CELL.findall(text):
            cells[name] = tuple(_DARTS_OP.findall(body))
        if not cells["normal"]:
            raise NashError(f"genotype {text[:60]!r} has no normal=[('op', input), ...] list")
        return CellOps("darts", cells["normal"], cells["reduce"])
    if text.startswith("|") and text.endswith("|"):
        ops = []
        for node in text.split("+"):
            for token in node.strip("|").split("|"):
                match = _NB201_OP.match(token)
                if not match:
                    raise NashError(f"cannot read NB201 op {token!r} in {text!r}; expected |op~i|")
                ops.append(match.group(1))
        return CellOps("nb201", tuple(ops))
    raise NashError(f"unknown genotype string {text[:60]!r}; expected Genotype(...) or |op~0|+...")
