import math

import pandas as pd
import pytest

from reports.paper_tables import nb201_table, s1_s4_table
from reports.published import differs, load_published, setting_matches, tolerance
from reports.render import MARK, Stat, Table, fmt, to_html, to_latex, to_markdown, write_table
from reports.rome_tables import ablation_table, k_table, s0_table

NAN = math.nan


def runs(benchmark: str, searcher: str, space: str = "darts", profile: str = "quick", epochs: int = 2, **columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"benchmark": benchmark, "searcher": searcher, "variant": "", "setting": "", "space": space,
                         "profile": profile, "epochs_budget": epochs, "seed": range(n), "final_acc": NAN,
                         "test_error": NAN, "epochs": epochs, **columns})  # fmt: skip


def row(table: Table, column: str, value: str) -> dict:
    text = table.text()
    return text[text[column] == value].iloc[0].to_dict()


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


def test_published_files_hold_the_papers_values_with_sources_and_settings():
    nb201 = load_published("nb201")
    gdas = nb201[(nb201.method == "GDAS") & (nb201.dataset == "cifar100") & (nb201.split == "test")].iloc[0]
    assert (gdas["mean"], gdas["std"], gdas["profile"], gdas["epochs"]) == ("70.70", "0.30", "paper", "250")
    drnas = nb201[nb201.searcher == "drnas"].set_index(["dataset", "split"])
    assert drnas.loc[("cifar10", "test"), "mean"] == "94.36" and drnas.loc[("cifar10", "valid"), "mean"] == ""
    assert "not given" in drnas.loc[("cifar10", "valid"), "note"]
    s1 = load_published("rome_s1_s4").set_index(["benchmark", "method", "metric"])
    assert s1.loc[("s1-cifar100", "ROME", "test_error"), "mean"] == ""  # "n/a" stays empty and says why
    assert "not legible" in s1.loc[("s1-cifar100", "ROME", "test_error"), "note"]
    assert s1.loc[("s1-cifar100", "ROME", "pf"), ["mean", "std"]].tolist() == ["2.3", "0.4"]
    assert s1.loc[("s3-svhn", "GDAS", "test_error"), ["mean", "std"]].tolist() == ["3.62", "0.36"]
    assert len(s1) == 12 * 7
    # The ROME table's DARTS column is RobustDARTS' second-order DARTS; ES and ADA are their own searchers.
    searchers = s1.reset_index().groupby("method")["searcher"].unique().map(list).to_dict()
    assert searchers["DARTS"] == ["darts-v2"] and searchers["DARTS-ES"] == ["darts-es"]
    assert (
        searchers["DARTS-ADA"] == ["darts-ada"] and s1.loc[("s2-cifar10", "DARTS", "test_error"), "profile"] == "rdarts"
    )
    s0 = load_published("rome_s0")
    assert set(
        s0[s0.method.isin(["GDAS", "PC-DARTS", "DARTS-V1", "DARTS"]) & (s0.benchmark != "s0-imagenet")].space
    ) == {"darts"}
    imagenet = s0[s0.benchmark == "s0-imagenet"].set_index(["method", "mean"])
    assert "rerun" in imagenet.loc[("PC-DARTS", "75.4"), "note"] and "rerun" in imagenet.loc[("GDAS", "72.5"), "note"]
    for name in ("nb201", "rome_s0", "rome_s1_s4", "rome_ablation", "rome_k"):
        assert load_published(name)["source"].str.len().gt(0).all()


def test_a_published_value_is_compared_only_with_runs_of_its_setting():
    darts = {"searcher": "darts-v2", "profile": "rdarts", "epochs": "50", "space": ""}
    group = runs("s2-cifar10", "darts-v2", profile="rdarts", epochs=50, test_error=[4.0])
    assert setting_matches(group, darts, "s2-cifar10")
    assert not setting_matches(group.assign(epochs_budget=49), darts, "s2-cifar10")
    assert not setting_matches(group.assign(profile="paper"), darts, "s2-cifar10")
    assert not setting_matches(group.assign(searcher="darts"), darts, "s2-cifar10")  # first order is another method
    assert setting_matches(group.assign(**{"run.status": "done"}), darts, "s2-cifar10")
    assert not setting_matches(group.assign(**{"run.status": "running"}), darts, "s2-cifar10")  # no result yet
    in_darts_space = {"searcher": "gdas", "profile": "", "epochs": "", "space": "darts"}
    assert not setting_matches(
        runs("s0-cifar10", "gdas", profile="paper", test_error=[3.0]), in_darts_space, "s0-cifar10"
    )
    # epochs not stated by the source: the profile's own epochs for that searcher (GDAS paper profile: 250)
    gdas = {"searcher": "gdas", "profile": "paper", "epochs": "", "space": ""}
    assert setting_matches(runs("s2-cifar10", "gdas", profile="paper", epochs=250, x=[1]), gdas, "s2-cifar10")
    assert not setting_matches(runs("s2-cifar10", "gdas", profile="paper", epochs=20, x=[1]), gdas, "s2-cifar10")


