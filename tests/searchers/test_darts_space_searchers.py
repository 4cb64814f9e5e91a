"""Every searcher in the DARTS-family spaces: steps, derivation rules, ROME's topology, PC-DARTS's β."""

import copy

import pytest
import torch
import torch.nn.functional as F

from benchmarks.darts.cell_edges import NODE_IN_EDGES
from benchmarks.darts.spaces import DARTS_SPACE_NAMES, DartsSpace
from benchmarks.errors import NashError
from harness.config.run_config import apply_overrides, resolve_config
from searchers.base import TrainConfig
from searchers.gdas import Gdas, GdasOptions
from searchers.mixing import gumbel_softmax_hard, sample_gumbel
from searchers.pcdarts import PcDarts, PcDartsOptions
from searchers.registry import get_searcher
from searchers.rome import Rome, RomeOptions
from searchers.topology import SampledPathMixer
from tests.searchers.conftest import sample_topology

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"channels": 4, "layers": 3, "stem_multiplier": 1, "affine": False}
OPTIONS = {
    "darts": {},
    "darts-v2": {},
    "gdas": {},
    "pcdarts": {"k": 2, "warmup_epochs": 0},
    "rome": {"k": 2},
}


@pytest.fixture
def batches():
    generator = torch.Generator().manual_seed(1)
    return tuple(
        (torch.randn(4, 3, 8, 8, generator=generator), torch.randint(0, 10, (4,), generator=generator)) for _ in "tv"
    )


def make(name, space, seed=0, **options):
    cls = get_searcher(name)
    opts = cls.options_type(**{**OPTIONS[name], **options})
    torch.manual_seed(seed)
    network = cls.build_supernet(space, num_classes=10, options=opts, **TINY)
    return cls(space, network, TrainConfig(epochs=2), opts)


def assert_valid(genotype, space):
    for cell, offset in (("normal", 0), ("reduce", 14)):
        genes = getattr(genotype, cell)
        assert len(genes) == 8  # two (op, input) pairs per node
        for k, (op, source) in enumerate(genes):
            node = k // 2
            assert 0 <= source < 2 + node and op != "none"
            assert op in space.edge_ops(offset + NODE_IN_EDGES[node][source]), (cell, k, op)
    assert space.parse(str(genotype)) == genotype


@pytest.mark.parametrize("space_name", DARTS_SPACE_NAMES)
@pytest.mark.parametrize("name", list(OPTIONS))
def test_every_searcher_steps_and_derives_a_valid_genotype_in_every_space(name, space_name, batches):
    space = DartsSpace(space_name)
    searcher = make(name, space)
    assert searcher.alpha.shape == (28, space.num_ops)
    before = [p.detach().clone() for p in searcher.arch_parameters()]
    searcher.new_epoch(0, 2)
    stats = searcher.step(*batches)
    assert torch.isfinite(stats.train_loss_sum) and torch.isfinite(stats.val_loss_sum)
    assert not torch.equal(before[0], searcher.alpha.detach())  # the architecture moved
    assert_valid(searcher.genotype(), space)


def set_alpha(searcher, rows):
    with torch.no_grad():
        searcher.alpha.zero_()
        for edge, values in rows.items():
            searcher.alpha[edge] = torch.tensor(values, dtype=torch.float32)


def test_darts_keeps_per_node_the_two_strongest_edges_ignoring_none():
    space = DartsSpace("s3")  # none, skip, sep3 on every edge
    darts = make("darts", space)
    # Normal node 1 (edges 2, 3, 4): edge 2 is mostly `none` (its best non-none weight is low).
    set_alpha(darts, {2: [9.0, 1.0, 0.0], 3: [0.0, 2.0, 0.0], 4: [0.0, 0.0, 1.5], 0: [5.0, 0.0, 0.5]})
    genotype = darts.genotype()
    assert genotype.normal[2:4] == (("skip_connect", 1), ("sep_conv_3x3", 2))
    assert ("sep_conv_3x3", 0) in genotype.normal[:2]  # `none` is never the derived op
    assert_valid(genotype, space)


@pytest.mark.parametrize("distinct", [False, True])
def test_gdas_takes_the_top_two_pairs_and_optionally_distinct_edges(distinct):
    space = DartsSpace("s0")
    gdas = make("gdas", space, distinct_edges=distinct)
    # Reduce node 0 (rows 14, 15): row 14 holds the two best (op, input) pairs.
    set_alpha(gdas, {14: [0, 0, 0, 3.0, 2.5, 0, 0], 15: [0, 0, 0, 0, 0, 0, 0.8]})
    genes = gdas.genotype().reduce[:2]
    if distinct:
        assert genes == (("sep_conv_3x3", 0), ("dil_conv_5x5", 1))
    else:  # the reference rule: both ops of edge 14
        assert genes == (("sep_conv_3x3", 0), ("sep_conv_5x5", 0))


