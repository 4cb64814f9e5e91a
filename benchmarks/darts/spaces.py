"""The DARTS-family search spaces S0–S4 as searchers see them (ALGORITHMS.md §1.2).

α has one row per *arch edge*: rows 0–13 are the 14 edges of the normal cell, rows 14–27 the
14 edges of the reduction cell (same edge order inside each, `cell_edges`). Every edge of a
space has the same number of candidates, so α is a (28, n_ops) tensor even where the op names
differ per edge (S1); `edge_ops(e)` names the columns of row e. A `none` candidate, where a
space has one (S3), sits in the same column on every edge (`none_index`).

Genotypes are `benchmarks.darts.genotype.Genotype`; the space turns the searchers' choices
(per node, the kept (arch edge, op column) pairs) into one.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.darts.cell_edges import CELL_EDGES, NODE_IN_EDGES, NUM_CELL_EDGES, NUM_NODES
from benchmarks.darts.genotype import Genotype, make_genotype, parse_genotype
from benchmarks.darts.ops import DARTS_OPS, NOISE, PARAMETER_FREE_OPS
from benchmarks.darts.search_network import DartsSearchNetwork
from benchmarks.errors import NashError

CELL_TYPES = ("normal", "reduce")
NUM_ARCH_EDGES = 2 * NUM_CELL_EDGES  # 28: normal cell edges, then reduction cell edges
# Incoming arch edges of each intermediate node: normal nodes 0–3, then reduction nodes 0–3.
ARCH_NODE_IN_EDGES: tuple[tuple[int, ...], ...] = tuple(
    tuple(offset + e for e in edges) for offset in (0, NUM_CELL_EDGES) for edges in NODE_IN_EDGES
)

_S0 = tuple(op for op in DARTS_OPS if op != "none")
_SHORT = {
    "skip": "skip_connect",
    "max": "max_pool_3x3",
    "avg": "avg_pool_3x3",
    "sep3": "sep_conv_3x3",
    "dil3": "dil_conv_3x3",
    "dil5": "dil_conv_5x5",
}
# RobustDARTS S1, edge by edge (ALGORITHMS.md §1.2): (normal ops, reduce ops).
_S1_TABLE = (
    ("skip dil3", "max avg"),
    ("skip dil5", "max dil3"),
    ("skip dil5", "max avg"),
    ("skip sep3", "max avg"),
    ("skip dil3", "skip dil5"),
    ("max skip", "max avg"),
    ("skip sep3", "max sep3"),
    ("skip sep3", "skip dil3"),
    ("skip dil3", "skip dil5"),
    ("skip sep3", "max avg"),
    ("max skip", "max avg"),
    ("skip dil3", "skip dil5"),
    ("dil3 dil5", "skip dil5"),
    ("dil3 dil5", "skip dil5"),
)


def _s1_cell(column: int) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_SHORT[s] for s in row[column].split()) for row in _S1_TABLE)


def _same_everywhere(ops: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return (ops,) * NUM_CELL_EDGES


# Per space: candidate op names of each edge of the normal cell and of the reduction cell.
SPACE_OPS: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]] = {
    "s0": (_same_everywhere(_S0), _same_everywhere(_S0)),
    "s1": (_s1_cell(0), _s1_cell(1)),
    "s2": (_same_everywhere(("skip_connect", "sep_conv_3x3")),) * 2,
    "s3": (_same_everywhere(("none", "skip_connect", "sep_conv_3x3")),) * 2,
    "s4": (_same_everywhere((NOISE, "sep_conv_3x3")),) * 2,
}
DARTS_SPACE_NAMES = tuple(SPACE_OPS)


class DartsSpace:
    """One of S0–S4: per-edge candidate ops for both cell types, the search network, genotypes."""

    num_edges = NUM_ARCH_EDGES
    parameter_free_ops = PARAMETER_FREE_OPS
    node_in_edges = ARCH_NODE_IN_EDGES  # the topology ROME samples: 2 kept inputs per node
    node_edge_groups = ARCH_NODE_IN_EDGES  # edges summed into each node (PC-DARTS edge normalisation)
    # Nodes as DARTS genotypes number them (0, 1: the cell inputs; 2 + j: intermediate node j).
    node_labels = tuple(f"{cell} {2 + j}" for cell in ("normal", "reduce") for j in range(NUM_NODES))
    network_fields = ("channels", "layers", "stem_multiplier", "affine", "stem")  # stem: "cifar" or "imagenet"

    def __init__(self, name: str) -> None:
        if name not in SPACE_OPS:
            raise NashError(f"unknown DARTS-family space {name!r}; valid: {', '.join(SPACE_OPS)}")
        self.name = name
        normal, reduce = SPACE_OPS[name]
        self.cell_ops = {"normal": normal, "reduce": reduce}
        self._edge_ops = (*normal, *reduce)
        widths = {len(ops) for ops in self._edge_ops}
        if len(widths) != 1:
            raise ValueError(f"space {name}: every edge needs the same number of candidates, got {sorted(widths)}")
        self.num_ops = widths.pop()
        nones = {ops.index("none") if "none" in ops else None for ops in self._edge_ops}
        if len(nones) != 1:
            raise ValueError(f"space {name}: `none` must be on every edge in the same column, or on none")
        self.none_index = nones.pop()
        # Every op name the space uses, in DARTS order (for listings; α columns are per edge).
        used = {op for ops in self._edge_ops for op in ops}
        self.ops = tuple(op for op in (*DARTS_OPS, NOISE) if op in used)
        # Stride of every arch edge in the search network: 2 on reduction edges from the cell inputs.
        self.edge_strides = tuple(
            2 if e >= NUM_CELL_EDGES and CELL_EDGES[e - NUM_CELL_EDGES][1] < 2 else 1 for e in range(NUM_ARCH_EDGES)
        )

    def edge_ops(self, edge: int) -> tuple[str, ...]:
        """The op names of α row `edge` (0–13 normal cell, 14–27 reduction cell)."""
        return self._edge_ops[edge]

    def edge_label(self, edge: int) -> str:
        """α row `edge` as `cell target<-source`, inputs numbered as in DARTS genotypes."""
        node, source = CELL_EDGES[edge % NUM_CELL_EDGES]
        return f"{'normal' if edge < NUM_CELL_EDGES else 'reduce'} {2 + node}<-{source}"

    def build_supernet(
        self,
        channels: int,
        layers: int,
        num_classes: int,
        affine: bool,
        op_channels_divisor: int = 1,
        stem_multiplier: int = 3,
        stem: str = "cifar",
    ) -> DartsSearchNetwork:
        return DartsSearchNetwork(
            self.cell_ops["normal"],
            self.cell_ops["reduce"],
            channels=channels,
            layers=layers,
            num_classes=num_classes,
            stem_multiplier=stem_multiplier,
            affine=affine,
            op_channels_divisor=op_channels_divisor,
            stem=stem,
        )

    def genotype_from_edge_ops(self, chosen: Sequence[Sequence[tuple[int, int]]]) -> Genotype:
        """Per intermediate node (normal 0–3, then reduce 0–3), two (arch edge, op column) choices."""
        if len(chosen) != len(ARCH_NODE_IN_EDGES):
            raise ValueError(f"expected choices for {len(ARCH_NODE_IN_EDGES)} nodes, got {len(chosen)}")
        cells: list[list[tuple[str, int]]] = [[], []]
        for node, (choices, in_edges) in enumerate(zip(chosen, ARCH_NODE_IN_EDGES, strict=True)):
            if len(choices) != 2:
                raise ValueError(f"node {node} needs 2 (edge, op) choices, got {len(choices)}")
            for edge, op in choices:
                if edge not in in_edges:
                    cell = CELL_TYPES[node // 4]
                    raise ValueError(f"arch edge {edge} does not enter node {node % 4} of the {cell} cell")
                source = CELL_EDGES[edge % NUM_CELL_EDGES][1]
                cells[node // 4].append((self.edge_ops(edge)[op], source))
        return make_genotype(cells[0], cells[1])

    def genotype_from_kept_edges(self, kept: Sequence[tuple[int, int]], op_indices: Sequence[int]) -> Genotype:
        """ROME: per node its two kept arch edges, each with the op column `op_indices[edge]`."""
        return self.genotype_from_edge_ops([[(e, op_indices[e]) for e in pair] for pair in kept])

    def parse(self, text: str) -> Genotype:
        """A genotype string, checked against this space's per-edge op sets."""
        return self.check_genotype(parse_genotype(text))

    def check_genotype(self, genotype: Genotype) -> Genotype:
        """`genotype` itself when every gene's op is a candidate on its edge here (S1: edge by edge)."""
        for cell in CELL_TYPES:
            offset = 0 if cell == "normal" else NUM_CELL_EDGES
            for edge, op in genotype.edges(cell):
                if op not in self.edge_ops(offset + edge):
                    raise NashError(
                        f"genotype uses {op}, not a candidate on edge {edge} of the {cell} cell in {self.name}; "
                        f"valid there: {', '.join(self.edge_ops(offset + edge))}"
                    )
        return genotype


def get_darts_space(name: str) -> DartsSpace:
    return DartsSpace(name)
