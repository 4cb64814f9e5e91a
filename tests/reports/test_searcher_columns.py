"""A searcher's own numeric per-epoch columns (plug-ins included) reach the report without code changes in nash."""

import numpy as np
import pandas as pd

from reports.build import build_report
from reports.runs import load_store
from reports.searcher_columns import searcher_columns
from tests.reports.handmade import NB201_GOOD, NB201_SKIPS
from tests.reports.store_folder import write_search


def test_numeric_columns_nash_does_not_write_are_the_searchers():
    frame = pd.DataFrame({"epoch": [0, 1], "val_acc": [1.0, 2.0], "oracle_cifar10_test_200": [3.0, 4.0],
                          "share_on": [0.1, 0.2], "tau": [np.nan, np.nan], "arch_entropy": [1.6, 1.5],
                          "note": ["a", "b"], "flag": [True, False], "lr_arch": [3e-4, 3e-4]})  # fmt: skip
    assert searcher_columns(frame) == ["arch_entropy", "share_on"]  # τ all NaN (not GDAS); text and bools left out


def test_a_plugin_column_is_tabled_per_method_and_plotted_per_benchmark(tmp_path):
    runs = tmp_path / "runs"
    for seed in (0, 1):
        write_search(runs, "nb201-cifar10", "fair-darts", seed, [NB201_SKIPS, NB201_GOOD, NB201_GOOD],
                     share_on=[0.1, 0.5 + seed, 0.7 + seed])  # fmt: skip
    write_search(runs, "nb201-cifar10", "darts", 0, [NB201_SKIPS, NB201_GOOD])
    report = build_report(load_store(runs), tmp_path / "report")
    table = next(t for t in report.tables if t.name == "searcher_columns")
    row = table.frame[table.frame["column"] == "share_on"]
    assert list(row["method"]) == ["fair-darts"]  # darts has no such column
    stat = row["last epoch"].iloc[0]
    assert (stat.mean, stat.std, stat.n) == (1.2, 0.5, 2)
    assert [p.name for p in report.figures["searcher_columns"]] == ["column_share_on_nb201-cifar10.png"]
    assert "Searchers&#x27; own per-epoch columns" in (tmp_path / "report" / "index.html").read_text()
