import pytest

from benchmarks.darts.genotype import parse_genotype
from benchmarks.errors import NashError
from reports.genotypes import parse_cell_ops
from tests.reports.handmade import NB201_MIXED_FREE, NB201_SKIPS, darts_string


def test_darts_string_counts_normal_and_reduce_cells_separately():
    text = darts_string(normal_skips=3, reduce_pools=5)
    ops = parse_cell_ops(text)
    assert ops.space == "darts" and len(ops.normal) == 8 and len(ops.reduce) == 8
    assert (ops.skips("normal"), ops.param_free("normal")) == (3, 3)
    assert (ops.skips("reduce"), ops.param_free("reduce")) == (0, 5)
    # Agrees with the harness's own (torch-side) genotype type on the string it prints.
    genotype = parse_genotype(text)
    assert parse_cell_ops(str(genotype)).normal == tuple(op for op, _ in genotype.normal)
    assert ops.param_free("normal") == genotype.param_free_count


def test_noise_and_none_are_parameter_free():
    text = darts_string(0).replace("sep_conv_3x3', 0", "noise', 0").replace("sep_conv_3x3', 1", "none', 1", 1)
    ops = parse_cell_ops(text)
    assert ops.param_free("normal") == ops.normal.count("noise") + ops.normal.count("none") > 1


def test_nb201_string_reads_six_ops_in_edge_order():
    ops = parse_cell_ops(NB201_MIXED_FREE)
    assert ops.space == "nb201" and ops.reduce == ()
    assert ops.normal == ("none", "skip_connect", "avg_pool_3x3", "none", "skip_connect", "skip_connect")
    assert (ops.skips(), ops.param_free()) == (3, 6)
    assert parse_cell_ops(NB201_SKIPS).skips() == 6


@pytest.mark.parametrize("bad", ["resnet", "|conv3~0|+|", "Genotype(reduce=[])"])
def test_unreadable_strings_are_user_errors(bad):
    with pytest.raises(NashError):
        parse_cell_ops(bad)
