"""ROME's topology sampling: which two incoming edges each intermediate node keeps.

Topology parameters β are separate from the op parameters α. How many logits a node has
depends on the sampler:

- `top2` (ROME v2, default): one logit per incoming edge. β̃ = softmax(β_node); scores =
  softmax((log β̃ + g)/τ) with fresh Gumbel noise g; the node keeps the edges with the two
  largest scores. The kept set is distributed as two draws without replacement from β̃
  (`inclusion_probabilities`).
- `pairs` (ROME v1): one logit per unordered pair of incoming edges; Gumbel-Max over pairs.

Both return a straight-through mask per node: value 1 on the two kept edges and 0 elsewhere,
with the gradient of the soft scores (as GDAS does for ops). Everything here works for any
list of node in-degrees (NB201 has no topology; the DARTS cell has in-degrees 2, 3, 4, 5).

A space with a topology exposes `node_in_edges`: for each intermediate node, the indices
(rows of α) of its incoming edges, and `genotype_from_kept_edges(kept, op_indices)`. Its
supernet cell must skip an edge whose mixer call returns None (`SampledPathMixer`), so
dropped edges cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.kernels.mix_plan import MixPlan
from searchers.mixing import SingleOpMixer, gumbel_softmax_hard, sample_gumbel

TOP2 = "top2"
PAIRS = "pairs"
TOPOLOGY_SAMPLERS = (TOP2, PAIRS)


def edge_pairs(in_degree: int) -> list[tuple[int, int]]:
    """Unordered pairs of a node's incoming edges, in lexicographic order (the `pairs` logit order)."""
    return list(combinations(range(in_degree), 2))


def logits_per_node(in_degrees: Sequence[int], sampler: str) -> list[int]:
    """How many topology logits each node has under `sampler`."""
    if sampler == TOP2:
        return list(in_degrees)
    if sampler == PAIRS:
        return [len(edge_pairs(d)) for d in in_degrees]
    raise ValueError(f"unknown topology sampler {sampler!r}; valid: {', '.join(TOPOLOGY_SAMPLERS)}")


def gumbel_top2(logits: Tensor, tau: float, gumbel: Tensor) -> tuple[Tensor, Tensor]:
    """Keep the two edges with the largest scores softmax((log softmax(β) + g)/τ), straight-through.

    Works on any leading batch shape: `logits` and `gumbel` are (..., in_degree). Returns
    (mask, kept): mask (..., in_degree) has value 1 on the kept edges and the scores' gradient;
    kept (..., 2) holds the kept edge indices in increasing order.
    """
    scores = F.softmax((F.log_softmax(logits, dim=-1) + gumbel) / tau, dim=-1)
    kept = scores.topk(2, dim=-1).indices.sort(dim=-1).values
    hard = torch.zeros_like(scores).scatter_(-1, kept, 1.0)
    return hard - scores.detach() + scores, kept


def gumbel_pair(logits: Tensor, tau: float, gumbel: Tensor, in_degree: int) -> tuple[Tensor, Tensor]:
    """Gumbel-Max over the node's edge pairs (GDAS straight-through), mapped to a per-edge mask.

    `logits` and `gumbel` are (..., number of pairs). A pair's straight-through weight flows
    to both of its edges, so the mask has value 1 on the chosen pair and 0 elsewhere.
    """
    pairs = edge_pairs(in_degree)
    pair_hard, choice = gumbel_softmax_hard(logits, tau, gumbel)
    incidence = pair_incidence(in_degree, logits.dtype)
    kept = torch.tensor(pairs)
    # Built on the host, copied without a sync.
    incidence, kept = incidence.to(logits.device, non_blocking=True), kept.to(logits.device, non_blocking=True)
    return pair_hard @ incidence, kept[choice]


def pair_incidence(in_degree: int, dtype: torch.dtype) -> Tensor:
    """(pairs, in_degree) host tensor: row p has 1 on the two edges of pair p."""
    pairs = edge_pairs(in_degree)
    incidence = torch.zeros(len(pairs), in_degree, dtype=dtype)
    for p, (i, j) in enumerate(pairs):
        incidence[p, i] = incidence[p, j] = 1.0
    return incidence


def inclusion_probabilities(p: Tensor) -> Tensor:
    """P(edge j is among two draws without replacement from p) = p_j + Σ_{i≠j} p_i·p_j/(1−p_i).

    `p` is a probability vector over the last dimension; the result sums to 2 over it.
    """
    p = p / p.sum(dim=-1, keepdim=True)
    # Σ_{i≠j} p_i/(1−p_i) = total − p_j/(1−p_j).
    ratio = p / (1 - p)
    return p + p * (ratio.sum(dim=-1, keepdim=True) - ratio)


@dataclass
class TopologySample:
    """One sampled topology: a straight-through mask per node and the kept edges (host-side)."""

    masks: list[Tensor]  # per node, (in_degree,), value 1 on the two kept edges
    kept: list[tuple[int, int]]  # per node, positions (0..in_degree-1) of the kept incoming edges


