import itertools
import json
import math

import pandas as pd
import pytest

from benchmarks.errors import NashError
from reports.analysis_tables import run_collapse_table
from reports.build import ReportOptions, write_report
from reports.collapse import CollapseRule
from reports.plots import searcher_colours, searcher_marker
from tests.reports.handmade import NB201_SKIPS
from tests.reports.store_folder import write_results, write_search

PNG_MAGIC, PDF_MAGIC = b"\x89PNG", b"%PDF"


def test_report_over_a_mixed_folder_writes_tables_plots_and_an_index(tmp_path, capsys):
    report = write_report(write_results(tmp_path / "runs"), tmp_path / "report")
    names = [t.name for t in report.tables]
    assert names[:4] == ["collapse", "collapse_runs", "cells", "nb201"]
    for name in ("s1_s4", "rome_ablation", "rome_k", "early_stop", "method_ranks", "benchmark_tau", "supernet_tau"):
        assert name in names
    assert any("S0 table" in note for note in report.notes)
    for table in names:
        for ext in ("md", "tex", "csv"):
            assert (tmp_path / "report" / "tables" / f"{table}.{ext}").stat().st_size > 0
    stems = {p.stem for p in report.plots}
    assert {"collapse_nb201-cifar10", "collapse_s2-cifar10", "eigenvalue_nb201-cifar10",
            "supernet_tau_nb201-cifar10", "rank_heatmap", "cost"} <= stems  # fmt: skip
    for png in report.plots:
        assert png.read_bytes()[:4] == PNG_MAGIC and png.with_suffix(".pdf").read_bytes()[:4] == PDF_MAGIC
    index = (tmp_path / "report" / "index.html").read_text()
    assert "<img src='data:image/png;base64," in index and "alt='collapse_nb201-cifar10'" in index
    assert "2 damaged runs skipped" in index and index.index("Provenance") < index.index("Warnings")
    assert "Collapse statistics" in index and "NB201 cell with all 6 ops parameter-free" in index
    # each plot right after its table: the collapse figure before the next table, the cost bars after the cost table
    assert index.index("id='collapse'") < index.index("alt='collapse_nb201") < index.index("id='collapse_runs'")
    assert index.index("id='cost'") < index.index("alt='cost'")
    assert "](plots/cost.png)" in (tmp_path / "report" / "index.md").read_text()
    collapse = (tmp_path / "report" / "tables" / "collapse.md").read_text()
    assert "| nb201-cifar10 | darts | quick | 3 | 2 | 6.0±0.0 | 6.0±0.0 |  |  | 100 | 1 | 54.30±0.00 |  |" in collapse
    assert "| s2-cifar10 | darts | quick | 2 | 1 | 5.0 | 5.0 | 0.0 | 3.0 | 100 | 1 |  | 6.00 |" in collapse
    runs = (tmp_path / "report" / "tables" / "collapse_runs.md").read_text()
    assert "| nb201-cifar10 | darts | 1 | 3 | 6 | 6 |  | 1 | 54.30 |  |" in runs
    assert "| s2-cifar10 | rome | 0 | 2 | 2 | 2 | 0 |  |  | 3.00 |" in runs
    early = pd.read_csv(tmp_path / "report" / "tables" / "early_stop.csv")
    assert early["trigger epoch"].isna().all()  # two measurements: the rule cannot fire


def test_collapse_rule_option_changes_the_numbers_and_the_printed_rule(tmp_path):
    options = ReportOptions(rule=CollapseRule(darts_threshold=6), published=False)
    write_report(write_results(tmp_path / "runs"), tmp_path / "report", options)
    collapse = (tmp_path / "report" / "tables" / "collapse.md").read_text()
    assert ">= 6 skip_connect" in collapse
    assert "| s2-cifar10 | darts | quick | 2 | 1 | 5.0 | 5.0 | 0.0 | 3.0 | 0 |" in collapse
    assert "(published)" not in (tmp_path / "report" / "tables" / "nb201.md").read_text()


def test_searcher_colours_are_fixed_per_searcher():
    assert searcher_colours(["rome"])["rome"] == searcher_colours(["darts", "gdas", "rome"])["rome"]
    spare = searcher_colours(["zeta", "alpha"])
    assert spare["alpha"] != spare["zeta"] and spare["alpha"] not in searcher_colours([]).values()


def test_unfinished_runs_are_left_out_with_a_note(tmp_path):
    folder = write_results(tmp_path / "runs")
    write_search(folder, "nb201-cifar10", "rome", 0, [NB201_SKIPS], status="failed", oracle_cifar10_test_200=[54.3])
    report = write_report(folder, tmp_path / "report")
    assert any("left out 1 unfinished runs" in note and "rome" in note for note in report.notes)
    assert report.runs == 5
    collapse = report.tables[0].frame
    assert not ((collapse["benchmark"] == "nb201-cifar10") & (collapse["method"] == "rome")).any()


