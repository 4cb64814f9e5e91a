import math

import pandas as pd
import pytest

from reports.paper_tables import ablation_table, k_table, nb201_table, s0_table, s1_s4_table
from reports.published import differs, load_published, tolerance
from reports.render import MARK, Table, fmt, to_latex, to_markdown, write_table

NAN = math.nan


def runs(benchmark: str, searcher: str, space: str = "darts", **columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"benchmark": benchmark, "searcher": searcher, "variant": "", "space": space,
                          "seed": range(n), "final_acc": NAN, "test_error": NAN, "epochs": 2, **columns})  # fmt: skip
    return frame


def row(table: Table, column: str, value: str) -> dict:
    return table.frame[table.frame[column] == value].iloc[0].to_dict()


@pytest.mark.parametrize(
    ("ours", "mean", "std", "marked"),
    [
        (93.6, "93.61", "0.09", False),
        (93.75, "93.61", "0.09", True),
        (54.304, "54.30", "0.00", False),  # std 0: half a unit of the last printed digit (0.005)
        (54.31, "54.30", "0.00", True),
        (2.34, "2.93", "", True),
        (2.934, "2.93", "", False),  # no std printed (one search): 0.005
        (2.95, "2.93", "", True),
        (NAN, "2.93", "0.1", False),
        (3.0, "", "", False),  # "n/a" in the paper: nothing to compare
    ],
)
def test_difference_rule(ours, mean, std, marked):
    assert differs(ours, mean, std) is marked


def test_tolerance_reads_the_printed_precision():
    assert tolerance("2.3", "0.0") == pytest.approx(0.05) and tolerance("54.30", "") == pytest.approx(0.005)
    assert tolerance("3.8", "0.4") == 0.4


def test_published_files_hold_the_papers_values_with_sources():
    nb201 = load_published("nb201")
    gdas = nb201[(nb201.method == "GDAS") & (nb201.dataset == "cifar100") & (nb201.split == "test")].iloc[0]
    assert (gdas["mean"], gdas["std"]) == ("70.70", "0.30") and "NAS-Bench-201" in gdas["source"]
    s1 = load_published("rome_s1_s4").set_index(["benchmark", "method", "metric"])
    assert s1.loc[("s1-cifar100", "ROME", "test_error"), "mean"] == ""  # "n/a" stays empty
    assert s1.loc[("s1-cifar100", "ROME", "pf"), ["mean", "std"]].tolist() == ["2.3", "0.4"]
    assert s1.loc[("s3-svhn", "GDAS", "test_error"), ["mean", "std"]].tolist() == ["3.62", "0.36"]
    assert len(s1) == 12 * 7
    assert all(load_published(name)["source"].str.len().gt(0).all() for name in ("rome_s0", "rome_ablation", "rome_k"))


def test_nb201_table_puts_published_values_in_their_cells_and_marks_differences():
    per_run = pd.concat([
        runs("nb201-cifar10", "gdas", "nb201", oracle_cifar10_test_200=[93.5, 93.7],
             oracle_cifar10valid_valid_200=[85.0, 86.0]),
        runs("nb201-cifar10", "darts", "nb201", oracle_cifar10_test_200=[54.30, 54.30],
             oracle_cifar10valid_valid_200=[39.77, 40.0]),
    ])  # fmt: skip
    table = nb201_table(per_run, with_published=True)
    gdas = row(table, "method", "gdas")
    assert gdas["C10 test"] == "93.60±0.10" and gdas["C10 valid"] == f"85.50±0.50 {MARK}"
    assert gdas["C100 test"] == "" and gdas["seeds"] == "2"
    darts = row(table, "method", "darts")
    assert darts["C10 test"] == "54.30±0.00" and darts["C10 valid"].endswith(MARK)
    assert row(table, "method", "GDAS (published)")["C100 test"] == "70.70±0.30"
    assert row(table, "method", "PC-DARTS (published)")["IN16 valid"] == "40.83±0.08"
    assert row(table, "method", "optimum in the space (published)")["C10 test"] == "94.37"
    plain = nb201_table(per_run, with_published=False)
    assert len(plain.frame) == 2 and MARK not in plain.frame.to_string()


