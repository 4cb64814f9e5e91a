import pandas as pd

from reports.runs import load_run_facts, load_runs, load_store
from tests.reports.store_folder import write_results


def test_loads_every_search_run_joined_with_its_facts_and_skips_damaged_ones(tmp_path, capsys):
    store = load_store(write_results(tmp_path / "runs"))
    warnings = capsys.readouterr().err.splitlines()
    assert len(warnings) == 2 and all(w.startswith("nash: warning: skipping damaged run") for w in warnings)
    assert any("broken-json" in w for w in warnings) and any("pcdarts" in w for w in warnings)
    assert len(store.skipped) == 2
    facts = store.facts.set_index("run_path")
    assert sorted(facts.index) == [
        "nb201-cifar10__darts__quick__seed0", "nb201-cifar10__darts__quick__seed1",
        "s2-cifar10__darts__quick__seed0", "s2-cifar10__rome__quick__seed0",
        "sweep-a/nb201-cifar10__gdas__quick__seed0",
    ]  # fmt: skip
    rome = facts.loc["s2-cifar10__rome__quick__seed0"]
    assert rome["config.searcher_options.k"] == 2 and rome["config.train.lr"] == 0.025
    assert rome["run.search_seconds"] == 60.0 and rome["run.versions.torch"] == "2.13.0"
    assert rome["variant"] == "" and rome["eval.test_error"] == 3.0 and rome["eval.params"] == 2.0e6
    epochs = store.epochs
    assert len(epochs) == 3 + 3 + 3 + 2 + 2
    assert {"config.train.epochs", "run.status", "hessian_eigenvalue"} <= set(epochs.columns)
    # optional columns missing from some runs are NaN there, not an error
    assert epochs.loc[epochs.searcher == "darts", "hessian_eigenvalue"].isna().all()
    assert len(store.rankings) == 3 and set(store.rankings["searcher"]) == {"gdas"}


def test_evaluation_runs_join_their_searched_genotype(tmp_path):
    store = load_store(write_results(tmp_path / "runs"))
    assert store.evaluations["run_id"].tolist() == ["eval-darts"]
    darts = store.facts.set_index("run_path").loc["s2-cifar10__darts__quick__seed0"]
    assert (darts["eval.test_error"], darts["eval.params"], darts["eval.run_id"]) == (6.0, 1.0e6, "eval-darts")
    nb201 = store.facts[store.facts.benchmark == "nb201-cifar10"]
    assert nb201["eval.test_error"].isna().all()


def test_wrappers_and_empty_folders(tmp_path):
    folder = write_results(tmp_path / "runs")
    assert len(load_runs(folder)) == 13 and len(load_run_facts(folder)) == 5
    empty = load_store(tmp_path / "nothing-here")
    assert empty.facts.empty and empty.epochs.empty and isinstance(empty.epochs, pd.DataFrame)
