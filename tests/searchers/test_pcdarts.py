"""PC-DARTS on the NB201 supernet: partial channels, edge normalisation, warm-up, derivation, bad input."""

import copy

import pytest
import torch

from benchmarks.errors import NashError
from benchmarks.nb201.arch import OPS
from benchmarks.nb201.network import SearchCell
from benchmarks.nb201.ops import Zero
from searchers.pcdarts import PcDarts, PcDartsOptions, nb201_node_edges
from searchers.registry import DESCRIPTIONS, SEARCHERS


def pc_supernet(space, k=4, channels=8):
    torch.manual_seed(0)
    options = PcDartsOptions(k=k, warmup_epochs=1)
    net = PcDarts.build_supernet(
        space, channels=channels, cells_per_stage=1, num_classes=10, affine=False, options=options
    )
    return net, options


def test_only_one_kth_of_the_channels_enters_the_candidate_ops(space, batches, train_config):
    net, options = pc_supernet(space, k=4, channels=8)
    net.fused_edges = False  # ops are module calls on the per-edge path (the fused path: test_fused_edges.py)
    seen = {}
    cells = [m for m in net.layers if isinstance(m, SearchCell)]
    for c, cell in enumerate(cells):
        for edge in cell.edges:
            for op in edge:
                if not isinstance(op, Zero):
                    op.register_forward_pre_hook(
                        lambda _m, inputs, c=c: seen.setdefault(c, set()).add(inputs[0].shape[1])
                    )
    searcher = PcDarts(space, net, train_config, options)
    searcher.new_epoch(1, 4)
    searcher.step(*batches)
    assert seen == {0: {2}, 1: {4}, 2: {8}}  # stages of 8, 16, 32 channels, 1/4 of each
    conv = cells[0].edges[0][OPS.index("nor_conv_3x3")][1]
    assert (conv.in_channels, conv.out_channels) == (2, 2)


def test_mixer_bypasses_channels_unchanged_and_scales_the_edge_by_its_normalised_beta(space, train_config):
    net, options = pc_supernet(space)
    searcher = PcDarts(space, net, train_config, options)
    with torch.no_grad():
        searcher.beta.copy_(torch.tensor([0.0, 1.0, -1.0, 0.5, 0.0, 2.0]))
    mixer = searcher.mixer(detached=True)
    ops = net.layers[0].edges[4]
    x = torch.randn(2, 8, 8, 8)
    out = mixer(4, ops, x)
    weight = torch.softmax(torch.tensor([0.5, 0.0, 2.0]), dim=0)[1]  # edge 4 among node 3's edges 3, 4, 5
    # shuffle with 4 groups of 2: input channel i lands at (i % 2)·4 + i // 2
    bypassed = [(i % 2) * 4 + i // 2 for i in range(2, 8)]
    torch.testing.assert_close(out[:, bypassed], weight * x[:, 2:])
    mixed = sum(w * op(x[:, :2]) for w, op in zip(torch.softmax(searcher.alpha.detach()[4], -1), ops, strict=True))
    torch.testing.assert_close(out[:, [0, 4]], weight * mixed)


def test_nb201_nodes_group_their_incoming_edges_and_weights_sum_to_one(space, train_config):
    assert nb201_node_edges() == [[0], [1, 2], [3, 4, 5]]
    net, options = pc_supernet(space)
    searcher = PcDarts(space, net, train_config, options)
    with torch.no_grad():
        searcher.beta.normal_()
    weights = searcher.edge_weights()
    for edges in nb201_node_edges():
        torch.testing.assert_close(weights[edges].sum(), torch.tensor(1.0))


def test_arch_parameters_stay_put_during_warm_up_while_weights_train(space, batches, train_config):
    net, _ = pc_supernet(space)
    searcher = PcDarts(space, net, train_config, PcDartsOptions(k=4, warmup_epochs=2))
    alpha, beta = searcher.alpha.detach().clone(), searcher.beta.detach().clone()
    weights = copy.deepcopy(net.state_dict())
    for epoch in (0, 1):
        searcher.new_epoch(epoch, 4)
        stats = searcher.step(*batches)
        assert torch.equal(searcher.alpha, alpha) and torch.equal(searcher.beta, beta)
        assert searcher.epoch_facts()["arch_updates"] == 0.0
    assert stats.val_count == 8 and float(stats.val_loss_sum) > 0  # val statistics still measured
    assert not searcher.arch_optimizer.state  # Adam never stepped (no weight decay drift either)
    assert any(not torch.equal(v, net.state_dict()[k]) for k, v in weights.items())
    searcher.new_epoch(2, 4)
    searcher.step(*batches)
    assert not torch.equal(searcher.alpha, alpha) and not torch.equal(searcher.beta[1:], beta[1:])
    assert searcher.epoch_facts()["arch_updates"] == 1.0


def test_derivation_on_nb201_is_argmax_alpha_per_edge_whatever_beta(space, train_config):
    net, options = pc_supernet(space)
    searcher = PcDarts(space, net, train_config, options)
    picks = [0, 1, 2, 3, 4, 3]
    with torch.no_grad():
        searcher.alpha.zero_()
        searcher.alpha[torch.arange(6), torch.tensor(picks)] = 1.0
        searcher.beta.copy_(torch.tensor([5.0, -5.0, 5.0, -5.0, 0.0, 5.0]))
    assert searcher.genotype().ops == tuple(OPS[k] for k in picks)


def test_state_dict_round_trip_includes_beta(space, batches, train_config):
    net, options = pc_supernet(space)
    searcher = PcDarts(space, net, train_config, options)
    searcher.new_epoch(1, 4)
    searcher.step(*batches)
    other_net, _ = pc_supernet(space)
    other = PcDarts(space, other_net, train_config, options)
    other.load_state_dict(copy.deepcopy(searcher.state_dict()))
    assert torch.equal(other.beta, searcher.beta) and torch.equal(other.alpha, searcher.alpha)


@pytest.mark.parametrize("options", [{"k": 0}, {"k": -2}, {"k": 1.5}, {"warmup_epochs": -1}])
def test_invalid_options_are_one_line_errors(options):
    with pytest.raises(NashError) as info:
        PcDartsOptions(**options)
    assert "\n" not in str(info.value)


def test_k_must_divide_the_channels_and_warm_up_must_leave_arch_epochs(space):
    with pytest.raises(NashError, match="k=3 must divide"):
        PcDarts.check_run(PcDartsOptions(k=3), epochs=50, channels=8)
    with pytest.raises(NashError, match="k=3 must divide"):
        pc_supernet(space, k=3, channels=8)
    with pytest.raises(NashError, match="warm-up of 15 epochs"):
        PcDarts.check_run(PcDartsOptions(warmup_epochs=15), epochs=15, channels=16)
    PcDarts.check_run(PcDartsOptions(warmup_epochs=14), epochs=15, channels=16)


def test_registered_with_a_description():
    assert SEARCHERS["pcdarts"] is PcDarts and SEARCHERS["darts-v2"].options_type().unrolled
    assert set(SEARCHERS) <= set(DESCRIPTIONS)
