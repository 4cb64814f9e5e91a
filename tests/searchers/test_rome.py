"""ROME on NB201 (GDAS + gradient accumulation): mechanism, equivalence to GDAS, bad input."""

import copy
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from benchmarks.errors import NashError
from harness.config.run_config import apply_overrides, resolve_config
from searchers.base import TrainConfig
from searchers.gdas import Gdas, GdasOptions
from searchers.mixing import SingleOpMixer, gumbel_softmax_hard, sample_gumbel
from searchers.rome import Rome, RomeOptions
from tests.searchers.conftest import sampled_forwards

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ALL_OFF = RomeOptions(k=1, topology=False, accumulate_weights=False, accumulate_arch=False)


@pytest.fixture
def batches():
    """8x8 images: the mechanism does not need more, and the tests stay fast."""
    generator = torch.Generator().manual_seed(1)
    return tuple(
        (torch.randn(8, 3, 8, 8, generator=generator), torch.randint(0, 10, (8,), generator=generator)) for _ in "tv"
    )


def build(space, seed=0):
    torch.manual_seed(seed)
    return space.build_supernet(channels=4, cells_per_stage=1, num_classes=10, affine=False)


def run_steps(searcher, batches, epochs=2, steps=2, seed=11):
    torch.manual_seed(seed)
    for epoch in range(epochs):
        searcher.new_epoch(epoch, epochs)
        for _ in range(steps):
            searcher.step(*batches)


def assert_same_state(a, b, *, equal: bool):
    same = torch.equal(a.alpha, b.alpha) and all(
        torch.equal(x, y) for x, y in zip(a.network.state_dict().values(), b.network.state_dict().values(), strict=True)
    )
    assert same == equal


def test_all_switches_off_reproduces_gdas_exactly(space, batches, train_config):
    torch.manual_seed(0)
    gdas = Gdas(space, build(space), train_config, GdasOptions())
    torch.manual_seed(0)
    rome = Rome(space, build(space), train_config, ALL_OFF)
    run_steps(gdas, batches)
    run_steps(rome, batches)
    assert_same_state(gdas, rome, equal=True)  # bit-for-bit: same draws, same order, same updates
    assert rome.genotype() == gdas.genotype()


@pytest.mark.parametrize("switches", [{"k": 2}, {"k": 1, "accumulate_weights": False}])
def test_any_accumulation_departs_from_gdas(space, batches, train_config, switches):
    torch.manual_seed(0)
    gdas = Gdas(space, build(space), train_config, GdasOptions())
    torch.manual_seed(0)
    rome = Rome(space, build(space), train_config, RomeOptions(topology=False, **switches))
    run_steps(gdas, batches)
    run_steps(rome, batches)
    assert_same_state(gdas, rome, equal=False)


def test_k3_arch_gradient_is_the_mean_and_weight_gradient_the_sum_of_three_samples(space, batches):
    (x_train, y_train), (x_val, y_val) = batches
    config = TrainConfig(epochs=4, grad_clip=1e9)  # clipping off: compare the raw summed gradient
    rome = Rome(space, build(space), config, RomeOptions(k=3, topology=False))
    rome.new_epoch(0, 4)
    tau = rome.tau
    network0, alpha0 = copy.deepcopy(rome.network), rome.alpha.detach().clone()
    torch.manual_seed(5)
    rome.step(*batches)

    # The same seed replays the six draws: three for the arch phase, then three for the weights.
    torch.manual_seed(5)
    noise = [sample_gumbel(alpha0.shape, alpha0.device) for _ in range(6)]
    arch_ops = [gumbel_softmax_hard(alpha0, tau, g)[1].tolist() for g in noise[:3]]
    assert arch_ops[0] != arch_ops[1] or arch_ops[1] != arch_ops[2]  # three different architectures

    # Arch phase first, on the weights before the step: mean of three single-sample gradients.
    grads = []
    for g in noise[:3]:
        alpha = alpha0.clone().requires_grad_(True)
        hard, index = gumbel_softmax_hard(alpha, tau, g)
        loss = F.cross_entropy(network0(x_val, SingleOpMixer(hard, index.tolist(), unselected=True)), y_val)
        grads.append(torch.autograd.grad(loss, alpha)[0])
    torch.testing.assert_close(rome.alpha.grad, torch.stack(grads).mean(dim=0))
    assert not torch.allclose(rome.alpha.grad, torch.stack(grads).sum(dim=0))

    # Weight phase: three fresh samples from the updated α, gradients summed (not averaged).
    alpha1 = rome.alpha.detach()
    params = list(network0.parameters())
    summed = [None] * len(params)
    for g in noise[3:]:
        hard, index = gumbel_softmax_hard(alpha1, tau, g)
        loss = F.cross_entropy(network0(x_train, SingleOpMixer(hard, index.tolist(), unselected=True)), y_train)
        for i, grad in enumerate(torch.autograd.grad(loss, params, allow_unused=True)):
            if grad is not None:
                summed[i] = grad if summed[i] is None else summed[i] + grad
    for mine, reference in zip(rome.network.parameters(), summed, strict=True):
        if reference is None:
            assert mine.grad is None  # no sampled architecture used this parameter
        else:
            torch.testing.assert_close(mine.grad, reference)


