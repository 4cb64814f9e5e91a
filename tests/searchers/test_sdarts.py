"""SDARTS-RS: uniform noise on the mixing weights of the weight step only, within ±ε, ε growing per epoch."""

import copy

import pytest
import torch
import torch.nn.functional as F

import searchers.sdarts as sdarts
from benchmarks.errors import NashError
from searchers.base import TrainConfig
from searchers.darts import Darts, DartsOptions
from searchers.sdarts import SdartsRs, SdartsRsOptions, epsilon_at, random_smoothing

# The variants keep quark0/darts's loop on NB201 too (Darts.reference_loop): compare with DARTS run so.
QUARK0_LOOP = {"weights_first": False, "clip_includes_arch": False}


def test_random_smoothing_clamps_then_renormalises_each_edge():
    probs = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    noise = torch.tensor([[0.2, -0.3, 0.1], [-0.2, 0.05, 0.25]])
    clamped = torch.tensor([[0.7, 0.0, 0.3], [0.0, 0.15, 1.0]])
    expected = clamped / clamped.sum(dim=1, keepdim=True)
    torch.testing.assert_close(random_smoothing(probs, noise), expected)


def test_an_edge_whose_weights_all_clamp_to_zero_keeps_its_largest_entry():
    probs = torch.full((1, 4), 0.25)
    noise = torch.tensor([[-0.3, -0.26, -0.29, -0.3]])  # every entry below 0
    torch.testing.assert_close(random_smoothing(probs, noise), torch.tensor([[0.0, 1.0, 0.0, 0.0]]))


def test_epsilon_grows_linearly_from_its_minimum():
    assert epsilon_at(0.03, 0.3, 0, 50) == pytest.approx(0.03)
    assert epsilon_at(0.03, 0.3, 25, 50) == pytest.approx(0.165)
    assert epsilon_at(0.03, 0.3, 49, 50) == pytest.approx(0.03 + 0.27 * 49 / 50)


def test_arch_step_is_darts_and_only_the_weight_step_is_perturbed(
    space, tiny_supernet, batches, monkeypatch, one_torch_thread
):
    train = TrainConfig(epochs=4)
    darts_net = copy.deepcopy(tiny_supernet)
    torch.manual_seed(3)
    smooth = SdartsRs(space, tiny_supernet, train, SdartsRsOptions())
    torch.manual_seed(3)
    darts = Darts(space, darts_net, train, DartsOptions(**QUARK0_LOOP))
    drawn = []
    real = sdarts.random_smoothing

    def spy(probs, noise):
        drawn.append((probs, noise))
        return real(probs, noise)

    monkeypatch.setattr(sdarts, "random_smoothing", spy)
    for searcher in (smooth, darts):
        searcher.new_epoch(2, 4)
        searcher.step(*batches)

    assert smooth.epsilon == pytest.approx(0.03 + 0.27 * 2 / 4)
    (probs, noise) = drawn[0]
    assert len(drawn) == 1  # one perturbation per step, in the weight step
    torch.testing.assert_close(probs, F.softmax(smooth.alpha.detach(), dim=-1))  # α after this step's arch update
    assert noise.abs().max() <= smooth.epsilon and noise.abs().max() > 0
    # The arch step ran first, unperturbed: α is DARTS's, bit for bit; the weights were trained on other mixtures.
    assert torch.equal(smooth.alpha, darts.alpha)
    moved = [not torch.equal(a, b) for a, b in zip(tiny_supernet.parameters(), darts_net.parameters(), strict=True)]
    assert any(moved)


def test_options_are_checked():
    with pytest.raises(NashError, match="epsilon_min"):
        SdartsRsOptions(epsilon=0.1, epsilon_min=0.2)
