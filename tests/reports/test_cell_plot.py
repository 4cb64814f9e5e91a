"""Derived cells drawn: the right edges, parameter-free ops marked, one figure per distinct cell, --cells-at."""

import argparse

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.patches import FancyArrowPatch

from reports.build import ReportOptions, build_report
from reports.cell_plot import Edge, _draw, cell_edges
from reports.runs import load_store
from tests.reports.handmade import NB201_GOOD, NB201_SKIPS
from tests.reports.store_folder import write_results, write_search

NB201 = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"


def test_nb201_edges_go_from_the_op_index_into_the_node_of_its_group():
    assert cell_edges(NB201) == {"cell": [
        Edge("0", "1", "nor_conv_3x3"), Edge("0", "2", "skip_connect"), Edge("1", "2", "none"),
        Edge("0", "3", "avg_pool_3x3"), Edge("1", "3", "nor_conv_1x1"), Edge("2", "3", "skip_connect")]}  # fmt: skip


def test_darts_edges_name_the_cell_inputs_and_join_the_concat_list_into_the_output():
    genotype = ("Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 2), ('max_pool_3x3', 0),"
                " ('skip_connect', 3), ('sep_conv_5x5', 1), ('none', 4), ('sep_conv_3x3', 2)], normal_concat=[4, 5],"
                " reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1),"
                " ('avg_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)],"
                " reduce_concat=range(2, 6))")  # fmt: skip
    cells = cell_edges(genotype)
    normal = cells["normal"]
    assert normal[:3] == [Edge("c_{k-2}", "0", "sep_conv_3x3"), Edge("c_{k-1}", "0", "skip_connect"),
                          Edge("0", "1", "dil_conv_3x3")]  # fmt: skip
    assert normal[6] == Edge("2", "3", "none")
    assert normal[8:] == [Edge("2", "c_{k}", ""), Edge("3", "c_{k}", "")]  # normal_concat=[4, 5]: nodes 2 and 3
    assert [e.target for e in cells["reduce"][8:]] == ["c_{k}"] * 4


def test_parameter_free_ops_are_dashed_red_and_none_dotted():
    fig, ax = plt.subplots()
    _draw(ax, cell_edges(NB201)["cell"], "", nb201=True)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    styles = sorted(str(a.get_linestyle()) for a in arrows)
    plt.close(fig)
    assert len(arrows) == 6
    dashed = [a for a in arrows if a.get_linestyle() == "--"]
    dotted = [a for a in arrows if a.get_linestyle() == ":"]
    assert (len(dashed), len(dotted)) == (3, 1), styles  # skip, skip, avg_pool dashed; none dotted
    assert {tuple(a.get_edgecolor()[:3]) for a in dashed} == {(214 / 255, 39 / 255, 40 / 255)}


def test_report_draws_each_distinct_final_cell_once_and_chosen_epochs_on_request(tmp_path):
    runs = write_results(tmp_path / "runs")
    write_search(runs, "nb201-cifar10", "gdas", 5, [NB201_SKIPS, NB201_GOOD])
    store = load_store(runs)
    report = build_report(store, tmp_path / "report")
    cells = next(t for t in report.tables if t.name == "cells")
    finals = pd.read_csv(report.folder / "data" / "runs.csv")  # the finished runs' final cells
    assert len(finals) > len(cells.frame) >= 3  # darts' two seeds end in the same cell: drawn once
    assert len(cells.frame) == len(set(zip(finals["benchmark"], finals["final_genotype"], strict=True)))
    assert len(report.figures["cells"]) == len(cells.frame)
    assert any("Genotype(" in g for g in cells.frame["genotype"]) and any(
        g.startswith("|") for g in cells.frame["genotype"]
    )
    assert all(p.is_file() and p.with_suffix(".pdf").is_file() for p in report.figures["cells"])
    assert "gdas seed 5 (final)" in " ".join(cells.frame["held by (epoch)"])

    again = build_report(store, tmp_path / "report_epochs", ReportOptions(cell_epochs=(0,)))
    held = " ".join(next(t for t in again.tables if t.name == "cells").frame["held by (epoch)"])
    assert "gdas seed 5 (epoch 0)" in held  # NB201_SKIPS after epoch 0, a cell of its own


def test_cells_at_takes_whole_epochs_only():
    from harness.cli.report import _epoch_list

    assert _epoch_list("10, 0,10") == (0, 10)
    for bad in ("", "1.5", "-1", "a", ",".join(map(str, range(21)))):
        with pytest.raises(argparse.ArgumentTypeError, match="expected up to 20 epochs"):
            _epoch_list(bad)