def test_distinct_edges_is_refused_on_nb201():
    config = resolve_config("nb201-cifar10", "gdas", "quick")
    with pytest.raises(NashError, match="distinct_edges"):
        apply_overrides(config, ["searcher.distinct_edges=true"])


def test_pcdarts_edge_weights_sum_to_one_per_node_and_cell_type():
    space = DartsSpace("s2")
    pc = make("pcdarts", space)
    with torch.no_grad():
        pc.beta.copy_(torch.randn(28))
    weights = pc.edge_weights()
    groups = [list(edges) for edges in space.node_in_edges]
    assert len(groups) == 8 and sorted(e for g in groups for e in g) == list(range(28))
    for edges in groups:
        torch.testing.assert_close(weights[edges].sum(), torch.tensor(1.0))
    assert not torch.allclose(weights[[0, 1]], weights[[14, 15]])  # normal and reduce β are separate


def test_pcdarts_derivation_ranks_edges_by_alpha_times_beta():
    space = DartsSpace("s2")
    pc = make("pcdarts", space)
    # Normal node 1 (edges 2, 3, 4): edge 2 has the most confident op but a tiny β.
    set_alpha(pc, {2: [4.0, 0.0], 3: [0.0, 1.0], 4: [0.8, 0.0]})
    with torch.no_grad():
        pc.beta.zero_()
        pc.beta[2] = -5.0
    assert pc.genotype().normal[2:4] == (("sep_conv_3x3", 1), ("skip_connect", 2))


def test_rome_topology_is_on_by_default_in_the_darts_spaces():
    config = resolve_config("s2-cifar10", "rome", "quick")
    assert config.searcher_options["topology"] is True
    rome = make("rome", DartsSpace("s2"))
    assert rome.topology is not None and rome.topology.beta.numel() == 28


def register_op_counters(network):
    network.fused_edges = False  # op modules are called one by one only on the per-edge path
    calls = {}
    for c, cell in enumerate(network.cells):
        offset = 14 if cell.reduction else 0
        for e, ops in enumerate(cell.edges):
            for k, op in enumerate(ops):
                key = (c, offset + e, k)
                calls[key] = 0
                op.register_forward_hook(lambda *_, key=key: calls.__setitem__(key, calls[key] + 1))
    return calls


def test_rome_samples_two_inputs_per_node_and_only_kept_edges_compute(batches):
    space = DartsSpace("s0")
    rome = make("rome", space, k=2)
    calls = register_op_counters(rome.network)
    kept_sets = []

    def check_forward(_module, args, _output):
        mixer = args[1]
        assert isinstance(mixer, SampledPathMixer)
        assert [sum(e in mixer.kept for e in edges) for edges in space.node_in_edges] == [2] * 8
        for (cell, edge, op), n in calls.items():
            assert n == (1 if edge in mixer.kept and op == mixer.index[edge] else 0), (cell, edge, op, n)
            calls[(cell, edge, op)] = 0
        kept_sets.append(mixer.kept)

    rome.network.register_forward_hook(check_forward)
    rome.new_epoch(0, 2)
    torch.manual_seed(4)
    for _ in range(2):
        rome.step(*batches)
    assert len(kept_sets) == 2 * (2 + 2)
    assert len(set(kept_sets)) > 1