class NodeTopology:
    """β for every intermediate node, flattened into one parameter, with sampling and derivation."""

    def __init__(self, node_in_edges: Sequence[Sequence[int]], sampler: str, device: torch.device) -> None:
        self.node_in_edges = [tuple(edges) for edges in node_in_edges]
        self.in_degrees = [len(edges) for edges in self.node_in_edges]
        if min(self.in_degrees, default=2) < 2:
            raise ValueError(f"every node needs at least 2 incoming edges to keep 2, got in-degrees {self.in_degrees}")
        self.sampler = sampler
        self.counts = logits_per_node(self.in_degrees, sampler)
        # Small random init like α: near-uniform, ties broken by the seed.
        self.beta = nn.Parameter(1e-3 * torch.randn(sum(self.counts)).to(device))  # CPU draw: same on every device

    def node_logits(self, beta: Tensor | None = None) -> list[Tensor]:
        return list((self.beta if beta is None else beta).split(self.counts))

    def draw_noise(self) -> list[Tensor]:
        """Gumbel noise for every node, node by node (CPU generator: the same draws on every device)."""
        return [sample_gumbel(torch.Size([count]), self.beta.device) for count in self.counts]

    def sample_check(self, tau: float, noise: list[Tensor]) -> tuple[Tensor, Tensor]:
        """(every node's noise and scores finite, every node's two kept positions flattened), on the device:
        what a sampling step reads to the host, together with its op sample (`Gdas.draw_samples`)."""
        finite, kept = [], []
        for logits, gumbel, degree in zip(self.node_logits(self.beta.detach()), noise, self.in_degrees, strict=True):
            mask, node_kept = self._node_sample(logits, tau, gumbel, degree)
            finite.append(torch.isfinite(gumbel).all() & torch.isfinite(mask).all())
            kept.append(node_kept.flatten())
        return torch.stack(finite).all(), torch.cat(kept)

    def sample(self, tau: float, noise: list[Tensor], kept: Sequence[int], *, with_graph: bool) -> TopologySample:
        """The topology given by `noise`, whose kept positions `sample_check` computed and the caller read;
        `with_graph` keeps the straight-through graph to β."""
        beta = self.beta if with_graph else self.beta.detach()
        masks = [
            self._node_sample(logits, tau, gumbel, degree)[0]
            for logits, gumbel, degree in zip(self.node_logits(beta), noise, self.in_degrees, strict=True)
        ]
        return TopologySample(masks, [(kept[2 * i], kept[2 * i + 1]) for i in range(len(masks))])

    def _node_sample(self, logits: Tensor, tau: float, gumbel: Tensor, degree: int) -> tuple[Tensor, Tensor]:
        if self.sampler == TOP2:
            return gumbel_top2(logits, tau, gumbel)
        return gumbel_pair(logits, tau, gumbel, degree)

    def edge_weights(self, sample: TopologySample, num_edges: int) -> Tensor:
        """Per-edge (rows of α) straight-through weights: the node masks scattered to edge indices."""
        index = torch.tensor([e for edges in self.node_in_edges for e in edges])
        index = index.to(self.beta.device, non_blocking=True)  # no sync
        values = torch.cat(sample.masks)
        return values.new_zeros(num_edges).index_put((index,), values)

    def kept_edges(self, sample: TopologySample) -> frozenset[int]:
        return frozenset(edges[i] for edges, pair in zip(self.node_in_edges, sample.kept, strict=True) for i in pair)

    def option_labels(self, edge_label: Callable[[int], str]) -> list[list[str]]:
        """Per node, what each of its logits stands for: an incoming edge (`top2`) or a pair of them (`pairs`)."""
        if self.sampler == TOP2:
            return [[edge_label(e) for e in edges] for edges in self.node_in_edges]
        return [
            [f"{edge_label(edges[i])} & {edge_label(edges[j])}" for i, j in edge_pairs(len(edges))]
            for edges in self.node_in_edges
        ]

    def probabilities(self) -> list[list[float]]:
        """Per node, softmax(β) over its logits."""
        return [F.softmax(logits, dim=-1).tolist() for logits in self.node_logits(self.beta.detach().cpu())]

    def most_likely_edges(self) -> list[tuple[int, int]]:
        """Derivation: per node the two incoming edges (rows of α) with the largest β, or the best pair."""
        chosen = []
        for logits, edges in zip(self.node_logits(self.beta.detach()), self.node_in_edges, strict=True):
            if self.sampler == TOP2:
                i, j = sorted(logits.topk(2).indices.tolist())
            else:
                i, j = edge_pairs(len(edges))[int(logits.argmax())]
            chosen.append((edges[i], edges[j]))
        return chosen


class SampledPathMixer(SingleOpMixer):
    """Single op per kept edge, scaled by the edge's topology weight; dropped edges return None.

    A cell that supports topology sampling skips an edge whose mixer returns None, so the ops
    of dropped edges are never called.
    """

    def __init__(
        self, hard: Tensor, index: list[int], edge_weight: Tensor, kept: frozenset[int], unselected: bool = False
    ) -> None:
        super().__init__(hard, index, unselected)
        self.edge_weight = edge_weight
        self.kept = kept

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor | None:
        if edge not in self.kept:
            return None
        return super().__call__(edge, ops, x) * self.edge_weight[edge]

    def plan(self) -> MixPlan:
        return replace(super().plan(), kept=self.kept, edge_scale=self.edge_weight)
