import torch
import torch.nn.functional as F

from benchmarks.nb201.arch import OPS
from searchers.gdas import Gdas, GdasOptions, linear_tau
from searchers.mixing import gumbel_softmax_hard, sample_gumbel
from tests.searchers.conftest import count_op_calls


def test_gdas_computes_exactly_one_op_per_edge_per_forward(space, tiny_supernet, batches, train_config):
    gdas = Gdas(space, tiny_supernet, train_config, GdasOptions())
    calls = count_op_calls(tiny_supernet)
    gdas.new_epoch(0, 4)
    torch.manual_seed(3)
    for _ in range(3):
        for key in calls:
            calls[key] = 0
        gdas.step(*batches)
        per_edge: dict[tuple[int, int], list[int]] = {}
        for (cell, edge, _op), n in calls.items():
            per_edge.setdefault((cell, edge), []).append(n)
        for counts in per_edge.values():
            # weight step + arch step, both on the same sampled op
            assert sorted(counts) == [0] * (len(OPS) - 1) + [2]


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


def test_weight_step_comes_first_and_the_arch_step_reuses_its_sample(space, tiny_supernet, batches, train_config):
    import copy

    from searchers.mixing import SingleOpMixer

    train_batch, val_batch = batches
    reference_net = copy.deepcopy(tiny_supernet)
    gdas = Gdas(space, tiny_supernet, train_config, GdasOptions())
    alpha0 = gdas.alpha.detach().clone()
    gdas.new_epoch(0, 4)
    torch.manual_seed(7)
    gdas.step(train_batch, val_batch)

    # Replay by hand: same noise, weight step on the train batch, then the arch step on the
    # val batch through the *updated* weights with the same sampled ops.
    torch.manual_seed(7)
    gumbel = sample_gumbel(alpha0.shape, alpha0.device)
    alpha = torch.nn.Parameter(alpha0.clone())
    reference = Gdas(space, reference_net, train_config, GdasOptions())
    reference.alpha = alpha
    reference.arch_optimizer = torch.optim.Adam([alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    reference.new_epoch(0, 4)
    hard, index = gumbel_softmax_hard(alpha.detach(), 10.0, gumbel)
    reference.weight_step(train_batch, SingleOpMixer(hard, index.tolist()))
    hard, _ = gumbel_softmax_hard(alpha, 10.0, gumbel)
    reference.arch_step(val_batch, SingleOpMixer(hard, index.tolist()))

    torch.testing.assert_close(gdas.alpha.detach(), alpha.detach())
    for mine, theirs in zip(tiny_supernet.parameters(), reference_net.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs)