def test_rome_k3_arch_gradient_is_the_mean_and_weight_gradient_the_sum(batches):
    (x_train, y_train), (x_val, y_val) = batches
    space = DartsSpace("s2")
    torch.manual_seed(0)
    opts = RomeOptions(k=3)
    network = Rome.build_supernet(space, num_classes=10, options=opts, **TINY)
    rome = Rome(space, network, TrainConfig(epochs=4, grad_clip=1e9), opts)
    rome.new_epoch(0, 4)
    tau = rome.tau
    network0, alpha0, topology0 = copy.deepcopy(rome.network), rome.alpha.detach().clone(), copy.deepcopy(rome.topology)
    torch.manual_seed(5)
    rome.step(*batches)

    # Replay the draws: per sample, the op noise, then one topology noise per node.
    torch.manual_seed(5)
    draws = [(sample_gumbel(alpha0.shape, alpha0.device), topology0.draw_noise()) for _ in range(6)]

    def mixer(alpha, topology, op_noise, node_noise, with_graph):
        hard, index = gumbel_softmax_hard(alpha, tau, op_noise)
        sample = sample_topology(topology, tau, node_noise, with_graph)
        return SampledPathMixer(hard, index.tolist(), topology.edge_weights(sample, 28), topology.kept_edges(sample))

    alpha_grads, beta_grads = [], []
    for op_noise, node_noise in draws[:3]:
        alpha = alpha0.clone().requires_grad_(True)
        loss = F.cross_entropy(network0(x_val, mixer(alpha, topology0, op_noise, node_noise, True)), y_val)
        ga, gb = torch.autograd.grad(loss, [alpha, topology0.beta])
        alpha_grads.append(ga)
        beta_grads.append(gb)
    torch.testing.assert_close(rome.alpha.grad, torch.stack(alpha_grads).mean(dim=0))
    torch.testing.assert_close(rome.topology.beta.grad, torch.stack(beta_grads).mean(dim=0))

    params = list(network0.parameters())
    summed = [None] * len(params)
    for op_noise, node_noise in draws[3:]:
        m = mixer(rome.alpha.detach(), rome.topology, op_noise, node_noise, False)
        loss = F.cross_entropy(network0(x_train, m), y_train)
        for i, grad in enumerate(torch.autograd.grad(loss, params, allow_unused=True)):
            if grad is not None:
                summed[i] = grad if summed[i] is None else summed[i] + grad
    for mine, reference in zip(rome.network.parameters(), summed, strict=True):
        if reference is None:
            assert mine.grad is None
        else:
            torch.testing.assert_close(mine.grad, reference)


def test_rome_derivation_is_the_top_two_beta_edges_with_their_argmax_op():
    space = DartsSpace("s3")
    rome = make("rome", space)
    with torch.no_grad():
        rome.topology.beta.zero_()
        rome.topology.beta[2:5] = torch.tensor([0.5, -1.0, 2.0])  # normal node 1: edges 2 and 4
        rome.topology.beta[14:16] = torch.tensor([1.0, 0.0])  # reduce node 0: both inputs (in-degree 2)
    set_alpha(rome, {2: [9.0, 1.0, 0.0], 4: [0.0, 0.0, 1.0], 3: [0.0, 9.0, 0.0]})
    genotype = rome.genotype()
    # Edge 3 has the most confident op but a low β; edge 2's `none` is skipped for its best other op.
    assert genotype.normal[2:4] == (("skip_connect", 0), ("sep_conv_3x3", 2))
    assert_valid(genotype, space)


def test_rome_topology_off_uses_the_gdas_derivation():
    space = DartsSpace("s0")
    rome = make("rome", space, topology=False)
    gdas = Gdas(space, rome.network, TrainConfig(epochs=2), GdasOptions())
    with torch.no_grad():
        gdas.alpha.copy_(rome.alpha)
    assert rome.genotype() == gdas.genotype()


def test_pcdarts_partial_channels_pool_the_bypass_on_stride_two_edges(batches):
    space = DartsSpace("s2")
    pc = make("pcdarts", space)
    assert isinstance(pc, PcDarts) and pc.options == PcDartsOptions(k=2, warmup_epochs=0)
    mixer = pc.mixer(detached=True)
    x = torch.randn(2, 8, 6, 6)
    reduce_cell = next(cell for cell in pc.network.cells if cell.reduction)
    wide = torch.randn(2, 2 * 4, 6, 6)  # reduction cell: C = 8, ops on 4 channels
    out = mixer(14, reduce_cell.edges[0], wide)  # edge from c_{k-2}: stride 2
    assert out.shape == (2, 8, 3, 3)
    assert mixer(18, reduce_cell.edges[4], x).shape == (2, 8, 6, 6)  # edge from n0: stride 1


def test_pcdarts_refuses_an_odd_op_width_where_skip_reduces():
    options = PcDartsOptions(k=4, warmup_epochs=0)
    with pytest.raises(NashError, match="even count"):
        PcDarts.build_supernet(DartsSpace("s2"), num_classes=10, options=options, **{**TINY, "channels": 12})
    # S1 has skip_connect only on stride-1 edges of the reduction cell: 3 channels per op are fine there.
    PcDarts.build_supernet(DartsSpace("s1"), num_classes=10, options=options, **{**TINY, "channels": 12})
