"""How a searcher's edge mixer describes itself to a supernet that computes edges together.

The supernets (NB201 `SearchCell`, DARTS-family `DartsSearchCell`) take an edge mixer on every
forward. A mixer is always callable per edge, `mixer(edge, ops, x) -> Tensor | None` (the per-edge
reference path). A mixer that also has a `plan()` method returning a `MixPlan` lets the supernet
compute all edges that leave one node together (`benchmarks.kernels.fused_edges`): one ReLU, one stacked
convolution and one BN call for the edges that run the same op, one pooling per node, and the
weighted sum written straight into each target node. What the plan means, for edge e with input x:

    inner_e(x) = Σ_{k in ops(e)} w[e, k] · op_{e,k}(x')     (x' = x, or its first C/K channels)
    edge_e(x)  = s[e] · (inner_e(x) + u[e]) + b · skip_e(x)  (partial: s[e] · shuffle(cat(inner_e, bypass)) + ...)

ops(e) is `selected[e]` when given (single path, host-side index), else every op of the edge but
`none`; w is `weights` (None: each op's output as is, weight exactly 1); s is `edge_scale` (None: 1);
u is `edge_offset` (None: 0), a scalar per edge; b is `skip_weight` (DARTS-'s auxiliary skip, 0: none) and
skip_e the identity, or on a stride-2 edge the module `skip_reducers[ops(e)]`, on all of x's channels; edges
outside `kept` contribute nothing. A mixer whose
meaning this cannot express simply has no `plan()`: the supernet then calls it edge by edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from torch import Tensor, nn


@dataclass(frozen=True, eq=False)
class MixPlan:
    """One forward's edge mixing, as data (see the module docstring for the formula)."""

    weights: Tensor | None  # (edges, ops): multiplies each computed op's output; None: weight 1
    selected: tuple[int, ...] | None = None  # one op per edge (host side); None: every op but `none`
    kept: frozenset[int] | None = None  # edges computed; None: every edge
    edge_scale: Tensor | None = None  # (edges,): multiplies the whole edge output
    edge_offset: Tensor | None = None  # (edges,): scalar added to the edge output before the scale
    partial_channels: int = 1  # PC-DARTS K: the ops see the first C/K channels, the rest bypass them
    skip_weight: float = 0.0  # b: every edge also adds b · skip(x) (outside the edge scale)
    skip_reducers: Mapping[nn.Module, nn.Module] | None = None  # an edge's op list -> its stride-2 skip

    def __post_init__(self) -> None:
        if self.weights is None and self.selected is None:
            raise ValueError("a mix plan without weights must select one op per edge")
        if self.partial_channels < 1:
            raise ValueError(f"partial_channels must be >= 1, got {self.partial_channels}")


def plan_of(mixer) -> MixPlan | None:
    """The mixer's plan, or None for a mixer that is only callable per edge."""
    make = getattr(mixer, "plan", None)
    return None if make is None else make()