def test_unfinished_runs_are_reported_as_far_as_they_got_on_request(tmp_path):
    folder = write_results(tmp_path / "runs")
    run_dir = write_search(folder, "nb201-cifar10", "gdas", 5, [NB201_SKIPS, NB201_SKIPS], status="running",
                           oracle_cifar10_test_200=[54.3, 54.3])  # fmt: skip
    facts = json.loads((run_dir / "run.json").read_text())
    facts["config"]["train"]["epochs"] = 50  # planned 50, 2 finished; no process holds its lock: interrupted
    (run_dir / "run.json").write_text(json.dumps(facts))
    report = write_report(folder, tmp_path / "report", ReportOptions(unfinished=True))
    assert any("reported 1 unfinished runs" in note and "interrupted, 2 of 50 ep" in note for note in report.notes)
    nb201 = (tmp_path / "report" / "tables" / "nb201.md").read_text()
    assert "| gdas (50 ep, interrupted, 2 of 50 ep) | nb201-cifar10 | quick | 50 | 1 |  | 54.30 |" in nb201
    assert "| gdas (3 ep) | nb201-cifar10 | quick | 3 | 1 | 90.00 | 94.00 |" in nb201  # the finished seed's own row


def test_a_folder_of_unfinished_runs_says_how_to_report_them(tmp_path):
    write_search(tmp_path / "runs", "nb201-cifar10", "darts", 0, [NB201_SKIPS], status="interrupted")
    with pytest.raises(NashError, match="pass --unfinished"):
        write_report(tmp_path / "runs", tmp_path / "report")
    report = write_report(tmp_path / "runs", tmp_path / "report", ReportOptions(unfinished=True))
    assert report.runs == 1


def test_a_long_per_run_table_is_linked_not_inlined():
    per_run = pd.DataFrame({"benchmark": "s2-cifar10", "searcher": "darts", "variant": "", "seed": range(61),
                            "epochs": 2, "skip_normal": 3, "param_free_normal": 3, "param_free_reduce": 0.0,
                            "collapse_epoch": 1.0, "final_acc": float("nan"), "test_error": 3.0,
                            "final_genotype": "g"})  # fmt: skip
    assert not run_collapse_table(per_run).inline and run_collapse_table(per_run.head(60)).inline


def _lab(colour: str) -> tuple[float, float, float]:
    """sRGB -> CIELAB (D65): distances there follow what the eye tells apart."""
    from matplotlib.colors import to_rgb

    lin = [((v + 0.055) / 1.055) ** 2.4 if v > 0.04045 else v / 12.92 for v in to_rgb(colour)]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_every_searcher_has_its_own_clearly_different_colour_and_marker():
    names = ["darts", "darts-v2", "gdas", "pcdarts", "rome", "darts-es", "darts-ada", "sdarts-rs", "darts-minus",
             "drnas", "plugin-a", "plugin-b"]  # fmt: skip
    colours = searcher_colours(names)
    for a, b in itertools.combinations(names, 2):
        delta_e = math.dist(_lab(colours[a]), _lab(colours[b]))
        assert delta_e >= 25, (a, b, delta_e)
    assert colours["darts-v2"] != "tab:cyan" and colours["sdarts-rs"] not in ("#17becf", "tab:cyan")
    assert len({searcher_marker(n, colours) for n in names[:10]}) == 10


def test_collapse_figure_names_its_setting_and_draws_the_rule(tmp_path):
    from reports.collapse import with_cell_counts
    from reports.collapse_plot import collapse_figures
    from reports.runs import load_store

    store = load_store(write_results(tmp_path / "runs"))
    counted = with_cell_counts(store.epochs, CollapseRule())
    pngs = collapse_figures(counted, CollapseRule(), tmp_path / "plots", searcher_colours(counted["searcher"]))
    assert [p.stem for p in pngs] == ["collapse_nb201-cifar10", "collapse_s2-cifar10"]
    assert all(p.read_bytes()[:4] == PNG_MAGIC for p in pngs)


def test_collapse_figure_landmarks_are_the_best_and_the_all_skip_cell_of_nb201_cifar10():
    import pandas as pd

    from reports.collapse_plot import _landmarks

    nb201 = pd.DataFrame({"run.headline.column": ["oracle_cifar10_test_200"] * 2})
    assert [value for value, _ in _landmarks(nb201)] == [94.37, 54.30]
    mixed = pd.DataFrame({"run.headline.column": ["oracle_cifar10_test_200", "oracle_cifar100_test_200"]})
    assert _landmarks(mixed) == () and _landmarks(pd.DataFrame({"x": [1]})) == ()
