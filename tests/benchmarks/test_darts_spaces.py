"""The DARTS-family spaces S0–S4: op sets per edge, the `noise` op, search-network wiring, genotypes."""

import pytest
import torch
from torch import nn

from benchmarks.darts.genotype import make_genotype
from benchmarks.darts.ops import DilConv, Noise, SepConv, Zero
from benchmarks.darts.search_network import DartsSearchCell, reduction_layers
from benchmarks.darts.spaces import DARTS_SPACE_NAMES, DartsSpace
from benchmarks.errors import NashError
from benchmarks.nb201.space import Nb201Space
from benchmarks.registry.spaces import get_space

S0_OPS = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
SKIP, DIL3, DIL5, SEP3 = "skip_connect", "dil_conv_3x3", "dil_conv_5x5", "sep_conv_3x3"
MAX, AVG = "max_pool_3x3", "avg_pool_3x3"
# RobustDARTS S1, written out again here (ALGORITHMS.md §1.2) rather than imported.
S1_NORMAL = [
    (SKIP, DIL3),
    (SKIP, DIL5),
    (SKIP, DIL5),
    (SKIP, SEP3),
    (SKIP, DIL3),
    (MAX, SKIP),
    (SKIP, SEP3),
    (SKIP, SEP3),
    (SKIP, DIL3),
    (SKIP, SEP3),
    (MAX, SKIP),
    (SKIP, DIL3),
    (DIL3, DIL5),
    (DIL3, DIL5),
]
S1_REDUCE = [
    (MAX, AVG),
    (MAX, DIL3),
    (MAX, AVG),
    (MAX, AVG),
    (SKIP, DIL5),
    (MAX, AVG),
    (MAX, SEP3),
    (SKIP, DIL3),
    (SKIP, DIL5),
    (MAX, AVG),
    (MAX, AVG),
    (SKIP, DIL5),
    (SKIP, DIL5),
    (SKIP, DIL5),
]
EVERY_EDGE = {
    "s0": S0_OPS,
    "s2": (SKIP, SEP3),
    "s3": ("none", SKIP, SEP3),
    "s4": ("noise", SEP3),
}


@pytest.mark.parametrize("name", DARTS_SPACE_NAMES)
def test_every_edge_has_the_specified_op_set_in_both_cells(name):
    space = DartsSpace(name)
    assert space.num_edges == 28
    normal = [space.edge_ops(e) for e in range(14)]
    reduce = [space.edge_ops(e) for e in range(14, 28)]
    if name == "s1":
        assert normal == S1_NORMAL and reduce == S1_REDUCE
    else:
        assert normal == reduce == [EVERY_EDGE[name]] * 14
    assert space.num_ops == len(normal[0])
    assert ("none" in normal[0]) == (space.none_index is not None)


def test_s0_has_no_none_and_s3_has_it_in_one_column():
    assert "none" not in DartsSpace("s0").ops and DartsSpace("s0").none_index is None
    assert DartsSpace("s3").none_index == 0


@pytest.mark.parametrize("name", ["s1", "s4"])
def test_the_network_builds_the_ops_the_space_names(name):
    space = DartsSpace(name)
    net = space.build_supernet(channels=4, layers=3, num_classes=10, affine=False)
    kinds = {SKIP: (nn.Identity, nn.Module), SEP3: (SepConv,), DIL3: (DilConv,), DIL5: (DilConv,), "noise": (Noise,)}
    for cell in net.cells:
        offset = 14 if cell.reduction else 0
        for e, ops in enumerate(cell.edges):
            names = space.edge_ops(offset + e)
            assert len(ops) == len(names)
            for op_name, op in zip(names, ops, strict=True):
                if op_name in (MAX, AVG):  # search: pooling followed by a non-affine BN
                    assert isinstance(op, nn.Sequential) and not op[1].affine
                else:
                    assert isinstance(op, kinds[op_name]), (op_name, op)
            if name == "s1" and not cell.reduction and e == 12:
                assert [o.__class__ for o in ops] == [DilConv, DilConv]
                assert ops[0][1].kernel_size == (3, 3) and ops[1][1].kernel_size == (5, 5)