def test_s1_s4_table_has_error_and_pf_columns_beside_the_paper():
    per_run = pd.concat([
        runs("s2-cifar10", "rome", test_error=[3.1, 3.2], param_free_normal=[2, 2]),
        runs("s2-cifar10", "darts", test_error=[6.0], param_free_normal=[5]),
    ])  # fmt: skip
    table = s1_s4_table(per_run, with_published=True)
    s2 = row(table, "space", "S2")
    assert s2["rome err"] == "3.15±0.05" and s2["rome #pf"] == "2.0±0.0"
    assert s2["darts err"] == f"6.00±0.00 {MARK}"
    assert s2["ROME (pub)"] == "3.14±0.14" and s2["GDAS #pf (pub)"] == "6.0±0.7" and s2["DARTS-ES (pub)"] == "3.41±0.14"
    svhn_s1 = table.frame[(table.frame["data"] == "svhn") & (table.frame["space"] == "S1")].iloc[0]
    assert svhn_s1["ROME (pub)"] == "" and svhn_s1["ROME #pf (pub)"] == "0.8±0.4" and svhn_s1["rome err"] == ""
    assert len(table.frame) == 12 and table.frame["data"].tolist()[:4] == ["cifar10"] * 4
    assert s1_s4_table(runs("nb201-cifar10", "gdas", "nb201", final_acc=[90.0]), True) is None


def test_s0_ablation_and_k_tables():
    rome = runs("s0-cifar10", "rome", test_error=[2.6, 2.56], **{
        "eval.params": [3.6e6, 3.8e6], "run.search_seconds": [3600.0, 7200.0], "run.device": ["cpu", "cpu"],
        "config.searcher_options.topology": [True, True], "config.searcher_options.accumulate_weights": [True, True],
        "config.searcher_options.accumulate_arch": [False, False], "config.searcher_options.k": [7, 7],
        "config.train.epochs": [50, 50]})  # fmt: skip
    s0 = s0_table(rome, with_published=True)
    ours = row(s0, "method", "rome")
    assert ours["test error %"] == "2.58±0.02" and ours["best %"] == "2.56" and ours["params (M)"] == "3.70±0.10"
    assert ours["search cost"] == "1.50 h"
    published = row(s0, "method", "ROME (published)")
    assert published["test error %"] == "2.58±0.07" and published["params (M)"] == "3.7±0.2"
    assert published["search cost"] == "0.3 GPU-days" and published["best %"] == "2.48"
    imagenet = s0.frame[(s0.frame.benchmark == "s0-imagenet") & (s0.frame.method == "GDAS (published)")]
    assert sorted(imagenet["test error %"]) == ["26.0", "27.5"]  # top-1 74.0 / 72.5
    ablation = ablation_table(rome, with_published=True)
    line = ablation.frame.iloc[0]
    assert (line["TD"], line["GA-θ"], line["GA-α"], line["label"]) == ("true", "true", "false", "TD+GA-θ")
    assert line["accuracy %"] == f"97.42±0.02 {MARK}" and line["published %"] == "97.34±0.07"  # 0.08 > 0.07
    assert line["K"] == "7"
    assert k_table(rome, with_published=True) is None  # an ablation cell (a switch off) is not full ROME
    full = rome.assign(**{"config.searcher_options.accumulate_arch": [True, True]})
    k = k_table(pd.concat([full, full.assign(**{"config.searcher_options.k": 1, "test_error": 3.0})]), True).frame
    assert k["K"].tolist() == ["1", "7"] and k["K × epochs"].tolist() == ["50", "350"]
    assert k["published %"].tolist() == ["97.12±0.06", "97.42±0.07"]
    assert k["accuracy %"].tolist() == [f"97.00±0.00 {MARK}", "97.42±0.02"]
    assert ablation_table(runs("s0-cifar10", "gdas", test_error=[3.0]), True) is None


def test_renderers_write_markdown_latex_and_csv(tmp_path):
    table = Table("demo", "A τ table", pd.DataFrame({"method": ["a_b"], "err %": [fmt(2.5, 0.1, marked=True)]}), ["n"])
    assert "| a_b | 2.50±0.10 † |" in to_markdown(table)
    latex = to_latex(table)
    assert r"a\_b & 2.50$\pm$0.10 $^\dagger$ \\" in latex and r"err \%" in latex and r"$\tau$" in latex
    paths = write_table(table, tmp_path)
    assert [p.suffix for p in paths] == [".md", ".tex", ".csv"] and all(p.stat().st_size for p in paths)
    assert paths[2].read_text().splitlines()[:2] == ["method,err %", "a_b,2.50±0.10 †"]
