"""Power-iteration eigenvalues against Hessians known in closed form or built explicitly."""

import torch
import torch.nn.functional as F

from harness.hessian import dominant_eigenvalue


def symmetric_with_eigenvalues(eigenvalues: list[float], seed: int = 0) -> torch.Tensor:
    """Q diag(λ) Qᵀ with a random orthogonal Q: a symmetric matrix whose spectrum is known."""
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(len(eigenvalues), len(eigenvalues), generator=gen, dtype=torch.float64))
    return q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T


def quadratic_loss(a: torch.Tensor, x: torch.Tensor):
    return lambda: 0.5 * x @ a @ x


def test_quadratic_positive_dominant():
    a = symmetric_with_eigenvalues([5.0, 2.0, -1.0, 0.5, 0.1])
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    result = dominant_eigenvalue(quadratic_loss(a, x), [x], iterations=200, tol=1e-10)
    assert result.converged
    assert abs(result.value - 5.0) < 1e-6


def test_quadratic_negative_dominant_is_signed():
    a = symmetric_with_eigenvalues([-7.0, 3.0, 1.0, 0.2])
    x = torch.zeros(4, dtype=torch.float64, requires_grad=True)  # the Hessian does not depend on x
    result = dominant_eigenvalue(quadratic_loss(a, x), [x], iterations=200, tol=1e-10)
    assert abs(result.value + 7.0) < 1e-6


def test_quadratic_split_over_two_parameters():
    """The Hessian over several tensors is the block matrix over their concatenation."""
    a = symmetric_with_eigenvalues([4.0, -2.0, 1.5, 1.0, 0.3, 0.1], seed=3)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randn(3, dtype=torch.float64, requires_grad=True)

    def loss():
        z = torch.cat([x[0], y])  # x[1] is unused by the loss: a zero block
        return 0.5 * z @ a @ z

    result = dominant_eigenvalue(loss, [x, y], iterations=300, tol=1e-12)
    assert abs(result.value - 4.0) < 1e-6


def test_iteration_cap_reports_not_converged():
    a = symmetric_with_eigenvalues([1.0, 0.999, 0.5])  # near-equal top pair: slow convergence
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    result = dominant_eigenvalue(quadratic_loss(a, x), [x], iterations=2, tol=0.0)
    assert result.iterations == 2 and not result.converged


def test_linear_loss_has_zero_curvature():
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert dominant_eigenvalue(lambda: (2 * x).sum(), [x]).value == 0.0


def test_small_network_matches_explicit_hessian():
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 4, (16,), generator=gen)
    w1 = torch.randn(5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)

    def loss_of(a, b):
        return F.cross_entropy(torch.tanh(inputs @ a.T) @ b.T, labels)

    blocks = torch.autograd.functional.hessian(loss_of, (w1, w2))
    n1, n2 = w1.numel(), w2.numel()
    full = torch.cat(
        [
            torch.cat([blocks[0][0].reshape(n1, n1), blocks[0][1].reshape(n1, n2)], dim=1),
            torch.cat([blocks[1][0].reshape(n2, n1), blocks[1][1].reshape(n2, n2)], dim=1),
        ]
    )
    eigenvalues = torch.linalg.eigvalsh(full)
    expected = float(eigenvalues[eigenvalues.abs().argmax()])
    result = dominant_eigenvalue(
        lambda: loss_of(w1, w2), [w1, w2], iterations=2000, tol=1e-12, generator=torch.Generator().manual_seed(1)
    )
    assert result.converged
    assert abs(result.value - expected) < 1e-6 * max(1.0, abs(expected))


def test_start_vector_comes_from_the_generator_not_the_global_rng():
    a = symmetric_with_eigenvalues([3.0, 1.0])
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    dominant_eigenvalue(quadratic_loss(a, x), [x], generator=torch.Generator().manual_seed(0))
    assert torch.equal(before, torch.random.get_rng_state())
