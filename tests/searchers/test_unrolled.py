"""Second-order DARTS: the finite-difference hypergradient against exact autograd (float64)."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from searchers.darts import Darts, DartsOptions
from searchers.registry import get_searcher
from searchers.unrolled import mixed_hessian_vector_product, unrolled_arch_gradient


class TinyMixture(nn.Module):
    """Two 'ops' mixed by softmax(α): a linear map and a tanh layer (38 weights, 2 logits)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 4)
        self.curved = nn.Linear(3, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x, mix):
        return self.head(mix[0] * self.linear(x) + mix[1] * torch.tanh(self.curved(x)))


@pytest.fixture
def tiny():
    torch.manual_seed(3)
    net = TinyMixture().double()
    alpha = nn.Parameter(torch.tensor([0.3, -0.2], dtype=torch.float64))
    g = torch.Generator().manual_seed(4)
    train = (torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randint(0, 2, (6,), generator=g))
    val = (torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randint(0, 2, (6,), generator=g))
    return net, alpha, train, val


def loss_on(net, alpha, batch, params=None):
    def loss_fn():
        mix = F.softmax(alpha, dim=-1)
        logits = net(batch[0], mix) if params is None else functional_call(net, params, (batch[0], mix))
        return logits, F.cross_entropy(logits, batch[1])

    return loss_fn


def test_finite_difference_hessian_vector_product_matches_double_backward(tiny):
    net, alpha, train, _ = tiny
    weights = list(net.parameters())
    vector = [torch.randn_like(w) for w in weights]
    norm = float(torch.sqrt(sum((v * v).sum() for v in vector)))
    before = [w.detach().clone() for w in weights]

    estimate = mixed_hessian_vector_product(weights, [alpha], loss_on(net, alpha, train), vector, 0.01 / norm)

    grads = torch.autograd.grad(loss_on(net, alpha, train)()[1], weights, create_graph=True)
    exact = torch.autograd.grad(sum((g * v).sum() for g, v in zip(grads, vector, strict=True)), alpha)[0]
    # central differences: error O(ε²·third derivative); with ε·‖v‖ = 0.01 that is ~1e-5 relative
    torch.testing.assert_close(estimate[0], exact, rtol=1e-4, atol=1e-8)
    assert all(torch.equal(w, b) for w, b in zip(weights, before, strict=True))


@pytest.mark.parametrize("momentum,nesterov,weight_decay", [(0.0, False, 0.0), (0.9, True, 5e-4)])
def test_unrolled_gradient_matches_autograd_through_the_virtual_step(tiny, momentum, nesterov, weight_decay):
    net, alpha, train, val = tiny
    sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    if momentum:  # one real step first, so the virtual step has a momentum buffer to use
        loss_on(net, alpha.detach(), train)()[1].backward()
        sgd.step()
        sgd.zero_grad()
    params = dict(net.named_parameters())
    saved_params = {k: v.detach().clone() for k, v in params.items()}
    saved_state = copy.deepcopy(sgd.state_dict())

    result = unrolled_arch_gradient(net, [alpha], loss_on(net, alpha, train), loss_on(net, alpha, val), sgd)

    # Exact: θ' = θ − ξ(m·v + ∇θ L_train(θ, α) + wd·θ) as a differentiable function of α (heavy-ball form).
    grads = torch.autograd.grad(loss_on(net, alpha, train)()[1], list(params.values()), create_graph=True)
    unrolled = {}
    for (name, p), g in zip(params.items(), grads, strict=True):
        buffer = sgd.state[p].get("momentum_buffer") if momentum else None
        direction = g + weight_decay * p.detach() + (momentum * buffer if buffer is not None else 0)
        unrolled[name] = p.detach() - 0.1 * direction
    exact = torch.autograd.grad(loss_on(net, alpha, val, unrolled)()[1], alpha)[0]
    torch.testing.assert_close(result.arch_grads[0], exact, rtol=1e-4, atol=1e-8)
    # The Hessian correction is not negligible here, so the comparison tells the orders apart.
    assert not torch.allclose(result.arch_grads[0], _gradient_at(net, alpha, val, unrolled), rtol=1e-3)
    # θ and the optimiser state are untouched.
    assert all(torch.equal(params[k], saved_params[k]) for k in params)
    state = sgd.state_dict()
    assert state["param_groups"] == saved_state["param_groups"]
    for key, entry in saved_state["state"].items():
        assert torch.equal(state["state"][key]["momentum_buffer"], entry["momentum_buffer"])


def _gradient_at(net, alpha, batch, params):
    """∇α L(θ', α) with θ' held constant: the unrolled gradient without its Hessian correction."""
    fixed = {k: v.detach() for k, v in params.items()}
    return torch.autograd.grad(loss_on(net, alpha, batch, fixed)()[1], alpha)[0]


def test_darts_v2_arch_step_leaves_weights_buffers_and_momentum_alone(space, tiny_supernet, batches, train_config):
    darts = get_searcher("darts-v2")(space, tiny_supernet, train_config, get_searcher("darts-v2").options_type())
    assert darts.options.unrolled and isinstance(darts, Darts)
    darts.new_epoch(0, 4)
    darts.step(*batches)  # fills the momentum buffers
    weights = copy.deepcopy(tiny_supernet.state_dict())
    momentum = copy.deepcopy(darts.weight_optimizer.state_dict())
    alpha = darts.alpha.detach().clone()

    darts.unrolled_arch_step(*batches)

    assert not torch.equal(alpha, darts.alpha.detach())
    assert all(torch.equal(v, tiny_supernet.state_dict()[k]) for k, v in weights.items())  # params and BN buffers
    after = darts.weight_optimizer.state_dict()["state"]
    assert all(torch.equal(after[k]["momentum_buffer"], v["momentum_buffer"]) for k, v in momentum["state"].items())


def test_darts_option_unrolled_selects_the_second_order_step(space, tiny_supernet, batches, train_config, monkeypatch):
    import searchers.darts as darts_module

    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return unrolled_arch_gradient(*args, **kwargs)

    monkeypatch.setattr(darts_module, "unrolled_arch_gradient", counting)
    for unrolled in (False, True):
        searcher = Darts(space, tiny_supernet, train_config, DartsOptions(unrolled=unrolled))
        searcher.new_epoch(0, 4)
        searcher.step(*batches)
        assert len(calls) == int(unrolled)