def test_nb201_table_marks_differences_only_for_the_published_setting():
    per_run = pd.concat([
        runs("nb201-cifar10", "gdas", "nb201", "paper", 250, oracle_cifar10_test_200=[93.5, 93.7],
             oracle_cifar10valid_valid_200=[85.0, 86.0]),
        runs("nb201-cifar10", "darts", "nb201", "quick", 5, oracle_cifar10_test_200=[54.30],
             oracle_cifar10valid_valid_200=[40.0]),
    ])  # fmt: skip
    table = nb201_table(per_run, with_published=True)
    gdas = row(table, "method", "gdas")
    assert gdas["C10 test"] == "93.60±0.10" and gdas["C10 valid"] == f"85.50±0.50 {MARK}"
    assert gdas["C100 test"] == "" and gdas["seeds"] == "2" and gdas["epochs"] == "250"
    darts = row(table, "method", "darts")
    assert darts["C10 valid"] == "40.00" and darts["C10 test"] == "54.30"  # n = 1: no ±, quick: no mark
    assert row(table, "method", "GDAS (published)")["C100 test"] == "70.70±0.30"
    assert row(table, "method", "PC-DARTS (published)")["IN16 valid"] == "40.83±0.08"
    assert row(table, "method", "DrNAS (published)")["C10 test"] == "94.36±0.00"
    assert row(table, "method", "optimum in the space (published)")["C10 test"] == "94.37"
    assert "not comparable" not in table.title
    quick = nb201_table(per_run[per_run.searcher == "darts"], with_published=True)
    assert "quick profile runs, not comparable to the published numbers" in quick.title
    plain = nb201_table(per_run, with_published=False)
    assert len(plain.frame) == 2 and MARK not in plain.text().to_string()


def test_s1_s4_table_puts_each_method_beside_its_published_row():
    per_run = pd.concat([
        runs("s2-cifar10", "rome", profile="paper", epochs=50, test_error=[3.1, 3.2], param_free_normal=[2, 2]),
        runs("s2-cifar10", "darts-v2", profile="rdarts", epochs=50, test_error=[6.0], param_free_normal=[5]),
        runs("s2-cifar10", "darts-es", test_error=[3.5], param_free_normal=[3]),
        runs("s2-cifar10", "darts", profile="paper", epochs=50, test_error=[6.0], param_free_normal=[5]),
    ])  # fmt: skip
    table = s1_s4_table(per_run, with_published=True)
    rome = row(table, "method", "rome")
    assert rome["err %"] == "3.15±0.05" and rome["#pf"] == "2.0±0.0" and rome["published"] == "ROME"
    assert rome["pub. err %"] == "3.14±0.14" and rome["pub. #pf"] == "2.0±0.0"
    darts_v2 = row(table, "method", "darts-v2")
    assert (
        darts_v2["published"] == "DARTS"
        and darts_v2["err %"] == f"6.00 {MARK}"
        and darts_v2["pub. err %"] == "4.42±0.40"
    )
    es = row(table, "method", "darts-es")  # quick profile: beside DARTS-ES, not marked
    assert es["published"] == "DARTS-ES" and es["err %"] == "3.50" and es["pub. err %"] == "3.41±0.14"
    assert row(table, "method", "darts")["published"] == ""  # first-order DARTS is not the table's DARTS
    assert row(table, "method", "(darts-ada: no run)")["pub. err %"] == "3.59±0.31"
    assert row(table, "method", "(gdas: no run)")["pub. #pf"] == "6.0±0.7"
    assert len(table.frame) == 6 and "not comparable" not in table.title
    assert s1_s4_table(runs("nb201-cifar10", "gdas", "nb201", final_acc=[90.0]), True) is None
    svhn = s1_s4_table(runs("s1-svhn", "rome", test_error=[2.5], param_free_normal=[1]), True)
    assert row(svhn, "method", "rome")["pub. err %"] == "" and any("not legible" in n for n in svhn.notes)


