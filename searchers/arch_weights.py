"""The architecture's normalised weights, labelled: what `epochs.parquet`'s `arch_weights` column stores per epoch.

Shape (JSON-ready): parameter → group → option → weight, the weights of each group summing to 1.
- "alpha": one group per edge (`space.edge_label`, e.g. `2<-1` on NB201, `normal 3<-0` in DARTS cells),
  softmax(α) over the edge's ops (`space.edge_ops`);
- "beta" (PC-DARTS): one group per node (`space.node_labels`), its softmax(β) edge normalisation over
  the incoming edges;
- "beta" (ROME with topology): one group per node, softmax(β) over its incoming edges (`top2`) or over
  pairs of them (`pairs`, options `a & b`).
Weights keep 6 significant digits (float32 has about 7).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

ArchWeights = dict[str, dict[str, dict[str, float]]]


def rounded(value: float) -> float:
    return float(f"{value:.6g}")


def edge_op_weights(space, probs: Tensor) -> dict[str, dict[str, float]]:
    """softmax(α) rows (edges × ops) labelled by edge and op."""
    return {
        space.edge_label(edge): {op: rounded(p) for op, p in zip(space.edge_ops(edge), row, strict=True)}
        for edge, row in enumerate(probs.detach().cpu().tolist())
    }


def node_option_weights(
    nodes: Sequence[str], options: Sequence[Sequence[str]], weights: Sequence[Sequence[float]]
) -> dict[str, dict[str, float]]:
    """Per node, its options' weights (incoming edges or edge pairs), labelled."""
    return {
        node: {option: rounded(w) for option, w in zip(names, values, strict=True)}
        for node, names, values in zip(nodes, options, weights, strict=True)
    }
