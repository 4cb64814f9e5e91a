"""Dominant Hessian eigenvalue by power iteration with Hessian-vector products (double backward).

Generic: any scalar loss and any list of parameters. The searcher's use (RobustDARTS' collapse
indicator, the dominant eigenvalue of L_val w.r.t. the architecture parameters) lives in
`harness.instruments.search_instruments`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from harness.system.interrupt import raise_if_stop_requested


@dataclass(frozen=True)
class DominantEigen:
    """The eigenvalue of largest magnitude, *signed* (a negative-dominant Hessian gives a negative value)."""

    value: float
    iterations: int
    converged: bool  # the relative change of the estimate fell below `tol`
    largest: float = math.nan  # the largest algebraic eigenvalue, when asked for (`largest=True`)


def dominant_eigenvalue(
    loss_fn: Callable[[], Tensor],
    params: Sequence[Tensor],
    iterations: int = 20,
    tol: float = 1e-4,
    generator: torch.Generator | None = None,
    largest: bool = False,
) -> DominantEigen:
    """Power iteration on the Hessian of `loss_fn()` w.r.t. `params`.

    The loss is evaluated once and its gradient graph kept (create_graph), so every iteration is
    one extra backward, not a new forward. The estimate is the Rayleigh quotient vᵀHv with ‖v‖ = 1;
    it stops when two successive estimates differ by at most `tol`·|estimate|. The start vector is
    N(0, 1) from `generator` (a CPU generator; the global RNG is never touched).

    `largest=True` also gives the largest *algebraic* eigenvalue (`DominantEigen.largest`, what
    RobustDARTS' stop rule reads): the dominant one when it is positive, else λ_d + the dominant
    eigenvalue of H − λ_d·I (a second power iteration on the same graph, from the same start).
    """
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    params = list(params)
    loss = loss_fn()
    grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
    # A parameter the loss does not depend on has a zero Hessian block: it takes no part.
    pairs = [(p, g) for p, g in zip(params, grads, strict=True) if g is not None]
    if not pairs or not any(g.requires_grad for _, g in pairs):
        return DominantEigen(0.0, 0, True, 0.0)  # the loss is at most linear in the parameters
    params = [p for p, _ in pairs]
    grads = [g for _, g in pairs]
    start = _normalized([torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device) for p in params])
    value, steps, converged = _power_iteration(grads, params, start, iterations, tol, shift=0.0)
    top = value
    if largest and value < 0:
        shifted, _, _ = _power_iteration(grads, params, start, iterations, tol, shift=value)
        top = value + shifted
    return DominantEigen(value, steps, converged, top if largest else math.nan)


def _power_iteration(grads, params, vector, iterations: int, tol: float, shift: float) -> tuple[float, int, bool]:
    """(dominant eigenvalue of H − shift·I, iterations, converged); H·v by a backward through `grads`."""
    estimate = None
    for step in range(1, iterations + 1):
        raise_if_stop_requested()  # an epoch's power iterations can take minutes on a CPU: SIGTERM acts here too
        product = torch.autograd.grad(grads, params, grad_outputs=vector, retain_graph=True, allow_unused=True)
        product = [torch.zeros_like(p) if h is None else h.detach() for p, h in zip(params, product, strict=True)]
        if shift:
            product = [h - shift * v for h, v in zip(product, vector, strict=True)]
        previous, estimate = estimate, float(sum((h * v).sum() for h, v in zip(product, vector, strict=True)))
        norm = _norm(product)
        if norm == 0.0:
            return 0.0, step, True  # v is in the null space; H may still be non-zero elsewhere
        vector = [h / norm for h in product]
        if previous is not None and abs(estimate - previous) <= tol * abs(estimate):
            return estimate, step, True
    return estimate, iterations, False


def _norm(tensors: Sequence[Tensor]) -> float:
    return float(torch.sqrt(sum((t * t).sum() for t in tensors)))


def _normalized(tensors: Sequence[Tensor]) -> list[Tensor]:
    norm = _norm(tensors)
    return [t / norm for t in tensors]
