"""Genotype derivation in spaces whose cells choose 2 inputs per node (the DARTS-family spaces).

A space with cells exposes `node_in_edges` (incoming α rows of every intermediate node, both
cell types), `none_index` and `genotype_from_edge_ops`. In NB201 every node keeps all its inputs,
so the searchers take the argmax per edge there instead (`has_cells` tells them apart).
"""

from __future__ import annotations

import torch
from torch import Tensor

from searchers.partial_channels import rank_incoming_edges


def has_cells(space) -> bool:
    """True for spaces whose nodes keep 2 of their inputs (derivation by node, not by edge)."""
    return getattr(space, "node_in_edges", None) is not None


def op_argmax(weights: Tensor, none_index: int | None) -> list[int]:
    """Best op column per row, `none` excluded (a derived cell never keeps an edge to run `none`)."""
    masked = weights.detach().clone()
    if none_index is not None:
        masked[:, none_index] = -torch.inf
    return masked.argmax(dim=1).tolist()


def strongest_edges_genotype(space, op_weights: Tensor, edge_weights: Tensor | None = None):
    """DARTS / PC-DARTS: per node the 2 incoming edges with the largest max non-`none` weight
    (times the edge's weight, PC-DARTS), then the argmax non-`none` op on each."""
    if edge_weights is None:
        edge_weights = torch.ones(op_weights.shape[0], device=op_weights.device)
    chosen = rank_incoming_edges(op_weights, edge_weights, space.node_in_edges, space.none_index, keep=2)
    return space.genotype_from_edge_ops(chosen)


def top_pairs_genotype(space, op_weights: Tensor, distinct_edges: bool):
    """GDAS: per node the 2 (op, input) pairs with the largest softmax weight, `none` excluded.

    With `distinct_edges=False` (the reference code) both pairs may come from one edge (two ops on
    the same input); `True` takes the second pair from another edge. Ties go to the lower edge, then op.
    """
    weights = op_weights.detach().cpu()
    chosen = []
    for edges in space.node_in_edges:
        pairs = sorted(
            ((float(weights[e, k]), e, k) for e in edges for k in range(weights.shape[1]) if k != space.none_index),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        first = pairs[0]
        second = next(p for p in pairs[1:] if not distinct_edges or p[1] != first[1])
        chosen.append([(first[1], first[2]), (second[1], second[2])])
    return space.genotype_from_edge_ops(chosen)
