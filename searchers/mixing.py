"""Edge mixers: how an edge combines its candidate ops, handed to the shared supernet.

A mixer is two things at once (`benchmarks.kernels.mix_plan` has the protocol):
- callable per edge, `mixer(edge, ops, x) -> Tensor | None`: the per-edge reference path, and what
  wrappers of other mixers call (`inner(edge, ops, x)`);
- `plan() -> MixPlan | None`: the same mixing as data (op weights, a host-side op per edge for single
  paths, kept edges, edge scale, scalar offset, partial channels). The supernet computes a mixer with a
  plan node by node, all edges leaving a node together; it calls a mixer without one edge by edge.
A new mixer that `MixPlan` can express gets a `plan()`; one it cannot express (or a wrapper whose
inner mixer has no plan) returns None or has no `plan`, and still works, per edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.darts.ops import Zero as DartsZero
from benchmarks.kernels.mix_plan import MixPlan, plan_of
from benchmarks.nb201.ops import Zero

_ZEROS = (Zero, DartsZero)


class SoftmaxMixer:
    """DARTS: every op runs, outputs summed with the edge's softmax weights.

    `none` ops are skipped: they output zeros, so their term changes neither the sum nor
    any gradient (α_none still receives gradient through the softmax normalisation).
    """

    def __init__(self, weights: Tensor) -> None:
        self.weights = weights  # (edges, ops), rows sum to 1

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor:
        row = self.weights[edge]
        terms = [row[k] * op(x) for k, op in enumerate(ops) if not isinstance(op, _ZEROS)]
        return torch.stack(terms).sum(dim=0) if len(terms) > 1 else terms[0]

    def plan(self) -> MixPlan:
        return MixPlan(self.weights)


class SingleOpMixer:
    """GDAS-style single path: each edge runs only its sampled op, scaled by the hard weight.

    `hard[e, k]` has value 1 for the sampled op and carries the straight-through gradient.
    `unselected=True` also adds the hard weights of the edge's other ops (value exactly 0, so the
    output and every weight gradient are unchanged): their straight-through gradient then reaches
    those ops' α, as in the NAS-Bench-201 reference cell (xautodl `search_cells.py`,
    `NAS201SearchCell.forward_gdas`). Only the sampled op's module is ever called.
    """

    def __init__(self, hard: Tensor, index: list[int], unselected: bool = False) -> None:
        self.hard = hard
        self.index = index  # host-side op index per edge, so only that module is called
        # Per edge, Σ_{j≠k} hard[e, j]: a 0-valued scalar whose gradient is 1 for every unselected op.
        self.unselected = unselected_sum(hard, index) if unselected else None

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor:
        k = self.index[edge]
        out = ops[k](x) * self.hard[edge, k]
        return out if self.unselected is None else out + self.unselected[edge]

    def plan(self) -> MixPlan:
        return MixPlan(self.hard, selected=tuple(self.index), edge_offset=self.unselected)


def unselected_sum(hard: Tensor, index: list[int]) -> Tensor:
    """Σ over each row's ops other than `index[row]` of `hard` (value 0 for a straight-through one-hot)."""
    selected = torch.zeros(hard.shape, dtype=torch.bool)  # built on the host, copied without a sync
    selected[torch.arange(len(index)), torch.tensor(index)] = True
    return hard.masked_fill(selected.to(hard.device, non_blocking=True), 0.0).sum(dim=-1)


class FixedArchMixer:
    """One fixed op per edge (a one-hot architecture): a sub-network with the supernet's own weights.

    Only the chosen op is called (no zero-weighted terms), with weight exactly 1, so the output is
    what a discrete network with these ops and weights computes. Used to rank cells one-shot.
    """

    def __init__(self, op_indices: Sequence[int]) -> None:
        self.op_indices = [int(k) for k in op_indices]

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor:
        return ops[self.op_indices[edge]](x)

    def plan(self) -> MixPlan:
        return MixPlan(None, selected=tuple(self.op_indices))


