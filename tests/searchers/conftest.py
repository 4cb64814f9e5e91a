import pytest
import torch

from benchmarks.nb201.space import Nb201Space
from searchers.base import TrainConfig


@pytest.fixture
def space():
    return Nb201Space()


@pytest.fixture
def tiny_supernet(space):
    torch.manual_seed(0)
    return space.build_supernet(channels=4, cells_per_stage=1, num_classes=10, affine=False)


@pytest.fixture
def batches():
    generator = torch.Generator().manual_seed(1)
    train = (torch.randn(8, 3, 16, 16, generator=generator), torch.randint(0, 10, (8,), generator=generator))
    val = (torch.randn(8, 3, 16, 16, generator=generator), torch.randint(0, 10, (8,), generator=generator))
    return train, val


@pytest.fixture
def train_config():
    return TrainConfig(epochs=4)


def count_op_calls(network):
    """Forward hooks on every candidate op; returns a dict (cell, edge, op) -> number of calls.

    Switches the network to its per-edge path, where every computed op is a module call (the fused
    path calls stacked weights; `tests/benchmarks/test_fused_edges.py` shows both compute the same).
    """
    from benchmarks.nb201.network import SearchCell

    network.fused_edges = False
    calls = {}
    cells = [m for m in network.layers if isinstance(m, SearchCell)]
    for c, cell in enumerate(cells):
        for e, ops in enumerate(cell.edges):
            for k, op in enumerate(ops):
                key = (c, e, k)
                calls[key] = 0

                def hook(_module, _inputs, _output, key=key):
                    calls[key] += 1

                op.register_forward_hook(hook)
    return calls


def sampled_forwards(network, searcher, batches, steps: int, seed: int = 3) -> list[tuple[int, ...]]:
    """Run `steps` search steps; assert each forward computed only the sampled op of every edge, once.

    Returns the sampled op indices of every forward, in order (single-path searchers: GDAS, ROME).
    """
    calls = count_op_calls(network)
    forwards = []

    def check_forward(_module, args, _output):
        mixer = args[1]
        for (cell, edge, op), n in calls.items():
            assert n == (1 if op == mixer.index[edge] else 0), (cell, edge, op, n)
            calls[(cell, edge, op)] = 0
        forwards.append(tuple(mixer.index))

    network.register_forward_hook(check_forward)
    searcher.new_epoch(0, 4)
    torch.manual_seed(seed)
    for _ in range(steps):
        searcher.step(*batches)
    return forwards


@pytest.fixture
def one_torch_thread():
    """Tiny tensors gain nothing from intra-op threads; on a loaded machine they only spin and wait."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def sample_topology(topology, tau: float, noise, with_graph: bool):
    """A `NodeTopology` sample of `noise` as a step takes it: kept positions computed, read, then the masks."""
    _finite, kept = topology.sample_check(tau, noise)
    return topology.sample(tau, noise, kept.tolist(), with_graph=with_graph)
