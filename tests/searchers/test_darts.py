import copy

import pytest
import torch
import torch.nn.functional as F

from benchmarks.errors import NashError
from benchmarks.nb201.arch import OPS
from benchmarks.nb201.ops import Zero
from searchers.darts import Darts, DartsOptions
from searchers.mixing import SoftmaxMixer
from tests.searchers.conftest import count_op_calls


def test_softmax_mixer_is_the_weighted_sum_of_every_op(tiny_supernet):
    ops = tiny_supernet.layers[0].edges[2]
    x = torch.randn(2, 4, 8, 8)
    weights = F.softmax(torch.randn(6, len(OPS)), dim=-1)
    expected = sum(weights[2, k] * op(x) for k, op in enumerate(ops))
    torch.testing.assert_close(SoftmaxMixer(weights)(2, ops, x), expected)


def test_darts_step_runs_every_parametric_op_on_every_edge(space, tiny_supernet, batches, train_config):
    darts = Darts(space, tiny_supernet, train_config, DartsOptions())
    calls = count_op_calls(tiny_supernet)
    darts.new_epoch(0, 4)
    darts.step(*batches)
    none_index = OPS.index("none")
    for (_cell, _edge, k), n in calls.items():
        # one arch forward + one weight forward; `none` adds nothing and is skipped
        assert n == (0 if k == none_index else 2)
    assert all(isinstance(tiny_supernet.layers[0].edges[e][none_index], Zero) for e in range(6))


def test_darts_first_order_arch_step_uses_val_gradient_before_the_weight_step(
    space, tiny_supernet, batches, train_config
):
    """quark0/darts's order (the DARTS spaces' default; on NB201 the reference takes the weight step first)."""
    train_batch, val_batch = batches
    reference_net = copy.deepcopy(tiny_supernet)
    darts = Darts(space, tiny_supernet, train_config, DartsOptions(weights_first=False))
    alpha0 = darts.alpha.detach().clone()
    darts.new_epoch(0, 4)
    darts.step(train_batch, val_batch)

    # The expected arch update: one Adam step on ∇α L_val at the *initial* weights.
    alpha = torch.nn.Parameter(alpha0.clone())
    adam = torch.optim.Adam([alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    loss = F.cross_entropy(reference_net(val_batch[0], SoftmaxMixer(F.softmax(alpha, dim=-1))), val_batch[1])
    loss.backward()
    adam.step()
    torch.testing.assert_close(darts.alpha.detach(), alpha.detach())
    # and the weights moved (the weight step ran after it)
    moved = [not torch.equal(a, b) for a, b in zip(tiny_supernet.parameters(), reference_net.parameters(), strict=True)]
    assert any(moved)


def test_darts_weight_step_leaves_alpha_alone(space, tiny_supernet, batches, train_config):
    darts = Darts(space, tiny_supernet, train_config, DartsOptions())
    weights = F.softmax(darts.alpha.detach(), dim=-1)
    before = darts.alpha.detach().clone()
    darts.weight_step(batches[0], SoftmaxMixer(weights))
    assert torch.equal(before, darts.alpha.detach())


def test_darts_derives_argmax_per_edge(space, tiny_supernet, train_config):
    darts = Darts(space, tiny_supernet, train_config, DartsOptions())
    with torch.no_grad():
        darts.alpha.zero_()
        darts.alpha[:, OPS.index("skip_connect")] = 1.0
    arch = darts.genotype()
    assert arch.skip_count == 6 and arch.to_string().count("skip_connect") == 6


def test_cosine_learning_rate_schedule(space, tiny_supernet, train_config):
    darts = Darts(space, tiny_supernet, train_config, DartsOptions())
    darts.new_epoch(0, 4)
    assert darts.weight_optimizer.param_groups[0]["lr"] == 0.025
    darts.new_epoch(2, 4)
    assert abs(darts.weight_optimizer.param_groups[0]["lr"] - (0.001 + 0.024 / 2)) < 1e-12


def test_state_dict_round_trip_restores_alpha_and_weights(space, tiny_supernet, batches, train_config):
    darts = Darts(space, tiny_supernet, train_config, DartsOptions())
    darts.new_epoch(0, 4)
    darts.step(*batches)
    state = copy.deepcopy(darts.state_dict())
    other_net = copy.deepcopy(tiny_supernet)
    for p in other_net.parameters():
        p.data.zero_()
    other = Darts(space, other_net, train_config, DartsOptions())
    other.load_state_dict(state)
    assert torch.equal(other.alpha, darts.alpha)
    assert all(torch.equal(a, b) for a, b in zip(other_net.parameters(), tiny_supernet.parameters(), strict=True))


def test_darts_switches_refuse_values_that_are_not_true_false_or_none():
    with pytest.raises(NashError, match="weights_first must be true, false or none"):
        DartsOptions(weights_first="yes")
    with pytest.raises(NashError, match="clip_includes_arch must be true, false or none"):
        DartsOptions(clip_includes_arch=1)
