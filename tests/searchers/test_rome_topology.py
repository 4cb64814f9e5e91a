"""ROME with topology on, in a toy space that exposes its nodes' incoming edges.

The toy cell has two inputs and two intermediate nodes (in-degrees 2 and 3), wired the way
a DARTS cell is, so this is how the DARTS-space issue plugs ROME's topology into its cell.
"""

import copy

import pytest
import torch
from torch import nn

from benchmarks.errors import NashError
from benchmarks.nb201.ops import make_op
from searchers.base import TrainConfig
from searchers.rome import Rome, RomeOptions
from searchers.topology import TOPOLOGY_SAMPLERS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

OPS = ("skip_connect", "nor_conv_1x1", "avg_pool_3x3")
NODE_IN_EDGES = ((0, 1), (2, 3, 4))  # node 0 ← {input 0, input 1}; node 1 ← {input 0, input 1, node 0}


class ToyCell(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(nn.ModuleList(make_op(op, channels, False) for op in OPS) for _ in range(5))

    def forward(self, x, mixer):
        states = [x, torch.relu(x)]
        for edges in NODE_IN_EDGES:
            outputs = [mixer(e, self.edges[e], states[i]) for i, e in enumerate(edges)]
            states.append(sum(out for out in outputs if out is not None))  # dropped edges return None
        return states[-1] + states[-2]


class ToyNet(nn.Module):
    def __init__(self, channels: int = 4) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.cell = ToyCell(channels)
        self.head = nn.Linear(channels, 10)

    def forward(self, x, mixer):
        return self.head(self.cell(self.stem(x), mixer).mean(dim=(2, 3)))


class ToySpace:
    name = "toy"
    ops = OPS
    num_ops = len(OPS)
    none_index = None
    num_edges = 5
    node_in_edges = NODE_IN_EDGES

    def genotype_from_kept_edges(self, kept, op_indices):
        return tuple((edge, OPS[op_indices[edge]]) for pair in kept for edge in pair)


@pytest.fixture
def batches():
    generator = torch.Generator().manual_seed(1)
    return tuple(
        (torch.randn(8, 3, 8, 8, generator=generator), torch.randint(0, 10, (8,), generator=generator)) for _ in "tv"
    )


def make_rome(sampler="top2", k=2, **switches):
    torch.manual_seed(0)
    return Rome(ToySpace(), ToyNet(), TrainConfig(epochs=2), RomeOptions(k=k, topology_sampler=sampler, **switches))


@pytest.mark.parametrize("sampler", TOPOLOGY_SAMPLERS)
def test_only_kept_edges_compute_only_their_sampled_op(sampler, batches):
    rome = make_rome(sampler, k=3)
    calls = {}
    for e, ops in enumerate(rome.network.cell.edges):
        for k, op in enumerate(ops):
            calls[(e, k)] = 0
            op.register_forward_hook(lambda *_, key=(e, k): calls.__setitem__(key, calls[key] + 1))
    kept_sets = []

    def check_forward(_module, args, _output):
        mixer = args[1]
        per_node = [sum(e in mixer.kept for e in edges) for edges in NODE_IN_EDGES]
        assert per_node == [2, 2]
        for (edge, op), n in calls.items():
            assert n == (1 if edge in mixer.kept and op == mixer.index[edge] else 0), (edge, op, n)
            calls[(edge, op)] = 0
        kept_sets.append(mixer.kept)

    rome.network.register_forward_hook(check_forward)
    rome.new_epoch(0, 2)
    torch.manual_seed(4)
    for _ in range(4):
        rome.step(*batches)
    assert len(kept_sets) == 4 * (3 + 3)
    assert len(set(kept_sets)) > 1  # node 1 really chooses among its three inputs


def test_beta_is_learned_from_the_val_loss(batches):
    rome = make_rome(k=2)
    assert rome.arch_parameters()[1] is rome.topology.beta
    before = rome.topology.beta.detach().clone()
    rome.new_epoch(0, 2)
    rome.step(*batches)
    assert rome.topology.beta.grad is not None and rome.topology.beta.grad.abs().sum() > 0
    assert not torch.equal(before, rome.topology.beta.detach())


def test_genotype_keeps_the_two_most_likely_edges_with_their_argmax_op():
    rome = make_rome()
    with torch.no_grad():
        rome.topology.beta.copy_(torch.tensor([0.0, 0.1, 1.0, -1.0, 2.0]))
        rome.alpha.copy_(torch.eye(3)[[1, 2, 0, 1, 2]])
    assert rome.genotype() == ((0, "nor_conv_1x1"), (1, "avg_pool_3x3"), (2, "skip_connect"), (4, "avg_pool_3x3"))


@pytest.mark.parametrize("sample_per_step", [True, False])
def test_topology_without_accumulation_keeps_gdas_order_and_sampling(batches, sample_per_step):
    rome = make_rome(k=1, accumulate_weights=False, accumulate_arch=False, sample_per_step=sample_per_step)
    forwards = []
    rome.network.register_forward_hook(lambda _m, args, _o: forwards.append((args[1].kept, tuple(args[1].index))))
    rome.new_epoch(0, 2)
    torch.manual_seed(0)
    for _ in range(3):
        rome.step(*batches)
    assert len(forwards) == 6  # per step: weight step, then arch step
    # GDAS's sampling: its own sample per step (the reference), or one sample for both (the switch).
    shared = [forwards[i] == forwards[i + 1] for i in (0, 2, 4)]
    assert all(shared) if not sample_per_step else not all(shared)


def test_state_dict_round_trip_restores_beta(batches):
    rome = make_rome()
    rome.new_epoch(0, 2)
    rome.step(*batches)
    state = copy.deepcopy(rome.state_dict())
    restored = make_rome()
    restored.load_state_dict(state)
    assert torch.equal(restored.topology.beta, rome.topology.beta)
    assert restored.genotype() == rome.genotype()


def test_a_space_without_incoming_edges_cannot_take_topology():
    class Flat(ToySpace):
        name = "flat"
        node_in_edges = None

    with pytest.raises(NashError, match="flat has no topology to disentangle"):
        Rome(Flat(), ToyNet(), TrainConfig(), RomeOptions())


@pytest.mark.parametrize("sampler", TOPOLOGY_SAMPLERS)
def test_a_non_finite_topology_draw_redraws_the_whole_sample(sampler, monkeypatch):
    """The topology's noise joins the op sample's finiteness check (one read); a bad node redraws all."""
    from searchers import topology

    rome = make_rome(sampler)
    real, calls = topology.sample_gumbel, []

    def first_node_inf(shape, device):
        calls.append(shape)
        noise = real(shape, device)
        return noise.fill_(float("inf")) if len(calls) == 1 else noise

    monkeypatch.setattr(topology, "sample_gumbel", first_node_inf)
    (sample,) = rome.draw_samples(1)
    nodes = len(rome.topology.in_degrees)
    assert len(calls) == 2 * nodes  # the first draw's nodes, then the redraw's
    assert all(torch.isfinite(g).all() for g in sample.noise)
    kept = sample.host[rome.alpha.shape[0] :]
    assert len(kept) == 2 * nodes and all(kept[2 * i] < kept[2 * i + 1] for i in range(nodes))
