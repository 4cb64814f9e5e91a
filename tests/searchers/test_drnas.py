"""DrNAS: edge weights are Dirichlet draws with concentration ELU(α)+1, differentiated through the draw."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Dirichlet, kl_divergence

import searchers.drnas as drnas
from benchmarks.errors import NashError
from searchers.base import TrainConfig
from searchers.drnas import DrNas, DrNasOptions, concentration, sample_dirichlet
from searchers.mixing import SoftmaxMixer


def test_concentration_is_elu_plus_one():
    alpha = torch.tensor([-3.0, -0.5, 0.0, 2.0])
    expected = torch.tensor([torch.exp(torch.tensor(-3.0)), torch.exp(torch.tensor(-0.5)), 1.0, 3.0])
    torch.testing.assert_close(concentration(alpha), expected)
    assert (concentration(torch.tensor([-8.0])) > 0).all()


def test_draws_lie_on_the_simplex_and_average_to_the_dirichlet_mean():
    torch.manual_seed(0)
    conc = torch.tensor([[0.5, 1.0, 2.0, 4.5], [3.0, 3.0, 3.0, 1.0]])
    draws = torch.stack([sample_dirichlet(conc) for _ in range(4000)])
    assert (draws > 0).all()
    torch.testing.assert_close(draws.sum(dim=-1), torch.ones(4000, 2))
    torch.testing.assert_close(draws.mean(dim=0), conc / conc.sum(dim=-1, keepdim=True), atol=0.01, rtol=0)


def arch_update(alpha0, network, batch, seed, reg_type, reg_scale=1e-3):
    """The expected α after one arch step: CE (+ KL) on the Dirichlet draw `seed` gives, with its pathwise gradient."""
    alpha = torch.nn.Parameter(alpha0.clone())
    adam = torch.optim.Adam([alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=reg_scale if reg_type == "l2" else 0.0)
    torch.manual_seed(seed)
    conc = F.elu(alpha) + 1
    weights = Dirichlet(conc).rsample()
    loss = F.cross_entropy(network(batch[0], SoftmaxMixer(weights)), batch[1])
    if reg_type == "kl":
        loss = loss + reg_scale * kl_divergence(Dirichlet(conc), Dirichlet(torch.ones_like(conc))).sum()
    loss.backward()
    adam.step()
    return alpha.detach()


@pytest.mark.parametrize("reg_type", ["l2", "kl"])
def test_arch_step_follows_the_pathwise_gradient_of_the_draw(space, tiny_supernet, batches, reg_type, one_torch_thread):
    reference_net = copy.deepcopy(tiny_supernet)
    torch.manual_seed(1)
    searcher = DrNas(space, tiny_supernet, TrainConfig(epochs=4), DrNasOptions(reg_type=reg_type, reg_scale=0.5))
    with torch.no_grad():
        searcher.alpha.normal_(0, 0.5)  # away from 0, where the KL term and the ELU matter
    alpha0 = searcher.alpha.detach().clone()
    assert searcher.arch_optimizer.param_groups[0]["weight_decay"] == (0.5 if reg_type == "l2" else 0.0)
    searcher.new_epoch(0, 4)
    torch.manual_seed(7)
    searcher.step(*batches)
    expected = arch_update(alpha0, reference_net, batches[1], 7, reg_type, reg_scale=0.5)
    torch.testing.assert_close(searcher.alpha.detach(), expected)


def test_the_weight_step_mixes_with_a_fresh_draw(space, tiny_supernet, batches, monkeypatch, one_torch_thread):
    searcher = DrNas(space, tiny_supernet, TrainConfig(epochs=4), DrNasOptions())
    drawn = []
    real = drnas.sample_dirichlet
    monkeypatch.setattr(drnas, "sample_dirichlet", lambda conc: drawn.append(real(conc)) or drawn[-1])
    searcher.new_epoch(0, 4)
    searcher.step(*batches)
    assert len(drawn) == 2  # one for the arch step, one for the weight step
    arch_draw, weight_draw = drawn
    assert arch_draw.requires_grad and not weight_draw.requires_grad
    assert not torch.equal(arch_draw.detach(), weight_draw)


def test_eigenvalue_loss_uses_the_dirichlet_mean(space, tiny_supernet):
    searcher = DrNas(space, tiny_supernet, TrainConfig(epochs=4), DrNasOptions())
    conc = concentration(searcher.alpha.detach())
    torch.testing.assert_close(searcher.relaxed_mixer().weights.detach(), conc / conc.sum(dim=-1, keepdim=True))


def test_options_are_checked():
    with pytest.raises(NashError, match="reg_type"):
        DrNasOptions(reg_type="l1")
    with pytest.raises(NashError, match="reg_scale"):
        DrNasOptions(reg_scale=-1.0)
