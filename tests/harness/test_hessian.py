"""Power-iteration eigenvalues against Hessians known in closed form or built explicitly."""

import math

import pytest
import torch
import torch.nn.functional as F

from harness.instruments.hessian import dominant_eigenvalue


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


# --- the searchers' arch loss, the function the in-search eigenvalue differentiates ---

TINY_NB201 = {"channels": 4, "cells_per_stage": 1, "affine": False}
TINY_DARTS = {"channels": 4, "layers": 3, "stem_multiplier": 1, "affine": False}


def make_searcher(name, space, network_fields, **options):
    from searchers.base import TrainConfig
    from searchers.registry import get_searcher

    cls = get_searcher(name)
    opts = cls.options_type(**options)
    torch.manual_seed(0)
    network = cls.build_supernet(space, num_classes=10, options=opts, **network_fields)
    return cls(space, network, TrainConfig(epochs=2), opts)


def image_batches(count, size=8, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(6, 3, size, size, generator=gen), torch.randint(0, 10, (6,), generator=gen)) for _ in range(count)
    ]


def test_in_search_eigenvalue_matches_the_explicit_hessian_over_alpha():
    """DARTS on a tiny NB201 supernet (float64): power iteration on arch_loss vs eigvalsh of the built Hessian."""
    from benchmarks.nb201.space import Nb201Space
    from searchers.mixing import SoftmaxMixer

    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        searcher = make_searcher("darts", Nb201Space(), TINY_NB201)
        with torch.no_grad():
            searcher.alpha.normal_(0, 0.5, generator=torch.Generator().manual_seed(2))  # away from uniform
        batches = image_batches(2)
        searcher.network.train()

        def mean_loss_of(alpha):
            mixer = SoftmaxMixer(F.softmax(alpha, dim=-1))
            return sum(F.cross_entropy(searcher.network(x, mixer), y) for x, y in batches) / len(batches)

        n = searcher.alpha.numel()
        explicit = torch.autograd.functional.hessian(mean_loss_of, searcher.alpha.detach()).reshape(n, n)
        eigenvalues = torch.linalg.eigvalsh(explicit)
        expected = float(eigenvalues[eigenvalues.abs().argmax()])
        result = dominant_eigenvalue(
            lambda: sum(searcher.arch_loss(b) for b in batches) / len(batches),
            searcher.arch_parameters(),
            iterations=3000,
            tol=1e-12,
        )
    finally:
        torch.set_default_dtype(default)
    assert abs(result.value - expected) < 1e-6 * max(1.0, abs(expected))


def test_sampling_searchers_use_the_same_relaxed_loss_as_darts():
    from benchmarks.nb201.space import Nb201Space

    darts = make_searcher("darts", Nb201Space(), TINY_NB201)
    gdas = make_searcher("gdas", Nb201Space(), TINY_NB201)
    rome = make_searcher("rome", Nb201Space(), TINY_NB201, topology=False, k=2)
    gdas.network.load_state_dict(darts.network.state_dict())
    rome.network.load_state_dict(darts.network.state_dict())
    with torch.no_grad():
        gdas.alpha.copy_(darts.alpha)
        rome.alpha.copy_(darts.alpha)
    (batch,) = image_batches(1)
    torch.manual_seed(5)
    expected = darts.arch_loss(batch)
    assert torch.equal(gdas.arch_loss(batch), expected) and torch.equal(rome.arch_loss(batch), expected)


def test_arch_loss_is_deterministic_and_reaches_every_arch_parameter():
    from benchmarks.darts.spaces import DartsSpace
    from benchmarks.nb201.space import Nb201Space

    cases = [
        make_searcher("darts", Nb201Space(), TINY_NB201),
        make_searcher("pcdarts", Nb201Space(), TINY_NB201, k=2, warmup_epochs=0),
        make_searcher("gdas", DartsSpace("s1"), TINY_DARTS),
        make_searcher("rome", DartsSpace("s1"), TINY_DARTS, k=2),
        make_searcher("rome", DartsSpace("s1"), TINY_DARTS, k=2, topology_sampler="pairs"),
    ]
    (batch,) = image_batches(1)
    for searcher in cases:
        params = searcher.arch_parameters()
        assert len(params) == (1 if searcher.name in ("darts", "gdas") else 2)
        first, second = searcher.arch_loss(batch), searcher.arch_loss(batch)
        assert torch.equal(first, second), searcher.name
        grads = torch.autograd.grad(first, params, create_graph=True)
        assert all(bool(g.abs().sum() > 0) for g in grads), searcher.name
        # Curvature exists: a Hessian-vector product is non-zero.
        hv = torch.autograd.grad(sum((g * g).sum() for g in grads), params)
        assert any(bool(h.abs().sum() > 0) for h in hv), searcher.name


