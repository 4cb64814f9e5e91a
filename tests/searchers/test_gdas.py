import pytest
import torch
import torch.nn.functional as F

from benchmarks.errors import NashError
from benchmarks.nb201.arch import OPS
from searchers.base import TrainConfig
from searchers.gdas import Gdas, GdasOptions, linear_tau
from searchers.mixing import gumbel_softmax_hard, sample_gumbel
from tests.searchers.conftest import sampled_forwards


def test_gdas_computes_exactly_one_op_per_edge_per_forward(space, tiny_supernet, batches, train_config):
    gdas = Gdas(space, tiny_supernet, train_config, GdasOptions())
    forwards = sampled_forwards(tiny_supernet, gdas, batches, steps=3)
    assert len(forwards) == 6  # a weight forward and an arch forward per step
    assert any(forwards[i] != forwards[i + 1] for i in (0, 2, 4))  # each step draws its own sample


def test_hard_sample_is_one_hot_with_straight_through_gradient():
    torch.manual_seed(0)
    alpha = torch.randn(6, len(OPS), requires_grad=True)
    hard, index = gumbel_softmax_hard(alpha, tau=1.0, gumbel=sample_gumbel(alpha.shape, alpha.device))
    torch.testing.assert_close(hard.detach(), F.one_hot(index, len(OPS)).float())
    (hard * torch.arange(len(OPS)).float()).sum().backward()
    assert alpha.grad is not None and alpha.grad.abs().sum() > 0


def test_gumbel_max_samples_follow_softmax_alpha():
    torch.manual_seed(0)
    alpha = torch.tensor([[1.0, 0.0, -1.0, 0.5, 2.0]])
    n = 40_000
    gumbel = sample_gumbel(torch.Size((n, 1, len(OPS))), alpha.device)
    _, index = gumbel_softmax_hard(alpha.expand(n, 1, len(OPS)), tau=5.0, gumbel=gumbel)
    freq = torch.bincount(index.flatten(), minlength=len(OPS)).float() / n
    expected = F.softmax(alpha[0], dim=-1)
    assert torch.allclose(freq, expected, atol=0.01), (freq, expected)


def test_tau_anneals_linearly_from_10_to_0_1(space, tiny_supernet, train_config):
    assert linear_tau(10, 0.1, 0, 250) == 10
    assert abs(linear_tau(10, 0.1, 249, 250) - 0.1) < 1e-12
    gdas = Gdas(space, tiny_supernet, train_config, GdasOptions())
    gdas.new_epoch(3, 4)
    assert abs(gdas.epoch_facts()["tau"] - 0.1) < 1e-12


def test_arch_step_updates_alpha(space, tiny_supernet, batches, train_config):
    gdas = Gdas(space, tiny_supernet, train_config, GdasOptions())
    before = gdas.alpha.detach().clone()
    gdas.new_epoch(0, 4)
    gdas.step(*batches)
    assert not torch.equal(before, gdas.alpha.detach())
    assert torch.isfinite(gdas.alpha).all()


@pytest.mark.parametrize("sample_per_step", [True, False])
def test_weight_step_comes_first_then_the_arch_step_on_its_own_or_the_same_sample(
    space, tiny_supernet, batches, train_config, sample_per_step
):
    import copy

    from searchers.mixing import SingleOpMixer

    train_batch, val_batch = batches
    reference_net = copy.deepcopy(tiny_supernet)
    options = GdasOptions(sample_per_step=sample_per_step)
    gdas = Gdas(space, tiny_supernet, train_config, options)
    alpha0 = gdas.alpha.detach().clone()
    gdas.new_epoch(0, 4)
    torch.manual_seed(7)
    gdas.step(train_batch, val_batch)

    # Replay by hand: the weight step on the train batch with its sample (graph to α: the clip counts
    # α's gradient), then the arch step on the val batch through the *updated* weights, with a fresh
    # sample (reference) or the same one (sample_per_step=false).
    torch.manual_seed(7)
    weight_noise = sample_gumbel(alpha0.shape, alpha0.device)
    arch_noise = sample_gumbel(alpha0.shape, alpha0.device) if sample_per_step else weight_noise
    alpha = torch.nn.Parameter(alpha0.clone())
    reference = Gdas(space, reference_net, train_config, options)
    reference.alpha = alpha
    reference.arch_optimizer = torch.optim.Adam([alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    reference.new_epoch(0, 4)
    hard, index = gumbel_softmax_hard(alpha, 10.0, weight_noise)
    reference.weight_step(train_batch, SingleOpMixer(hard, index.tolist(), unselected=True))
    hard, index = gumbel_softmax_hard(alpha, 10.0, arch_noise)
    reference.arch_step(val_batch, SingleOpMixer(hard, index.tolist(), unselected=True))

    torch.testing.assert_close(gdas.alpha.detach(), alpha.detach())
    for mine, theirs in zip(tiny_supernet.parameters(), reference_net.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs)


def test_unselected_hard_weights_leave_the_forward_and_reach_every_alpha(space, tiny_supernet, batches):
    """The reference term: value 0, so the output is unchanged; its gradient reaches each op's α directly."""
    from searchers.mixing import SingleOpMixer

    x, y = batches[0]
    torch.manual_seed(0)
    alpha = torch.randn(6, len(OPS), requires_grad=True)
    noise = sample_gumbel(alpha.shape, alpha.device)
    outputs, grads = [], []
    for unselected in (False, True):
        hard, index = gumbel_softmax_hard(alpha, 1.0, noise)
        logits = tiny_supernet(x, SingleOpMixer(hard, index.tolist(), unselected))
        outputs.append(logits)
        grads.append(torch.autograd.grad(F.cross_entropy(logits, y), alpha)[0])
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
    assert not torch.allclose(grads[0], grads[1])


@pytest.mark.parametrize("space_name, expected", [("nb201", True), ("s2", False)])
def test_the_unselected_term_defaults_to_the_reference_of_each_space(space_name, expected):
    from benchmarks.registry.spaces import get_space

    space = get_space(space_name)
    network = torch.nn.Linear(1, 1)  # the switch is resolved at construction; no forward here
    assert Gdas(space, network, TrainConfig(), GdasOptions()).unselected is expected
    assert (
        Gdas(space, network, TrainConfig(), GdasOptions(unselected_hard_weights=not expected)).unselected
        is not expected
    )


@pytest.mark.parametrize(
    "field, value", [("sample_per_step", "yes"), ("clip_includes_arch", 1), ("unselected_hard_weights", "auto")]
)
def test_switches_of_the_wrong_type_are_refused(field, value):
    with pytest.raises(NashError, match=field):
        GdasOptions(**{field: value})


def test_a_non_finite_sample_is_drawn_again_and_hopeless_logits_are_refused(
    space, tiny_supernet, train_config, monkeypatch
):
    """GDAS redraws an inf/nan sample: among samples read together, only the bad one draws again."""
    gdas = Gdas(space, tiny_supernet, train_config, GdasOptions())
    real = sample_gumbel
    calls = []

    def second_is_inf(shape, device):
        calls.append(shape)
        noise = real(shape, device)
        return noise.fill_(float("inf")) if len(calls) == 2 else noise

    monkeypatch.setattr("searchers.gdas.sample_gumbel", second_is_inf)
    first, second = gdas.draw_samples(2)
    assert len(calls) == 3  # two samples, then the second again
    assert all(torch.isfinite(s.noise[0]).all() for s in (first, second))
    assert len(first.host) == len(second.host) == gdas.alpha.shape[0]
    with torch.no_grad():
        gdas.alpha.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="not finite"):
        gdas.draw_samples(1)
