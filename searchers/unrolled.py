"""Second-order (unrolled) DARTS hypergradient with a finite-difference Hessian-vector product.

The architecture gradient is taken at the weights one virtual optimiser step ahead,
θ' = θ − ξ(m·v + ∇θ L_train(θ, α) + wd·θ), with ξ, m, v, wd read from the weight SGD:

    ∇α L_val(θ', α) − ξ · ∇²_{α,θ} L_train(θ, α) · ∇θ' L_val(θ', α)

The mixed second derivative times the vector is a central difference of ∇α L_train at
θ ± ε·∇θ' L_val, ε = 0.01 / ‖∇θ' L_val‖ (Liu et al. 2019); θ± are taken around θ, not θ'. The virtual step uses the
heavy-ball form above even when the optimiser is Nesterov: it is the form the paper and
its reference code use, and it keeps the correction's scale at ξ (Nesterov's real next
step would scale it by 1 + m). Gradient clipping is not applied to the virtual step.

Every in-place change of the weights is undone from a saved copy, and the network's
buffers (BN running statistics) are restored too, so the arch step leaves θ, the
buffers and the weight optimiser's state exactly as it found them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

LossFn = Callable[[], tuple[Tensor, Tensor]]  # () -> (logits, loss), with graphs to θ and α


@dataclass
class UnrolledGradient:
    arch_grads: list[Tensor]  # the hypergradient, one tensor per architecture parameter
    val_logits: Tensor  # val forward at θ' (detached), for the step statistics
    val_loss: Tensor


@contextmanager
def weights_restored(network: nn.Module):
    """Run a block that moves the weights in place; put parameters and buffers back bit for bit."""
    params = [p.detach().clone() for p in network.parameters()]
    buffers = [b.detach().clone() for b in network.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for p, saved in zip(network.parameters(), params, strict=True):
                p.copy_(saved)
            for b, saved in zip(network.buffers(), buffers, strict=True):
                b.copy_(saved)


def virtual_step_direction(optimizer: torch.optim.SGD, grads: dict[Tensor, Tensor]) -> dict[Tensor, Tensor]:
    """m·v + g + wd·θ per parameter (the optimiser's heavy-ball direction; v = 0 before its first step)."""
    directions = {}
    for group in optimizer.param_groups:
        momentum, decay = group["momentum"], group["weight_decay"]
        for p in group["params"]:
            if p not in grads:
                continue
            d = grads[p] + decay * p.detach()
            buffer = optimizer.state.get(p, {}).get("momentum_buffer")
            if momentum and buffer is not None:
                d = d + momentum * buffer
            directions[p] = d
    return directions


def mixed_hessian_vector_product(
    weights: Sequence[Tensor], arch: Sequence[Tensor], loss_fn: LossFn, vector: Sequence[Tensor], eps: float | Tensor
) -> list[Tensor]:
    """(∇α L(θ + ε·u) − ∇α L(θ − ε·u)) / 2ε ≈ ∇²_{α,θ} L · u; the weights end exactly where they started.

    `eps` may be a device tensor (a 0-d one), so the step never waits to read it."""
    origin = [w.detach().clone() for w in weights]
    with torch.no_grad():
        step = [u * eps for u in vector]
        for w, du in zip(weights, step, strict=True):
            w.add_(du)
    plus = torch.autograd.grad(loss_fn()[1], arch)
    with torch.no_grad():
        for w, saved, du in zip(weights, origin, step, strict=True):
            w.copy_(saved).sub_(du)
    minus = torch.autograd.grad(loss_fn()[1], arch)
    with torch.no_grad():
        for w, saved in zip(weights, origin, strict=True):
            w.copy_(saved)
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)]


def unrolled_arch_gradient(
    network: nn.Module,
    arch: Sequence[Tensor],
    train_loss: LossFn,
    val_loss: LossFn,
    optimizer: torch.optim.SGD,
    eps_scale: float = 0.01,
) -> UnrolledGradient:
    """The second-order DARTS gradient of L_val w.r.t. `arch`; θ, buffers and optimiser state unchanged."""
    weights = [p for p in network.parameters() if p.requires_grad]
    lr = {p: group["lr"] for group in optimizer.param_groups for p in group["params"]}
    with weights_restored(network):
        origin = [w.detach().clone() for w in weights]
        train_grads = torch.autograd.grad(train_loss()[1], weights, allow_unused=True)
        grads = {w: _or_zeros(g, w) for w, g in zip(weights, train_grads, strict=True)}
        directions = virtual_step_direction(optimizer, grads)
        with torch.no_grad():
            for w in weights:
                w.sub_(lr[w] * directions[w])
        logits, loss = val_loss()
        val_grads = torch.autograd.grad(loss, [*arch, *weights], allow_unused=True)
        arch_grads = [_or_zeros(g, a) for a, g in zip(arch, val_grads[: len(arch)], strict=True)]
        # ξ folded into the vector (u = ξ·∇θ' L_val, per parameter group): the perturbation
        # θ ± ε·u with ε = 0.01/‖u‖ is the paper's, and the difference quotient is already ξ·H·∇θ' L_val.
        vector = [lr[w] * _or_zeros(g, w) for w, g in zip(weights, val_grads[len(arch) :], strict=True)]
        # ε stays on the device (no host read). A zero vector (θ' has no val gradient) moves nothing, and
        # its difference quotient is 0 over a finite ε: the correction vanishes, as it should.
        norm = torch.sqrt(sum((v * v).sum() for v in vector))
        eps = eps_scale / norm.clamp_min(torch.finfo(norm.dtype).tiny)
        with torch.no_grad():
            for w, saved in zip(weights, origin, strict=True):
                w.copy_(saved)  # the Hessian is taken at θ, not at θ'
        hvp = mixed_hessian_vector_product(weights, arch, train_loss, vector, eps)
        arch_grads = [g - h for g, h in zip(arch_grads, hvp, strict=True)]
    return UnrolledGradient([g.detach() for g in arch_grads], logits.detach(), loss.detach())


def _or_zeros(grad: Tensor | None, like: Tensor) -> Tensor:
    """autograd.grad gives None for tensors the loss does not reach (e.g. ops no edge ran)."""
    return torch.zeros_like(like) if grad is None else grad
