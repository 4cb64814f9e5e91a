"""`reports.arch_trajectory`: a search's stored α trajectory read back as a tidy table, hostile cells skipped."""

import json

import pandas as pd
import pytest

from harness.run.runner import run_search
from reports.arch_trajectory import arch_trajectory
from tests.harness.test_search_end_to_end import tiny_config


@pytest.mark.parametrize("searcher", ["darts", "pcdarts"])
def test_a_search_stores_every_epochs_weights_and_they_read_back_tidy(tmp_path, searcher):
    result = run_search(tiny_config(searcher, epochs=3), tmp_path, progress=False)
    epochs = pd.read_parquet(result.run_dir / "epochs.parquet")
    tidy = arch_trajectory(epochs)
    assert list(tidy.columns) == ["run_id", "epoch", "param", "group", "option", "weight"]
    alpha = tidy[tidy.param == "alpha"]
    assert sorted(alpha.epoch.unique()) == [0, 1, 2]
    assert len(alpha) == 3 * 6 * 5  # epochs x edges x ops
    assert alpha.groupby(["epoch", "group"]).weight.sum().to_numpy() == pytest.approx(1, abs=1e-5)
    assert set(tidy.param) == ({"alpha", "beta"} if searcher == "pcdarts" else {"alpha"})
    # The α moved (arch steps ran), and the last epoch's argmax per edge is the stored genotype.
    first, last = (alpha[alpha.epoch == e].set_index(["group", "option"]).weight for e in (0, 2))
    assert (first - last).abs().max() > 0
    best = alpha[alpha.epoch == 2].sort_values("weight").groupby("group", sort=False).tail(1)
    ops = dict(zip(best.group, best.option, strict=True))
    assert [ops[edge] for edge in ["1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2"]] == list(
        _ops_of(epochs.genotype.iloc[-1])
    )


def _ops_of(genotype: str) -> list[str]:
    return [token.split("~")[0] for token in genotype.replace("+", "").split("|") if token]


def test_rows_without_weights_give_nothing_and_bad_cells_are_skipped_with_a_warning(capsys):
    good = json.dumps({"alpha": {"1<-0": {"none": 0.25, "skip_connect": 0.75}}})
    deep = "[" * 100_000 + "]" * 100_000
    frame = pd.DataFrame({
        "run_id": ["r"] * 7,
        "epoch": range(7),
        "arch_weights": [good, None, "{not json", deep, json.dumps({"alpha": [1, 2]}),
                         json.dumps({"alpha": {"e": {"op": "NaN"}}}), "x" * 1_000_001],
    })  # fmt: skip
    tidy = arch_trajectory(frame)
    assert tidy.to_dict("records") == [
        {"run_id": "r", "epoch": 0, "param": "alpha", "group": "1<-0", "option": "none", "weight": 0.25},
        {"run_id": "r", "epoch": 0, "param": "alpha", "group": "1<-0", "option": "skip_connect", "weight": 0.75},
    ]
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 5 and all(w.startswith("nash: warning: r: epoch ") for w in warnings)
    assert "not JSON" in warnings[0] and "not JSON" in warnings[1] and "expected an object" in warnings[2]
    assert "finite number" in warnings[3] and "more than the 1,000,000 allowed" in warnings[4]
    assert arch_trajectory(frame.drop(columns="arch_weights")).empty


def test_the_report_draws_each_runs_alpha_and_the_skip_weight_and_tabulates_where_alpha_ended(tmp_path):
    from reports.build import write_report

    runs = tmp_path / "runs"
    for searcher in ("darts", "gdas"):
        run_search(tiny_config(searcher, epochs=2), runs, progress=False)
    report = write_report(runs, tmp_path / "report")
    table = next(t for t in report.tables if t.name == "arch_weights")
    assert sorted(table.frame["run"]) == ["nb201-cifar10__darts__quick__seed0", "nb201-cifar10__gdas__quick__seed0"]
    assert set(table.frame["epochs"]) == {2}
    assert all(text.endswith(" of 6") for text in table.frame["edges led by skip"])
    names = {png.name for png in report.figures["arch_weights"]}
    assert names == {"alpha_skip_nb201-cifar10.png", "alpha_nb201-cifar10__darts__quick__seed0.png",
                     "alpha_nb201-cifar10__gdas__quick__seed0.png"}  # fmt: skip
    assert all((tmp_path / "report" / "plots" / name).stat().st_size > 10_000 for name in names)
    # The supernet's train/val accuracy and loss per method sit with the per-run table.
    assert [png.name for png in report.figures["collapse_runs"]] == ["supernet_nb201-cifar10.png"]
    assert "alt='alpha_nb201-cifar10__darts__quick__seed0'" in (tmp_path / "report" / "index.html").read_text()


def test_a_large_sweep_draws_alpha_for_the_lowest_seed_of_each_method_setting():
    from reports.arch_plot import alpha_runs

    per_run = pd.DataFrame({"run_path": [f"{s}/seed{n}" for s in ("darts", "gdas") for n in range(15)],
                            "benchmark": "nb201-cifar10", "searcher": [s for s in ("darts", "gdas") for _ in range(15)],
                            "seed": [n for _ in range(2) for n in (*range(1, 15), 0)]})  # fmt: skip
    alpha = pd.DataFrame({"run_path": per_run["run_path"]})
    assert alpha_runs(alpha, per_run.head(10), limit=24) == (sorted(per_run["run_path"].head(10)), "")
    chosen, note = alpha_runs(alpha, per_run, limit=24)
    assert chosen == ["darts/seed14", "gdas/seed14"]  # the seed-0 runs (listed last)
    assert note.startswith("α per edge drawn for 2 of 30 runs")