def test_rome_relaxed_topology_keeps_two_edges_per_node_in_expectation():
    from benchmarks.darts.spaces import DartsSpace

    for sampler in ("top2", "pairs"):
        rome = make_searcher("rome", DartsSpace("s1"), TINY_DARTS, k=2, topology_sampler=sampler)
        with torch.no_grad():
            rome.topology.beta.normal_(0, 1, generator=torch.Generator().manual_seed(3))
        keep = rome.keep_probabilities()
        for edges in rome.topology.node_in_edges:
            total = float(keep[list(edges)].detach().sum())
            assert abs(total - 2.0) < 1e-5 and bool((keep[list(edges)] <= 1 + 1e-6).all())


def test_largest_algebraic_eigenvalue_when_the_dominant_one_is_negative():
    a = symmetric_with_eigenvalues([-7.0, 3.0, 1.0, 0.2])
    x = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    result = dominant_eigenvalue(quadratic_loss(a, x), [x], iterations=500, tol=1e-12, largest=True)
    assert abs(result.value + 7.0) < 1e-6 and abs(result.largest - 3.0) < 1e-6
    all_negative = symmetric_with_eigenvalues([-7.0, -3.0, -1.0], seed=2)
    y = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    result = dominant_eigenvalue(quadratic_loss(all_negative, y), [y], iterations=500, tol=1e-12, largest=True)
    assert abs(result.largest + 1.0) < 1e-6


def test_largest_is_the_dominant_one_when_that_is_positive_and_absent_unless_asked():
    a = symmetric_with_eigenvalues([5.0, 2.0, -1.0])
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    result = dominant_eigenvalue(quadratic_loss(a, x), [x], iterations=200, tol=1e-10, largest=True)
    assert result.largest == result.value and abs(result.value - 5.0) < 1e-6
    assert math.isnan(dominant_eigenvalue(quadratic_loss(a, x), [x]).largest)


def test_a_stop_request_ends_the_power_iteration(monkeypatch):
    """SIGTERM during an epoch's eigenvalue (minutes on a CPU for darts-es) stops there, not after it."""
    from harness.system import interrupt

    monkeypatch.setattr(interrupt, "_stop_requested", True)
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(interrupt.RunInterrupted):
        dominant_eigenvalue(lambda: (x**4).sum(), [x])


def test_a_compiled_search_measures_its_eigenvalue_on_the_eager_supernet(tmp_path, monkeypatch):
    """perf.compile + the eigenvalue: the arch loss the power iteration differentiates twice runs uncompiled
    (compiled graphs allow one backward; tests/benchmarks/test_compiled.py shows the failure it avoids)."""
    import dataclasses

    import benchmarks.kernels.fused_edges
    from harness.config.run_config import AnalysisConfig, PerfConfig
    from harness.run.runner import run_search
    from searchers.darts import Darts
    from tests.harness.test_search_end_to_end import tiny_config

    monkeypatch.setattr(benchmarks.kernels.fused_edges, "compiled", lambda forward: forward)  # the wiring, not inductor
    seen = []
    arch_loss = Darts.arch_loss
    monkeypatch.setattr(
        Darts, "arch_loss", lambda self, batch: seen.append(self.network.compile_steps) or arch_loss(self, batch)
    )
    config = dataclasses.replace(
        tiny_config("darts", epochs=1), perf=PerfConfig(compile=True), analysis=AnalysisConfig(eigenvalue_every=1)
    )
    result = run_search(config, tmp_path, progress=False)
    assert seen and not any(seen)
    assert result.rows[0]["hessian_eigenvalue"] == result.rows[0]["hessian_eigenvalue"]  # measured (not NaN)