def test_s0_ablation_and_k_tables():
    rome = runs("s0-cifar10", "rome", profile="paper", epochs=50, test_error=[2.6, 2.56], **{
        "eval.params": [3.6e6, 3.8e6], "run.search_seconds": [3600.0, 7200.0], "run.device": ["cpu", "cpu"],
        "config.searcher_options.topology": [True, True], "config.searcher_options.accumulate_weights": [True, True],
        "config.searcher_options.accumulate_arch": [False, False], "config.searcher_options.k": [7, 7],
        "config.train.epochs": [50, 50]})  # fmt: skip
    s0 = s0_table(rome, with_published=True)
    ours = row(s0, "method", "rome")
    assert ours["test error %"] == "2.58±0.02" and ours["best %"] == "2.56" and ours["params (M)"] == "3.70±0.10"
    assert ours["search h"] == "1.50±0.50" and ours["space"] == "S0"
    published = row(s0, "method", "ROME (published)")
    assert published["test error %"] == "2.58±0.07" and published["params (M)"] == "3.7±0.2"
    assert published["search GPU-days"] == "0.3" and published["best %"] == "2.48"
    text = s0.text()
    imagenet = text[(text.benchmark == "s0-imagenet") & (text.method == "GDAS (published)")]
    assert sorted(imagenet["test error %"]) == ["26.0", "27.5"]  # top-1 74.0 / 72.5
    assert "rerun" in imagenet[imagenet["test error %"] == "27.5"]["device / note"].iloc[0]
    gdas = text[(text.benchmark == "s0-cifar10") & (text.method == "GDAS (published)")].iloc[0]
    assert gdas["space"] == "DARTS (8 ops, with none)"
    # an S0 GDAS run is never marked against GDAS' 2.93, measured in the 8-op space with none
    gdas_run = s0_table(runs("s0-cifar10", "gdas", profile="paper", epochs=250, test_error=[3.5]), True)
    assert MARK not in row(gdas_run, "method", "gdas")["test error %"]
    ablation = ablation_table(rome, with_published=True)
    line = ablation.text().iloc[0]
    assert (line["TD"], line["GA-θ"], line["GA-α"], line["label"]) == ("true", "true", "false", "TD+GA-θ")
    assert line["accuracy %"] == f"97.42±0.02 {MARK}" and line["published %"] == "97.34±0.07"  # 0.08 > 0.07
    assert line["K"] == "7"
    assert k_table(rome, with_published=True) is None  # an ablation cell (a switch off) is not full ROME
    full = rome.assign(**{"config.searcher_options.accumulate_arch": [True, True]})
    k1 = full.assign(**{"config.searcher_options.k": 1, "test_error": 3.0, "epochs_budget": 350})
    k = k_table(pd.concat([full, k1]), True).text()
    assert k["K"].tolist() == ["1", "7"] and k["K × epochs"].tolist() == ["350", "350"]
    assert k["published %"].tolist() == ["97.12±0.06", "97.42±0.07"]
    assert k["accuracy %"].tolist() == [f"97.00±0.00 {MARK}", "97.42±0.02"]
    assert ablation_table(runs("s0-cifar10", "gdas", test_error=[3.0]), True) is None
    quick = ablation_table(rome.assign(profile="quick"), with_published=True)
    assert "not comparable" in quick.title and MARK not in quick.text().to_string()
    assert "not comparable" not in ablation.title


def test_cells_print_no_spread_for_one_value_and_renderers_escape(tmp_path):
    assert str(Stat(2.5, 0.0, 1)) == "2.50" and str(Stat(2.5, 0.1, 2, marked=True)) == f"2.50±0.10 {MARK}"
    assert fmt(2.5) == "2.50" and str(Stat(NAN)) == ""
    genotype = "|nor_conv_3x3~0|+|skip_connect~0|none~1|"
    frame = pd.DataFrame({"method": ["a_b"], "err %": [Stat(2.5, 0.1, 2, marked=True)], "seeds": [2],
                          "cell": [genotype]})  # fmt: skip
    table = Table("demo", "A τ table", frame, ["n"])
    assert "| a_b | 2.50±0.10 † | 2 | \\|nor_conv_3x3~0\\|" in to_markdown(table)
    assert "|---|---:|---:|---|" in to_markdown(table)
    latex = to_latex(table)
    assert r"a\_b & 2.50$\pm$0.10 $^\dagger$ & 2 & " in latex and r"err \%" in latex and r"$\tau$" in latex
    assert r"\textbar{}nor\_conv\_3x3\textasciitilde{}0\textbar{}" in latex and "{lrrl}" in latex
    page = to_html(table)
    assert page.count("</th>") == 4 and page.count("</td>") == 4 and "<td class='num'>2.50±0.10 †</td>" in page
    paths = write_table(table, tmp_path)
    assert [p.suffix for p in paths] == [".md", ".tex", ".csv"] and all(p.stat().st_size for p in paths)
    csv = pd.read_csv(paths[2])
    assert list(csv.columns) == ["method", "err % mean", "err % std", "err % n", f"err % {MARK}", "seeds", "cell"]
    assert csv["err % mean"].dtype == float and csv["err % n"].dtype == int and bool(csv[f"err % {MARK}"].iloc[0])
    assert paths[2].read_text().count("\n") == 2  # header and one row: no comment lines
