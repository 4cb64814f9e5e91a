"""ROME's topology samplers: two kept edges per node, the without-replacement law, straight-through."""

from itertools import permutations

import pytest
import torch
import torch.nn.functional as F

from searchers.mixing import sample_gumbel
from searchers.topology import (
    PAIRS,
    TOP2,
    TOPOLOGY_SAMPLERS,
    NodeTopology,
    edge_pairs,
    gumbel_pair,
    gumbel_top2,
    inclusion_probabilities,
    logits_per_node,
)
from tests.searchers.conftest import sample_topology

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DARTS_IN_DEGREES = (2, 3, 4, 5)


def draw(sampler: str, logits: torch.Tensor, degree: int, n: int, tau: float = 1.0):
    """`n` independent samples of one node at once (the samplers take any leading batch shape)."""
    gumbel = sample_gumbel(torch.Size((n, logits.numel())), logits.device)
    batch = logits.expand(n, logits.numel())
    if sampler == TOP2:
        return gumbel_top2(batch, tau, gumbel)
    return gumbel_pair(batch, tau, gumbel, degree)


@pytest.mark.parametrize("sampler", TOPOLOGY_SAMPLERS)
@pytest.mark.parametrize("degree", DARTS_IN_DEGREES)
def test_every_sample_keeps_exactly_two_distinct_edges(sampler, degree):
    torch.manual_seed(degree)
    logits = 2 * torch.randn(logits_per_node([degree], sampler)[0])
    mask, kept = draw(sampler, logits, degree, n=5000, tau=0.7)
    assert mask.shape == (5000, degree) and kept.shape == (5000, 2)
    assert (kept[:, 0] < kept[:, 1]).all()
    expected = torch.zeros(5000, degree).scatter_(1, kept, 1.0)
    torch.testing.assert_close(mask, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("sampler", TOPOLOGY_SAMPLERS)
def test_darts_cell_topology_keeps_two_inputs_per_node_and_scatters_to_edges(sampler):
    # The DARTS cell: node j (0..3) takes edges from c_{k-2}, c_{k-1} and the earlier nodes.
    node_in_edges, start = [], 0
    for degree in DARTS_IN_DEGREES:
        node_in_edges.append(tuple(range(start, start + degree)))
        start += degree
    torch.manual_seed(0)
    topology = NodeTopology(node_in_edges, sampler, torch.device("cpu"))
    assert topology.beta.numel() == sum(logits_per_node(DARTS_IN_DEGREES, sampler))
    seen = set()
    for _ in range(300):
        sample = sample_topology(topology, 1.0, topology.draw_noise(), with_graph=False)
        assert [len(set(pair)) for pair in sample.kept] == [2, 2, 2, 2]
        kept = topology.kept_edges(sample)
        weights = topology.edge_weights(sample, num_edges=14)
        assert len(kept) == 8 and set(torch.nonzero(weights.round()).flatten().tolist()) == kept
        seen.add(tuple(sample.kept))
    assert len(seen) > 50  # the draws really vary


def test_gumbel_top2_inclusion_frequencies_follow_the_without_replacement_formula():
    torch.manual_seed(0)
    logits = torch.tensor([1.5, 0.5, 0.0, -0.5, -1.0])
    p = F.softmax(logits, dim=0)
    n = 200_000
    mask, _ = draw(TOP2, logits, 5, n, tau=3.0)  # τ rescales scores but never changes their order
    freq = mask.round().mean(dim=0)
    expected = inclusion_probabilities(p)
    std = (expected * (1 - expected) / n).sqrt()
    assert ((freq - expected).abs() < 4 * std).all(), (freq, expected, std)
    # The formula is not the naive 2p (with-replacement expectation): the test tells them apart.
    assert (2 * p - expected).abs().max() > 20 * std.max(), (2 * p, expected)


def test_pairs_sampler_draws_pairs_with_softmax_probabilities():
    torch.manual_seed(1)
    logits = torch.tensor([1.0, -0.5, 0.3, 0.0, 0.8, -1.2])  # the 6 pairs of a 4-input node
    n = 100_000
    _, kept = draw(PAIRS, logits, 4, n)
    pairs = edge_pairs(4)
    freq = torch.tensor([((kept[:, 0] == i) & (kept[:, 1] == j)).float().mean() for i, j in pairs])
    expected = F.softmax(logits, dim=0)
    std = (expected * (1 - expected) / n).sqrt()
    assert ((freq - expected).abs() < 4 * std).all(), (freq, expected)


def test_inclusion_probabilities_match_enumerating_ordered_draws():
    p = torch.tensor([0.4, 0.3, 0.15, 0.1, 0.05], dtype=torch.float64)
    enumerated = torch.zeros(5, dtype=torch.float64)
    for a, b in permutations(range(5), 2):
        chance = p[a] * p[b] / (1 - p[a])
        enumerated[a] += chance
        enumerated[b] += chance
    torch.testing.assert_close(inclusion_probabilities(p), enumerated)
    torch.testing.assert_close(inclusion_probabilities(torch.full((4,), 0.25)), torch.full((4,), 0.5))
    assert abs(float(inclusion_probabilities(p).sum()) - 2) < 1e-12


@pytest.mark.parametrize("sampler", TOPOLOGY_SAMPLERS)
def test_straight_through_gradient_reaches_beta(sampler):
    torch.manual_seed(2)
    topology = NodeTopology([(0, 1, 2), (3, 4, 5, 6)], sampler, torch.device("cpu"))
    sample = sample_topology(topology, 1.0, topology.draw_noise(), with_graph=True)
    weights = topology.edge_weights(sample, num_edges=7)
    (weights * torch.arange(7.0)).sum().backward()
    assert topology.beta.grad is not None and topology.beta.grad.abs().sum() > 0
    detached = sample_topology(topology, 1.0, topology.draw_noise(), with_graph=False)
    assert not any(mask.requires_grad for mask in detached.masks)


def test_derivation_takes_the_two_largest_beta_or_the_best_pair():
    top2 = NodeTopology([(0, 1, 2), (3, 4, 5, 6)], TOP2, torch.device("cpu"))
    with torch.no_grad():
        top2.beta.copy_(torch.tensor([0.1, 0.9, 0.5, 2.0, -1.0, 3.0, 0.0]))
    assert top2.most_likely_edges() == [(1, 2), (3, 5)]
    pairs = NodeTopology([(0, 1, 2)], PAIRS, torch.device("cpu"))  # pairs (0,1), (0,2), (1,2)
    with torch.no_grad():
        pairs.beta.copy_(torch.tensor([0.0, 1.0, 0.5]))
    assert pairs.most_likely_edges() == [(0, 2)]


def test_nodes_with_fewer_than_two_inputs_and_unknown_samplers_are_refused():
    with pytest.raises(ValueError, match="at least 2"):
        NodeTopology([(0,), (1, 2)], TOP2, torch.device("cpu"))
    with pytest.raises(ValueError, match="unknown topology sampler"):
        logits_per_node([2, 3], "triples")
