"""Read the ops of a genotype string without torch (the searchers' string forms).

- DARTS family: `Genotype(normal=[('op', input), ...], normal_concat=[...], reduce=[...], reduce_concat=[...])`
- NAS-Bench-201: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`

Parameter-free ops (ALGORITHMS.md §3): skip_connect, the pools, none and noise.
`input_reaches_output` says whether a derived cell's output depends on its input at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.errors import NashError

PARAMETER_FREE_OPS = frozenset({"skip_connect", "max_pool_3x3", "avg_pool_3x3", "none", "noise"})
_CELL = re.compile(r"\b(normal|reduce)\s*=\s*\[(.*?)\]", re.S)
_NB201_OP = re.compile(r"^([a-z0-9_]+)~\d+$")
_DARTS_GENE = re.compile(r"\(\s*['\"]([a-z0-9_]+)['\"]\s*,\s*(\d+)\s*\)")
_CONCAT = re.compile(r"\b(normal|reduce)_concat\s*=\s*(?:\[([\d,\s]*)\]|range\((\d+),\s*(\d+)\))")
# Ops whose output ignores their input: `none` outputs zeros, RobustDARTS' `noise` fresh Gaussian noise.
INPUT_FREE_OPS = frozenset({"none", "noise"})
# Size limits of a genotype string (it comes from files others can write). A DARTS genotype is ~400
# characters (4 nodes x 2 genes per cell), an NB201 one ~90 (3 nodes, 6 edges); these leave room for
# cells twice as large and stop a string of thousands of genes or concat entries before it is used.
GENOTYPE_TEXT_LIMIT = 2000
MAX_GENES = 16  # per DARTS-family cell: 2 per intermediate node (4 in DARTS, so up to 8 nodes)
MAX_CONCAT = 8  # concat entries of a DARTS-family cell: its intermediate nodes, each at most once
MAX_INPUT = 2 + MAX_GENES // 2  # a gene's input: the 2 cell inputs or an earlier intermediate node
NB201_EDGES = 6  # NB201: nodes 1, 2, 3 take 1, 2 and 3 edges


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
    """The ops of a DARTS-family or NB201 genotype string; anything else (or anything too large) is a NashError."""
    text = _bounded(text)
    if text.startswith("Genotype("):
        cells = dict.fromkeys(("normal", "reduce"), ())
        for name, genes in darts_cells(text).items():
            cells[name] = tuple(op for op, _source in genes)
        if not cells["normal"]:
            raise NashError(f"genotype {text[:60]!r} has no normal=[('op', input), ...] list")
        return CellOps("darts", cells["normal"], cells["reduce"])
    if text.startswith("|") and text.endswith("|"):
        ops = []
        for node in text.split("+"):
            for token in node.strip("|").split("|"):
                match = _NB201_OP.match(token)
                if not match:
                    raise NashError(f"cannot read NB201 op {token[:40]!r} in {text[:100]!r}; expected |op~i|")
                ops.append(match.group(1))
        if len(ops) != NB201_EDGES:
            raise NashError(f"NB201 genotype {text[:100]!r} has {len(ops)} ops; a cell has {NB201_EDGES} edges")
        return CellOps("nb201", tuple(ops))
    raise NashError(f"unknown genotype string {text[:60]!r}; expected Genotype(...) or |op~0|+...")


def _bounded(text: str) -> str:
    text = str(text).strip()
    if len(text) > GENOTYPE_TEXT_LIMIT:
        raise NashError(f"genotype string {text[:40]!r}... has {len(text):,} characters, over the "
                        f"limit of {GENOTYPE_TEXT_LIMIT:,}; is it a genotype?")  # fmt: skip
    return text


def darts_cells(text: str) -> dict[str, list[tuple[str, str]]]:
    """(op, input) genes per cell of a DARTS-family genotype, each cell within MAX_GENES and MAX_INPUT."""
    cells = {name: _DARTS_GENE.findall(body) for name, body in _CELL.findall(text)}
    for name, genes in cells.items():
        if len(genes) > MAX_GENES:
            raise NashError(f"genotype {name} cell has {len(genes)} genes, over the limit of {MAX_GENES}")
        if any(len(source) > 3 or int(source) > MAX_INPUT for _op, source in genes):
            raise NashError(f"genotype {name} cell takes an input over {MAX_INPUT}; inputs are 0..{MAX_INPUT}")
    return cells


def darts_concats(text: str) -> dict[str, list[int]]:
    """The concat list of each cell (`[2, 3, 4, 5]` or `range(2, 6)`), at most MAX_CONCAT distinct nodes."""
    concats = {}
    for name, listed, start, stop in _CONCAT.findall(text):
        numbers = [n.strip() for n in listed.split(",") if n.strip()] if not start else [start, stop]
        if len(numbers) > MAX_CONCAT or any(len(n) > 3 or int(n) > MAX_INPUT for n in numbers):
            raise NashError(f"genotype {name}_concat is over the limit of {MAX_CONCAT} nodes, each at most {MAX_INPUT}")
        nodes = list(range(int(start), int(stop))) if start else [int(n) for n in numbers]
        if len(set(nodes)) != len(nodes):
            raise NashError(f"genotype {name}_concat lists a node twice: {nodes}")
        concats[name] = nodes
    return concats


def input_reaches_output(text: str) -> bool:
    """Whether the derived cell's output depends on its input: a path of ops other than none / noise.

    NB201: from node 0 to node 3 (edge `op~j` into node i). DARTS family: from either cell input
    (0, 1) to a node of the normal cell's concat list; the reduction cell must pass too. A cell
    failing this (e.g. PC-DARTS's `|none~0|+|none~0|...|`) predicts the same for every image: its
    oracle accuracy is chance, whatever its other ops.
    """
    text = _bounded(text)
    if text.startswith("Genotype("):
        cells, concats = darts_cells(text), darts_concats(text)
        return all(_darts_cell_reaches(genes, concats.get(name, range(2, 6))) for name, genes in cells.items() if genes)
    ops = parse_cell_ops(text).normal  # NB201: edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2
    reached, edge = {0}, 0
    for node in range(1, 4):
        for source in range(node):
            if source in reached and ops[edge] not in INPUT_FREE_OPS:
                reached.add(node)
            edge += 1
    return 3 in reached


def _darts_cell_reaches(genes: list[tuple[str, str]], concat) -> bool:
    reached = {0, 1}
    for k, (op, source) in enumerate(genes):  # two genes per intermediate node, nodes in order
        if int(source) in reached and op not in INPUT_FREE_OPS:
            reached.add(2 + k // 2)
    return any(node in reached for node in concat)