def test_each_forward_runs_only_the_sampled_op_of_every_edge(space, tiny_supernet, batches, train_config):
    rome = Rome(space, tiny_supernet, train_config, RomeOptions(k=3, topology=False))
    forwards = sampled_forwards(tiny_supernet, rome, batches, steps=2)
    assert len(forwards) == 2 * (3 + 3)  # per step: K arch samples, then K weight samples
    assert len(set(forwards)) > 1


def test_step_statistics_average_over_all_sampled_architectures(space, tiny_supernet, batches, train_config):
    rome = Rome(space, tiny_supernet, train_config, RomeOptions(k=3, accumulate_weights=False, topology=False))
    rome.new_epoch(0, 4)
    stats = rome.step(*batches)
    assert stats.val_count == 3 * 8 and stats.train_count == 8
    assert 0 < float(stats.val_loss_sum) / stats.val_count < 10


def test_state_dict_round_trip_restores_alpha_weights_and_tau(space, batches, train_config):
    rome = Rome(space, build(space), train_config, RomeOptions(k=2, topology=False))
    run_steps(rome, batches, epochs=1, steps=2)
    state = copy.deepcopy(rome.state_dict())
    restored = Rome(space, build(space, seed=9), train_config, RomeOptions(k=2, topology=False))
    restored.load_state_dict(state)
    assert_same_state(rome, restored, equal=True)
    assert restored.tau == rome.tau


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"k": 0}, "k must be an integer >= 1"),
        ({"k": -2}, "k must be an integer >= 1"),
        ({"k": 2.5}, "k must be an integer >= 1"),
        ({"tau_max": 0.0}, "must be positive"),
        ({"tau_min": -0.1}, "must be positive"),
        ({"tau_max": 1.0, "tau_min": 2.0}, "must not exceed tau_max"),
        ({"topology_sampler": "triples"}, "unknown rome topology_sampler 'triples'"),
        ({"topology": False, "topology_sampler": "pairs"}, "has no effect with topology=false"),
        ({"k": 3, "accumulate_weights": False, "accumulate_arch": False}, "k=3 has no effect"),
    ],
)
def test_invalid_options_are_one_clear_error(options, fragment):
    with pytest.raises(NashError, match=fragment) as err:
        RomeOptions(**options)
    assert "\n" not in str(err.value)


def test_gdas_options_validate_tau_too():
    with pytest.raises(NashError, match="must not exceed"):
        GdasOptions(tau_max=0.5, tau_min=1.0)


NB201_TOPOLOGY_ERROR = (
    "nb201 has no topology to disentangle: every node keeps all inputs; "
    "use topology=false, which the nb201 profiles set"
)


def test_topology_on_nb201_is_refused_before_training(space, tiny_supernet, train_config):
    with pytest.raises(NashError) as err:
        Rome(space, tiny_supernet, train_config, RomeOptions())
    assert str(err.value) == NB201_TOPOLOGY_ERROR
    config = resolve_config("nb201-cifar10", "rome", "quick")
    assert config.searcher_options["topology"] is False
    with pytest.raises(NashError) as err:
        apply_overrides(config, ["searcher.topology=true"])
    assert str(err.value) == NB201_TOPOLOGY_ERROR


def test_nb201_profiles_set_rome_k_and_epochs():
    quick = resolve_config("nb201-cifar10", "rome", "quick")
    paper = resolve_config("nb201-cifar10", "rome", "paper", data="/nowhere")
    assert (quick.searcher_options["k"], quick.train.epochs) == (2, 10)
    assert (paper.searcher_options["k"], paper.train.epochs) == (7, 50)
    assert paper.searcher_options["topology"] is False


def test_rome_on_a_space_it_cannot_search_is_refused(monkeypatch):
    monkeypatch.setattr(Rome, "spaces", ("darts",))
    with pytest.raises(NashError, match="cannot search the nb201 space"):
        resolve_config("nb201-cifar10", "rome", "quick")


def test_overrides_are_validated_against_rome_options():
    config = resolve_config("nb201-cifar10", "rome", "quick")
    assert apply_overrides(config, ["searcher.k=4"]).searcher_options["k"] == 4
    off = dataclasses.replace(config, searcher_options={**config.searcher_options, "accumulate_arch": False})
    with pytest.raises(NashError, match="k=2 has no effect"):
        apply_overrides(off, ["searcher.accumulate_weights=false"])
