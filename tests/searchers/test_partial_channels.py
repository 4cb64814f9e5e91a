"""PC-DARTS building blocks: channel shuffle, partial-channel edges, edge normalisation, derivation."""

import pytest
import torch
import torch.nn.functional as F

from searchers.partial_channels import channel_shuffle, edge_normalization, partial_channel_edge, rank_incoming_edges


def unshuffle(x, groups):
    """Inverse of `channel_shuffle`: input channel i sits at output (i % (C/g))·g + i // (C/g)."""
    channels = x.shape[1]
    per_group = channels // groups
    index = torch.tensor([(i % per_group) * groups + i // per_group for i in range(channels)])
    return x[:, index]


def test_channel_shuffle_is_the_documented_interleaving():
    x = torch.arange(8.0).view(1, 8, 1, 1)
    assert channel_shuffle(x, 4).flatten().tolist() == [0, 2, 4, 6, 1, 3, 5, 7]
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 4, 1, 5, 2, 6, 3, 7]
    y = torch.randn(2, 12, 3, 3)
    assert torch.equal(unshuffle(channel_shuffle(y, 3), 3), y)


def test_partial_channel_edge_sends_one_kth_through_the_op_and_bypasses_the_rest():
    x = torch.randn(2, 8, 6, 6)
    seen = []

    def mixed_op(part):
        seen.append(part.shape[1])
        return 3.0 * part + 1.0

    out = partial_channel_edge(x, 4, mixed_op)
    assert seen == [2] and out.shape == x.shape
    parts = unshuffle(out, 4)
    assert torch.equal(parts[:, :2], 3.0 * x[:, :2] + 1.0)
    assert torch.equal(parts[:, 2:], x[:, 2:])  # bypassed channels are untouched, only permuted


def test_reduction_edge_bypass_is_max_pooled_2x2_and_shapes_agree():
    x = torch.randn(2, 8, 8, 8)
    conv = torch.nn.Conv2d(4, 4, 3, stride=2, padding=1)
    out = partial_channel_edge(x, 2, conv, stride=2)
    assert out.shape == (2, 8, 4, 4)
    parts = unshuffle(out, 2)
    torch.testing.assert_close(parts[:, :4], conv(x[:, :4]))
    assert torch.equal(parts[:, 4:], F.max_pool2d(x[:, 4:], 2, 2))


@pytest.mark.parametrize("k,stride", [(3, 1), (0, 1), (2, 3)])
def test_partial_channel_edge_rejects_bad_ratio_or_stride(k, stride):
    with pytest.raises(ValueError):
        partial_channel_edge(torch.randn(1, 8, 4, 4), k, lambda p: p, stride=stride)


def test_edge_weights_of_each_node_sum_to_one():
    node_edges = [[0, 1], [2, 3, 4], [5, 6, 7, 8]]
    beta = torch.randn(9, requires_grad=True)
    weights = edge_normalization(beta, node_edges)
    for edges in node_edges:
        torch.testing.assert_close(weights[edges].sum(), torch.tensor(1.0))
        torch.testing.assert_close(weights[edges], F.softmax(beta[edges], dim=-1))
    weights[3].backward()  # differentiable in β, and only through its own node's logits
    assert beta.grad[[2, 3, 4]].abs().sum() > 0 and beta.grad[[0, 1, 5, 6, 7, 8]].abs().sum() == 0


def test_edge_ranking_uses_alpha_times_beta_and_ignores_none():
    # ops: 0 = none, 1 = skip, 2 = conv; two nodes with 2 and 3 incoming edges
    op_weights = torch.tensor(
        [
            [0.9, 0.05, 0.05],  # edge 0: `none` dominates, best real op is weak
            [0.1, 0.3, 0.6],  # edge 1
            [0.2, 0.7, 0.1],  # edge 2: strong skip but small β
            [0.1, 0.25, 0.65],  # edge 3
            [0.0, 0.5, 0.5],  # edge 4: tie between ops -> the first (skip)
        ]
    )
    edge_weights = torch.tensor([0.5, 0.5, 0.1, 0.45, 0.45])
    derived = rank_incoming_edges(op_weights, edge_weights, [[0, 1], [2, 3, 4]], none_index=0)
    assert derived == [[(1, 2), (0, 1)], [(3, 2), (4, 1)]]
    # with uniform β the strong skip edge 2 wins its node
    derived = rank_incoming_edges(op_weights, torch.ones(5), [[0, 1], [2, 3, 4]], none_index=0, keep=1)
    assert derived == [[(1, 2)], [(2, 1)]]
    # without a `none` op (S0-style spaces) every op counts
    assert rank_incoming_edges(op_weights, edge_weights, [[0, 1]], none_index=None, keep=1) == [[(0, 0)]]