@pytest.mark.parametrize("stride", [1, 2])
def test_noise_ignores_its_input_values(stride):
    op = Noise(stride)
    a, b = torch.randn(4, 3, 8, 8), 100 * torch.rand(4, 3, 8, 8) + 7
    torch.manual_seed(0)
    out_a = op(a)
    torch.manual_seed(0)
    out_b = op(b)
    assert torch.equal(out_a, out_b)  # same seed, different inputs: identical output
    assert out_a.shape == (4, 3, 8 // stride, 8 // stride)
    big = op(torch.full((64, 8, 16, 16), 1e6))
    assert abs(float(big.mean())) < 0.05 and abs(float(big.std()) - 1) < 0.05  # standard normal


def test_reduction_cells_sit_at_a_third_and_two_thirds():
    assert reduction_layers(8) == {2, 5}
    assert reduction_layers(5) == {1, 3}
    assert reduction_layers(3) == {1, 2}
    net = DartsSpace("s2").build_supernet(channels=4, layers=5, num_classes=10, affine=False)
    assert [cell.reduction for cell in net.cells] == [False, True, False, True, False]
    # A cell after a reduction gets its c_{k-2} through FactorizedReduce.
    assert [type(cell.preprocess0).__name__ for cell in net.cells] == [
        "ReluConvBn",
        "ReluConvBn",
        "FactorizedReduce",
        "ReluConvBn",
        "FactorizedReduce",
    ]


def _uniform_mixer(space, record=None):
    weights = torch.full((space.num_edges, space.num_ops), 1.0 / space.num_ops)

    def mixer(edge, ops, x):
        out = sum(weights[edge, k] * op(x) for k, op in enumerate(ops))
        if record is not None:
            record.append((edge, x.shape, out.shape))
        return out

    return mixer


def test_cell_outputs_and_edge_strides():
    space = DartsSpace("s3")
    net = space.build_supernet(channels=4, layers=5, num_classes=10, affine=False)
    shapes = []
    for cell in net.cells:
        cell.register_forward_hook(lambda _m, _a, out: shapes.append(tuple(out.shape)))
    record = []
    logits = net(torch.randn(2, 3, 16, 16), _uniform_mixer(space, record))
    assert logits.shape == (2, 10)
    # 4 nodes concatenated: 4C; C doubles and the resolution halves in reduction cells.
    assert shapes == [(2, 16, 16, 16), (2, 32, 8, 8), (2, 32, 8, 8), (2, 64, 4, 4), (2, 64, 4, 4)]
    assert len(record) == 5 * 14
    for edge, x_shape, out_shape in record:
        cell_edge, reduce = edge % 14, edge >= 14
        source = [s for j in range(4) for s in range(2 + j)][cell_edge]
        stride = 2 if reduce and source < 2 else 1
        assert space.edge_strides[edge] == stride
        assert out_shape[-1] == x_shape[-1] // stride and out_shape[1] == x_shape[1]
    assert sorted({e for e, *_ in record}) == list(range(28))  # normal cells use rows 0-13, reductions 14-27


def test_an_edge_the_mixer_drops_is_skipped():
    space = DartsSpace("s2")
    torch.manual_seed(0)
    cell = DartsSearchCell(space.cell_ops["normal"], 4, 4, 4, reduction=False, reduction_prev=False, affine=False)
    full = _uniform_mixer(space)
    dropped = []

    def mixer(edge, ops, x):
        if edge in (1, 4):  # node 0 keeps only c_{k-2}; node 1 loses n0
            dropped.append(edge)
            return None
        return full(edge, ops, x)

    x0, x1 = torch.randn(2, 4, 6, 6), torch.randn(2, 4, 6, 6)
    out = cell(x0, x1, mixer)
    assert out.shape == (2, 16, 6, 6) and sorted(dropped) == [1, 4]
    with pytest.raises(RuntimeError, match="dropped every incoming edge"):
        cell(x0, x1, lambda edge, ops, x: None)


def test_genotype_counts_are_over_the_normal_cell():
    normal = [(SKIP, 0), (SKIP, 1), (SEP3, 0), (MAX, 2), (AVG, 1), (DIL3, 3), ("noise", 0), (SEP3, 4)]
    reduce = [(SKIP, 0), (SKIP, 1)] * 4
    genotype = make_genotype(normal, reduce)
    assert genotype.skip_count == 2
    assert genotype.param_free_count == 5  # 2 skips, 2 pools, 1 noise; the reduce cell's skips do not count
    assert genotype.to_string() == str(genotype)


def test_parse_checks_the_ops_against_the_edge():
    space = DartsSpace("s1")
    ok = make_genotype(
        [(SKIP, 0), (DIL5, 1), (DIL5, 0), (SEP3, 1), (MAX, 0), (SEP3, 1), (SEP3, 0), (DIL5, 4)],
        [(MAX, 0), (DIL3, 1), (AVG, 0), (DIL5, 2), (MAX, 1), (DIL3, 2), (AVG, 0), (DIL5, 4)],
    )
    text = str(ok)
    assert space.parse(text) == ok
    with pytest.raises(NashError, match="edge 0 of the normal cell"):
        DartsSpace("s1").parse(text.replace("('skip_connect', 0)", "('sep_conv_3x3', 0)", 1))


def test_get_space_and_the_shared_interface():
    assert isinstance(get_space("nb201"), Nb201Space)
    for name in DARTS_SPACE_NAMES:
        assert get_space(name).name == name
    with pytest.raises(NashError, match="unknown search space"):
        get_space("s5")
    nb201 = Nb201Space()
    assert nb201.num_ops == 5 and nb201.edge_ops(3) == nb201.ops and nb201.none_index == 0
    assert not hasattr(nb201, "node_in_edges")  # no topology in NB201
    assert nb201.node_edge_groups == ((0,), (1, 2), (3, 4, 5))


def test_zero_is_the_only_op_that_outputs_nothing_in_s3():
    space = DartsSpace("s3")
    net = space.build_supernet(channels=4, layers=3, num_classes=10, affine=False)
    assert all(isinstance(ops[space.none_index], Zero) for cell in net.cells for ops in cell.edges)
