"""The one-shot network of the DARTS-family spaces (ALGORITHMS.md §1.2).

Stem `cifar`: Conv3x3 (stem_multiplier·C channels) + BN, full resolution. Stem `imagenet` (PC-DARTS /
ROME direct ImageNet search, PC-DARTS `model_search_imagenet.py`): three stride-2 3x3 convs of width
S = stem_multiplier·C, stem0 = conv(3→S/2)+BN+ReLU+conv(S/2→S)+BN, stem1 = ReLU+conv(S→S)+BN (3 → 24 →
48 at C=16), so 224 → 28 before the cells; the first cell reads stem0 (56) and stem1 (28), so it treats
its first input as coming from a reduction. Then `layers` cells, the ones at layers//3 and
2·layers//3 reduce (stride 2 on the edges from the cell inputs, channels doubled); each cell
preprocesses its two inputs to C channels (ReLU-Conv1x1-BN, or FactorizedReduce when the previous
cell reduced), computes 4 intermediate nodes and concatenates them; global pool + Linear.

Like the NB201 supernet it owns no architecture parameters: every forward takes an `EdgeMixer`,
called as `mixer(arch_edge, ops, x)` with arch_edge = cell edge (0–13) + 14 in reduction cells.
A mixer may return None for an edge it drops (ROME's topology); the node skips it. A mixer with a
`plan()` (`benchmarks.kernels.mix_plan`) is computed source by source, all edges leaving a state together
(`benchmarks.kernels.fused_edges`), unless `fused_edges` is False.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from benchmarks.darts.cell_edges import NODE_IN_EDGES, NUM_CELL_EDGES, NUM_NODES
from benchmarks.darts.ops import FactorizedReduce, Noise, ReluConvBn, make_op
from benchmarks.errors import NashError
from benchmarks.kernels.channel_concat import channel_concat
from benchmarks.kernels.fused_edges import NodeSums, OutEdge, PreparedPlan, fused_source
from benchmarks.kernels.mix_plan import plan_of

CellOps = Sequence[Sequence[str]]  # candidate op names per cell edge (14 entries)
STEMS = ("cifar", "imagenet")


def reduction_layers(layers: int) -> frozenset[int]:
    """Indices of the reduction cells: layers//3 and 2·layers//3."""
    return frozenset({layers // 3, 2 * layers // 3})


class DartsSearchCell(nn.Module):
    """14 edges, each holding every candidate op of that edge; `op_channels_divisor` K builds them for C/K channels."""

    def __init__(
        self,
        edge_ops: CellOps,
        c_prev_prev: int,
        c_prev: int,
        channels: int,
        reduction: bool,
        reduction_prev: bool,
        affine: bool,
        op_channels_divisor: int = 1,
    ) -> None:
        super().__init__()
        if len(edge_ops) != NUM_CELL_EDGES:
            raise ValueError(f"a DARTS cell has {NUM_CELL_EDGES} edges, got op sets for {len(edge_ops)}")
        if op_channels_divisor < 1 or channels % op_channels_divisor:
            raise ValueError(f"op_channels_divisor {op_channels_divisor} does not divide {channels} channels")
        self.reduction = reduction
        self.offset = NUM_CELL_EDGES if reduction else 0
        self.preprocess0 = (
            FactorizedReduce(c_prev_prev, channels, affine)
            if reduction_prev
            else ReluConvBn(c_prev_prev, channels, 1, 1, 0, affine)
        )
        self.preprocess1 = ReluConvBn(c_prev, channels, 1, 1, 0, affine)
        op_channels = channels // op_channels_divisor
        self.edges = nn.ModuleList()
        self.out_edges: list[list[OutEdge]] = [[] for _ in range(1 + NUM_NODES)]  # per source state (fused path)
        for node, node_edges in enumerate(NODE_IN_EDGES):
            for source, edge in enumerate(node_edges):
                stride = 2 if reduction and source < 2 else 1  # the cell inputs are at the previous resolution
                self.edges.append(
                    nn.ModuleList(make_op(op, op_channels, stride, affine, search=True) for op in edge_ops[edge])
                )
                out = OutEdge(self.offset + edge, self.edges[edge], tuple(edge_ops[edge]), 2 + node, stride)
                self.out_edges[source].append(out)
        self.random_edges = [  # (edge, op) of the random ops (S4 noise), in the per-edge path's order
            (edge, k)
            for node_edges in NODE_IN_EDGES
            for edge in node_edges
            for k, op in enumerate(self.edges[edge])
            if isinstance(op, Noise)
        ]

    def forward(self, s0: Tensor, s1: Tensor, mixer, plan: PreparedPlan | None = None) -> Tensor:
        if plan is not None:
            return plan.cell_function(DartsSearchCell.forward_fused)(self, s0, s1, plan)
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node, node_edges in enumerate(NODE_IN_EDGES):
            total = None
            for source, edge in enumerate(node_edges):
                out = mixer(self.offset + edge, self.edges[edge], states[source])
                if out is not None:  # None: the mixer dropped this edge (ROME topology)
                    total = out if total is None else total + out
            if total is None:
                raise RuntimeError(f"the mixer dropped every incoming edge of node {node}")
            states.append(total)
        return channel_concat(states[2:])

    def forward_fused(self, s0: Tensor, s1: Tensor, plan: PreparedPlan) -> Tensor:
        """State by state: every edge leaving a state at once, its outputs added into their nodes' sums."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        x = states[1]
        stride = 2 if self.reduction else 1
        partial = plan.plan.partial_channels
        shape = (x.shape[0], x.shape[1] // partial, -(-x.shape[2] // stride), -(-x.shape[3] // stride))
        noise = self.draw_noise(plan, shape, x)
        sums = NodeSums(partial)
        for source in range(1 + NUM_NODES):
            if source >= 2:
                self.check_kept(source - 2, plan)
                states.append(sums.node(source, shape, x))
            fused_source(states[source], self.out_edges[source], plan, sums, noise)
        self.check_kept(NUM_NODES - 1, plan)
        states.append(sums.node(1 + NUM_NODES, shape, x))
        return channel_concat(states[2:])

    def check_kept(self, node: int, plan: PreparedPlan) -> None:
        if not any(plan.is_kept(self.offset + edge) for edge in NODE_IN_EDGES[node]):
            raise RuntimeError(f"the mixer dropped every incoming edge of node {node}")

    def draw_noise(self, plan: PreparedPlan, shape: tuple[int, ...], like: Tensor) -> dict[int, Tensor] | None:
        """The random ops' outputs, drawn in the per-edge path's order so both paths draw the same numbers."""
        drawn = {}
        for edge, k in self.random_edges:
            arch = self.offset + edge
            if plan.is_kept(arch) and k in plan.computed_ops(self.out_edge(edge)):
                drawn[arch] = torch.randn(shape, device=like.device)
        return drawn or None

    def out_edge(self, edge: int) -> OutEdge:
        return next(e for edges in self.out_edges for e in edges if e.arch == self.offset + edge)


def imagenet_stem(channels: int) -> tuple[nn.Sequential, nn.Sequential]:
    """(stem0, stem1): 3 → S/2 → S channels at 1/4 resolution, then S at 1/8 (224 → 56 → 28); S = `channels`,
    the stem width (stem_multiplier·C in the search network)."""
    half = channels // 2
    stem0 = nn.Sequential(
        nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(half),
        nn.ReLU(inplace=False),
        nn.Conv2d(half, channels, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(channels),
    )
    stem1 = nn.Sequential(
        nn.ReLU(inplace=False),
        nn.Conv2d(channels, channels, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(channels),
    )
    return stem0, stem1


class DartsSearchNetwork(nn.Module):
    """The DARTS search network (paper setting: 8 cells, C=16, stem multiplier 3, BN without affine in cells)."""

    def __init__(
        self,
        normal_ops: CellOps,
        reduce_ops: CellOps,
        channels: int = 16,
        layers: int = 8,
        num_classes: int = 10,
        stem_multiplier: int = 3,
        affine: bool = False,
        op_channels_divisor: int = 1,
        stem: str = "cifar",
    ) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"a DARTS search network needs at least one cell, got layers={layers}")
        if stem not in STEMS:
            raise NashError(f"unknown search-network stem {stem!r}; valid: {', '.join(STEMS)} (network.stem)")
        self.imagenet_stem = stem == "imagenet"
        c_stem = stem_multiplier * channels
        if self.imagenet_stem:
            if c_stem % 2:
                raise NashError(
                    f"the imagenet stem halves its width stem_multiplier·C = {c_stem} in its first conv; "
                    "use an even stem_multiplier·C"
                )
            self.stem0, self.stem1 = imagenet_stem(c_stem)
            c_prev_prev, c_prev, reduction_prev = c_stem, c_stem, True  # stem0 output is 2x stem1's size
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
            c_prev_prev, c_prev, reduction_prev = c_stem, c_stem, False
        c = channels
        reductions = reduction_layers(layers)
        self.cells = nn.ModuleList()
        for i in range(layers):
            reduction = i in reductions
            if reduction:
                c *= 2
            ops = reduce_ops if reduction else normal_ops
            cell = DartsSearchCell(ops, c_prev_prev, c_prev, c, reduction, reduction_prev, affine, op_channels_divisor)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, NUM_NODES * c
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    fused_edges = True  # False: every mixer is called edge by edge (the reference path)
    compile_steps = False  # True: fused cells (or their op blocks) run compiled (`benchmarks.kernels.compiled`)

    def forward(self, x: Tensor, mixer) -> Tensor:
        plan = plan_of(mixer) if self.fused_edges else None
        prepared = None if plan is None else PreparedPlan(plan, self.compile_steps)
        if self.imagenet_stem:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, mixer, prepared)
        return self.classifier(self.pool(s1).flatten(1))

    def weight_parameters(self) -> list[nn.Parameter]:
        return list(self.parameters())
