"""`perf.compile`: compiled search cells, op blocks and evaluation blocks give the eager results.

The default run compiles one tiny cell (about ten seconds); whole searcher steps and an evaluation
network compile many graphs and are marked slow.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from benchmarks.kernels.compiled import compile_modules, compile_seconds, setup_compile_cache
from benchmarks.nb201.space import Nb201Space
from searchers.base import TrainConfig
from searchers.mixing import SoftmaxMixer
from searchers.registry import get_searcher


@pytest.fixture(autouse=True)
def compile_cache(tmp_path_factory, monkeypatch):
    """A compile cache of the test session's own (never the user's)."""
    monkeypatch.setenv("NASH_COMPILE_CACHE", str(tmp_path_factory.getbasetemp() / "torch-compile"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_cache_goes_where_nash_compile_cache_says(tmp_path, monkeypatch):
    monkeypatch.setenv("NASH_COMPILE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    assert setup_compile_cache() == tmp_path / "cache"
    import os

    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "cache")


def test_a_compiled_op_block_gives_the_eager_output_statistics_and_gradients():
    """The single-path block: ReLU-Conv-BN of two edges stacked, compiled once, run twice."""
    from benchmarks.kernels.fused_edges import relu_conv_bn_group
    from benchmarks.nb201.ops import ReluConvBn

    torch.manual_seed(0)
    blocks = tuple(ReluConvBn(4, 4, 3, 1, affine=False) for _ in range(2))
    x = torch.randn(2, 4, 4, 4, requires_grad=True)

    def run(block):
        mine = copy.deepcopy(blocks)
        outs = [block(mine, F.relu(x)) for _ in range(2)]  # the second call reuses the graph
        grads = torch.autograd.grad(sum(o.square().sum() for o in outs), [x, *(m[1].weight for m in mine)])
        return outs, grads, [b for m in mine for b in m.buffers()]

    from benchmarks.kernels.compiled import compiled

    before = compile_seconds()
    eager, fast = run(relu_conv_bn_group), run(compiled(relu_conv_bn_group))
    assert compile_seconds() > before  # it did compile
    for mine, theirs in zip([*fast[0], *fast[1], *fast[2]], [*eager[0], *eager[1], *eager[2]], strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-3, atol=1e-4)  # BN over 32 values: float32 order


@pytest.mark.slow
def test_a_compiled_fused_cell_gives_the_eager_output_and_gradients():
    torch.manual_seed(0)
    network = Nb201Space().build_supernet(channels=4, cells_per_stage=1, num_classes=10, affine=False)
    cell = network.layers[0]
    alpha = torch.randn(6, 5)
    x = torch.randn(2, 4, 4, 4)

    def run(compile_steps: bool):
        mine = copy.deepcopy(cell)
        a = alpha.clone().requires_grad_(True)
        from benchmarks.kernels.fused_edges import PreparedPlan

        plan = PreparedPlan(SoftmaxMixer(F.softmax(a, -1)).plan(), compile=compile_steps)
        out = mine(x, None, plan)
        out.square().sum().backward()
        return out, a.grad, [p.grad for p in mine.parameters()], list(mine.buffers())

    before = compile_seconds()
    eager, compiled = run(False), run(True)
    assert compile_seconds() > before  # it did compile
    torch.testing.assert_close(compiled[0], eager[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(compiled[1], eager[1], rtol=1e-4, atol=1e-5)
    for mine, theirs in zip(compiled[2] + compiled[3], eager[2] + eager[3], strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-5)


def tiny_searcher(name: str, compile_steps: bool):
    space = Nb201Space()
    cls = get_searcher(name)
    options = cls.options_type(**({"topology": False, "k": 2} if name == "rome" else {}))
    torch.manual_seed(0)
    network = cls.build_supernet(space, num_classes=10, options=options, channels=4, cells_per_stage=1, affine=False)
    network.compile_steps = compile_steps
    searcher = cls(space, network, TrainConfig(epochs=4), options)
    searcher.new_epoch(1, 4)
    return searcher


@pytest.mark.slow
@pytest.mark.parametrize("name", ["darts", "gdas", "rome", "pcdarts"])
def test_compiled_search_steps_follow_the_eager_ones(name):
    """Three steps: same α and weights within float tolerance; single-path steps compile op blocks only,
    so later steps (new samples) add no graph once every (op, edges, shape) has been seen."""
    generator = torch.Generator().manual_seed(1)
    batches = [(torch.randn(4, 3, 8, 8, generator=generator), torch.randint(0, 10, (4,))) for _ in range(2)]
    eager, compiled = tiny_searcher(name, False), tiny_searcher(name, True)
    for step in range(3):
        for searcher in (eager, compiled):
            torch.manual_seed(step)
            searcher.step(*batches)
    torch.testing.assert_close(compiled.alpha, eager.alpha, rtol=1e-3, atol=1e-5)
    for mine, theirs in zip(compiled.network.parameters(), eager.network.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-3, atol=1e-5)


@pytest.mark.slow
def test_compiled_evaluation_blocks_give_the_eager_training_step():
    from benchmarks.darts.eval_network import build_eval_network
    from benchmarks.darts.genotype import parse_genotype
    from harness.evaluate.train import compiled_blocks

    genotype = parse_genotype(
        "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('max_pool_3x3', 0), ('dil_conv_3x3', 2), "
        "('avg_pool_3x3', 1), ('sep_conv_5x5', 2), ('skip_connect', 0), ('none', 3)], normal_concat=[2, 3, 4, 5], "
        "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
        "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
        "reduce_concat=[2, 3, 4, 5])"
    )
    torch.manual_seed(0)
    eager = build_eval_network(genotype, {"channels": 4, "layers": 3, "auxiliary_weight": 0.4}, 10)
    compiled = copy.deepcopy(eager)
    compile_modules(compiled_blocks(compiled))
    x, y = torch.randn(2, 3, 8, 8), torch.randint(0, 10, (2,))
    for network in (eager, compiled):
        torch.manual_seed(1)
        logits, aux = network(x, 0.2)
        (F.cross_entropy(logits, y) + 0.4 * F.cross_entropy(aux, y)).backward()
    for mine, theirs in zip(compiled.parameters(), eager.parameters(), strict=True):
        torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-3, atol=1e-5)


@pytest.mark.slow
def test_the_eigenvalue_of_a_compiled_supernet_is_taken_on_the_eager_path():
    """Compiled graphs donate their buffers to a single backward; the Hessian-vector products differentiate
    twice, so the instrument runs the supernet eager (`search_instruments.eager`) and gets the eager value."""
    from harness.instruments.hessian import dominant_eigenvalue
    from harness.instruments.search_instruments import eager

    generator = torch.Generator().manual_seed(1)
    batch = (torch.randn(4, 3, 8, 8, generator=generator), torch.randint(0, 10, (4,), generator=generator))
    compiled, reference = tiny_searcher("darts", True), tiny_searcher("darts", False)

    def eigenvalue(searcher):
        start = torch.Generator().manual_seed(0)
        return dominant_eigenvalue(lambda: searcher.arch_loss(batch), [searcher.alpha], iterations=5, generator=start)

    with pytest.raises(RuntimeError, match="double backward|donated buffers"):
        eigenvalue(compiled)
    with eager(compiled.network):
        value = eigenvalue(compiled).value
    assert compiled.network.compile_steps  # back on for the search steps
    assert value == pytest.approx(eigenvalue(reference).value, rel=1e-4)
