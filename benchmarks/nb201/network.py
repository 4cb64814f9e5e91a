"""NAS-Bench-201 networks: the supernet searched over and the discrete network of one cell.

Both share the macro skeleton of the benchmark: stem Conv3x3+BN; three stages of N cells
with C, 2C, 4C channels separated by residual reduction blocks; then BN → ReLU → global
average pool → Linear. The final BN+ReLU is part of the benchmark (dropping it costs
5–6 accuracy points), so it is always built.

The supernet does not own architecture parameters: every forward takes an `EdgeMixer`
from the searcher, which decides how an edge combines (or samples) its candidate ops.
All cells share the same architecture, so the mixer only needs the edge index. A mixer with a
`plan()` (`benchmarks.kernels.mix_plan`) is computed node by node, all edges leaving a node together
(`benchmarks.kernels.fused_edges`), unless `fused_edges` is False; any other mixer is called per edge.
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor, nn

from benchmarks.kernels.fused_edges import NodeSums, OutEdge, PreparedPlan, fused_source, live_nodes
from benchmarks.kernels.mix_plan import plan_of
from benchmarks.nb201.arch import EDGES, NUM_NODES, OPS, Nb201Arch
from benchmarks.nb201.ops import ResidualReduction, make_op


class EdgeMixer(Protocol):
    """How one edge turns its input into its output, given all its candidate ops."""

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor: ...


class SearchCell(nn.Module):
    """A cell holding every candidate op on each of the six edges.

    `op_channels_divisor` K builds the candidate ops for C/K channels: partial-channel
    searchers (PC-DARTS) send only that slice of each edge's input through the ops.
    """

    def __init__(self, channels: int, affine: bool, op_channels_divisor: int = 1) -> None:
        super().__init__()
        if op_channels_divisor < 1 or channels % op_channels_divisor:
            raise ValueError(f"op_channels_divisor {op_channels_divisor} does not divide {channels} channels")
        op_channels = channels // op_channels_divisor
        self.edges = nn.ModuleList(nn.ModuleList(make_op(name, op_channels, affine) for name in OPS) for _ in EDGES)
        # The edges leaving each node (all but the last), for the fused path.
        self.out_edges = [
            [OutEdge(e, self.edges[e], OPS, dest) for e, (source, dest) in enumerate(EDGES) if source == node]
            for node in range(NUM_NODES - 1)
        ]

    def forward(self, x: Tensor, mixer: EdgeMixer, plan: PreparedPlan | None = None) -> Tensor:
        if plan is not None:
            return plan.cell_function(SearchCell.forward_fused)(self, x, plan)
        nodes = [x]
        for target in range(1, NUM_NODES):
            total = None
            for edge, (source, dest) in enumerate(EDGES):
                if dest != target:
                    continue
                out = mixer(edge, self.edges[edge], nodes[source])
                if out is not None:  # None: the mixer dropped this edge
                    total = out if total is None else total + out
            nodes.append(x.new_zeros(x.shape) if total is None else total)
        return nodes[-1]

    def forward_fused(self, x: Tensor, plan: PreparedPlan) -> Tensor:
        """Node by node: every edge leaving a node at once, its outputs added into their targets' sums."""
        partial = plan.plan.partial_channels
        zeros_shape = (x.shape[0], x.shape[1] // partial, *x.shape[2:])
        sums = NodeSums(partial)
        live = live_nodes(self.out_edges, plan, NUM_NODES - 1)
        node = x
        for source in range(NUM_NODES - 1):
            fused_source(node, self.out_edges[source], plan, sums, live=live)
            node = sums.node(source + 1, zeros_shape, x)
        return node


class DiscreteCell(nn.Module):
    """A cell with one fixed op per edge; `none` edges are dropped (they add zeros)."""

    def __init__(self, arch: Nb201Arch, channels: int) -> None:
        super().__init__()
        self.arch = arch
        self.ops = nn.ModuleDict(
            {str(edge): make_op(op, channels, affine=True) for edge, op in enumerate(arch.ops) if op != "none"}
        )

    def forward(self, x: Tensor) -> Tensor:
        nodes = [x]
        for target in range(1, NUM_NODES):
            total = x.new_zeros(x.shape)
            for edge, (source, dest) in enumerate(EDGES):
                if dest == target and str(edge) in self.ops:
                    total = total + self.ops[str(edge)](nodes[source])
            nodes.append(total)
        return nodes[-1]


class _Skeleton(nn.Module):
    """Stem, three stages of cells with residual reductions between them, and the head."""

    def __init__(self, channels: int, cells_per_stage: int, num_classes: int, make_cell) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, 2 * c))
                c *= 2
            layers.extend(make_cell(c) for _ in range(cells_per_stage))
        self.layers = nn.ModuleList(layers)
        self.last_act = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def head(self, x: Tensor) -> Tensor:
        return self.classifier(self.pool(self.last_act(x)).flatten(1))


class Nb201SuperNet(_Skeleton):
    """The one-shot network of the NB201 space (paper setting: C=16, N=5, 32x32 inputs).

    `affine=False` follows the NB201 search setting (BN without affine in the cells).
    `op_channels_divisor` > 1 builds the cells' candidate ops for C/K channels (PC-DARTS).
    """

    def __init__(
        self,
        channels: int = 16,
        cells_per_stage: int = 5,
        num_classes: int = 10,
        affine: bool = False,
        op_channels_divisor: int = 1,
    ):
        super().__init__(channels, cells_per_stage, num_classes, lambda c: SearchCell(c, affine, op_channels_divisor))

    fused_edges = True  # False: every mixer is called edge by edge (the reference path)
    compile_steps = False  # True: fused cells (or their op blocks) run compiled (`benchmarks.kernels.compiled`)

    def forward(self, x: Tensor, mixer: EdgeMixer) -> Tensor:
        plan = plan_of(mixer) if self.fused_edges else None
        prepared = None if plan is None else PreparedPlan(plan, self.compile_steps)
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, mixer, prepared) if isinstance(layer, SearchCell) else layer(x)
        return self.head(x)

    def weight_parameters(self) -> list[nn.Parameter]:
        return list(self.parameters())


class Nb201Network(_Skeleton):
    """The discrete network of one NB201 cell, as the benchmark trains it."""

    def __init__(self, arch: Nb201Arch, channels: int = 16, cells_per_stage: int = 5, num_classes: int = 10):
        super().__init__(channels, cells_per_stage, num_classes, lambda c: DiscreteCell(arch, c))
        self.arch = arch

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return self.head(x)
