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


def test_input_reaches_output_flags_cells_cut_off_by_none():
    from reports.genotypes import input_reaches_output

    # The PC-DARTS cell: every edge out of node 0 is none, so the output is a constant.
    cut = "|none~0|+|none~0|nor_conv_3x3~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert not input_reaches_output(cut)
    assert input_reaches_output("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|") is False
    assert input_reaches_output("|skip_connect~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|")
    assert input_reaches_output("|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|")
    assert not input_reaches_output("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_input_reaches_output_in_darts_family_cells():
    from reports.genotypes import input_reaches_output

    def genotype(normal, concat="[2, 3, 4, 5]"):
        reduce = [("max_pool_3x3", 0), ("max_pool_3x3", 1)] * 4
        return f"Genotype(normal={normal}, normal_concat={concat}, reduce={reduce}, reduce_concat=range(2, 6))"

    noisy = [("noise", 0), ("noise", 1), ("noise", 2), ("none", 0)] * 2
    assert not input_reaches_output(genotype(noisy))
    # Node 5 takes a sep conv of input 1: the cell output (concat 2..5) depends on the input.
    assert input_reaches_output(genotype(noisy[:6] + [("sep_conv_3x3", 1), ("noise", 0)]))
    # ... unless node 5 is left out of the concat list.
    assert not input_reaches_output(genotype(noisy[:6] + [("sep_conv_3x3", 1), ("noise", 0)], "[2, 3, 4]"))
    assert input_reaches_output(genotype([("skip_connect", 0), ("noise", 1)] + [("noise", 2), ("none", 0)] * 3))