class EdgeScaledMixer:
    """Another mixer's edge output times a per-edge weight (e.g. a relaxed topology)."""

    def __init__(self, inner, edge_weights: Tensor) -> None:
        self.inner = inner
        self.edge_weights = edge_weights

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor:
        return self.inner(edge, ops, x) * self.edge_weights[edge]

    def plan(self) -> MixPlan | None:
        return scaled_plan(plan_of(self.inner), self.edge_weights)


def scaled_plan(plan: MixPlan | None, edge_weights: Tensor) -> MixPlan | None:
    """`plan` with every edge output also multiplied by `edge_weights[edge]` (None stays None)."""
    if plan is None:
        return None
    scale = edge_weights if plan.edge_scale is None else plan.edge_scale * edge_weights
    return replace(plan, edge_scale=scale)


def sample_gumbel(shape: torch.Size, device: torch.device) -> Tensor:
    """Standard Gumbel noise: −log E with E ~ Exp(1).

    Drawn from the CPU generator and moved, so a seed gives the same samples on CPU and GPU (the
    sample is tiny; a host-to-device copy of pageable memory made non-blocking waits for no kernel).
    """
    return -torch.empty(shape).exponential_().log().to(device, non_blocking=True)


def gumbel_softmax_hard(logits: Tensor, tau: float, gumbel: Tensor) -> tuple[Tensor, Tensor]:
    """GDAS sample: probs = softmax((log_softmax(α)+g)/τ); hard = one_hot − probs.detach() + probs."""
    probs = F.softmax((F.log_softmax(logits, dim=-1) + gumbel) / tau, dim=-1)
    index = probs.argmax(dim=-1, keepdim=True)
    one_hot = torch.zeros_like(probs).scatter_(-1, index, 1.0)
    return one_hot - probs.detach() + probs, index.squeeze(-1)


def read_on_host(values: Sequence[Tensor]) -> list[list[int]]:
    """Integer-valued tensors brought to the host in one read (on a GPU: one wait for the queued kernels)."""
    flat = torch.cat([v.flatten().to(torch.int64) for v in values]).tolist()
    out, start = [], 0
    for v in values:
        out.append(flat[start : start + v.numel()])
        start += v.numel()
    return out


def gumbel_sample_check(logits: Tensor, tau: float, gumbel: Tensor) -> tuple[Tensor, Tensor]:
    """(whether the noise and the sample are finite, the sampled op per row), both on the logits' device."""
    hard, index = gumbel_softmax_hard(logits.detach(), tau, gumbel)
    return torch.isfinite(gumbel).all() & torch.isfinite(hard).all(), index.flatten()


class AuxiliarySkipMixer:
    """DARTS- (Chu et al., ICLR 2021): another mixer's edge output plus β × an auxiliary skip of the edge input.

    The skip is the identity on stride-1 edges; a stride-2 edge has its own reduction module,
    looked up by the edge's op list (`reducers[ops]`, built by `searchers.darts_minus`). The skip
    is outside the softmax: β is a schedule, not a learned weight, and decays to 0 over the search.
    """

    def __init__(self, inner, beta: float, reducers: dict[nn.Module, nn.Module]) -> None:
        self.inner = inner
        self.beta = beta
        self.reducers = reducers

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor:
        out = self.inner(edge, ops, x)
        if self.beta == 0:
            return out  # β·skip adds exact zeros; skip computing it
        reducer = self.reducers.get(ops)
        return out + self.beta * (x if reducer is None else reducer(x))

    def plan(self) -> MixPlan | None:
        """The inner plan plus the skip (no skip term at β = 0, as the per-edge call)."""
        plan = plan_of(self.inner)
        if plan is None or self.beta == 0:
            return plan
        if plan.skip_weight:
            return None  # a second skip: MixPlan holds one; the per-edge path still computes it
        return replace(plan, skip_weight=self.beta, skip_reducers=self.reducers)
