"""PC-DARTS building blocks (Xu et al., ICLR 2020), independent of the search space.

- `partial_channel_edge`: only the first C/K channels of an edge's input go through the
  mixed op; the other channels bypass it (max-pooled 2x2 on stride-2 edges), the two
  parts are concatenated and shuffled with K groups.
- `edge_normalization`: one logit β per edge, softmax over each node's incoming edges.
- `rank_incoming_edges`: the DARTS-space derivation (top-k incoming edges per node by
  max non-`none` softmax(α)·softmax(β), argmax non-`none` op on each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from benchmarks.kernels.fused_edges import channel_shuffle  # one copy, shared with the supernets' fused path

__all__ = ["channel_shuffle", "edge_normalization", "partial_channel_edge", "rank_incoming_edges"]


def partial_channel_edge(x: Tensor, k: int, mixed_op: Callable[[Tensor], Tensor], stride: int = 1) -> Tensor:
    """One PC-DARTS edge: mixed op on the first C/K channels, the rest bypassed, concat, shuffle.

    `mixed_op` maps (B, C/K, H, W) to (B, C/K, H/stride, W/stride). On stride-2 (reduction)
    edges the bypassed channels are max-pooled 2x2 so that both parts have the same size.
    """
    channels = x.shape[1]
    if k < 1 or channels % k:
        raise ValueError(f"partial-channel ratio 1/{k} does not divide {channels} channels")
    if stride not in (1, 2):
        raise ValueError(f"partial-channel edges have stride 1 or 2, got {stride}")
    part = channels // k
    mixed = mixed_op(x[:, :part])
    bypass = x[:, part:]
    if stride == 2:
        bypass = F.max_pool2d(bypass, kernel_size=2, stride=2)
    return channel_shuffle(torch.cat([mixed, bypass], dim=1), k)


def edge_normalization(beta: Tensor, node_edges: Sequence[Sequence[int]]) -> Tensor:
    """Per-edge weights: softmax of β over the incoming edges of each node (each node's weights sum to 1)."""
    weights = torch.empty_like(beta)
    for edges in node_edges:
        index = torch.as_tensor(list(edges)).to(beta.device, non_blocking=True)  # host-built, no sync
        weights = weights.index_copy(0, index, F.softmax(beta.index_select(0, index), dim=-1))
    return weights


def rank_incoming_edges(
    op_weights: Tensor,
    edge_weights: Tensor,
    node_edges: Sequence[Sequence[int]],
    none_index: int | None,
    keep: int = 2,
) -> list[list[tuple[int, int]]]:
    """Per node, the `keep` strongest incoming edges as (edge, op) pairs, strongest first.

    Edge strength = max over non-`none` ops of softmax(α)[edge, op] · softmax(β)[edge]; the op
    kept on an edge is its argmax non-`none` op (β scales a whole edge, so it never changes it).
    """
    masked = op_weights.detach().clone()
    if none_index is not None:
        masked[:, none_index] = -1.0  # below every probability: never the max
    best_weight, best_op = masked.max(dim=1)
    strength = best_weight * edge_weights.detach()
    derived = []
    for edges in node_edges:
        ranked = sorted(edges, key=lambda e: (-float(strength[e]), e))[:keep]
        derived.append([(e, int(best_op[e])) for e in ranked])
    return derived
