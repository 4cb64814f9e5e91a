"""Reports over folders with odd runs: each skipped with one warning line, the report of the rest complete."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reports.runs import load_store
from tests.reports.handmade import NB201_GOOD, NB201_SKIPS
from tests.reports.store_folder import write_search


def good_runs(folder):
    for seed in (0, 1):
        write_search(
            folder, "nb201-cifar10", "darts", seed, [NB201_GOOD, NB201_SKIPS], oracle_cifar10_test_200=[93.0, 54.3]
        )
    write_search(folder, "nb201-cifar10", "gdas", 0, [NB201_GOOD] * 2, oracle_cifar10_test_200=[93.0, 94.0])
    return folder


def edit_run_json(run_dir, change) -> None:
    facts = json.loads((run_dir / "run.json").read_text())
    change(facts)
    (run_dir / "run.json").write_text(json.dumps(facts))


def edit_epochs(run_dir, change) -> None:
    rows = pd.read_parquet(run_dir / "epochs.parquet")
    change(rows)
    rows.to_parquet(run_dir / "epochs.parquet", index=False)


def set_column(name, values):
    return lambda run_dir: edit_epochs(run_dir, lambda rows: rows.__setitem__(name, values(rows)))


ODD_RUNS = {
    "no searcher": lambda d: edit_run_json(d, lambda f: f["config"].pop("searcher")),
    "seed as text": lambda d: edit_run_json(d, lambda f: f["config"].update(seed="zero")),
    "config a list": lambda d: edit_run_json(d, lambda f: f.update(config=[1])),
    "skip_count as text": set_column("skip_count", lambda r: ["1"] * len(r)),
    "train_loss as text": set_column("train_loss", lambda r: ["x"] * len(r)),
    "oracle column as text": set_column("oracle_cifar10_test_200", lambda r: r["oracle_cifar10_test_200"].astype(str)),
    "epoch as fractions": set_column("epoch", lambda r: r["epoch"] + 0.5),
    "genotype as numbers": set_column("genotype", lambda r: list(range(len(r)))),
    "own column of another type": set_column("extra", lambda r: ["a"] * len(r)),
}


@pytest.mark.parametrize("oddity", ODD_RUNS)
def test_an_odd_run_is_skipped_with_one_warning_and_the_rest_reported(nash, tmp_path, oddity):
    runs = good_runs(tmp_path / "runs")
    if oddity == "own column of another type":  # the others have it as numbers: only the odd one goes
        for run_dir in runs.iterdir():
            set_column("extra", lambda r: [1.0] * len(r))(run_dir)
    odd = runs / "nb201-cifar10__darts__quick__seed1"
    ODD_RUNS[oddity](odd)
    outcome = nash("report", runs, "--out", tmp_path / "report")
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome.err
    warnings = [line for line in outcome.err.splitlines() if line.strip()]
    assert (
        len(warnings) == 1 and warnings[0].startswith("nash: warning: skipping damaged run") and str(odd) in warnings[0]
    )
    assert "report of 2 search runs" in outcome.out
    runs_table = pd.read_csv(tmp_path / "report" / "data" / "runs.csv")
    assert sorted(runs_table["run_path"]) == ["nb201-cifar10__darts__quick__seed0", "nb201-cifar10__gdas__quick__seed0"]


def test_an_evaluation_run_with_odd_entries_is_skipped(tmp_path, capsys):
    runs = good_runs(tmp_path / "runs")
    folder = runs / "s2-cifar10__eval-abc__quick__seed0"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"kind": "evaluation", "status": "done", "final": [1]}))
    store = load_store(runs)
    assert len(store.facts) == 3 and store.evaluations.empty and len(store.skipped) == 1
    assert "final is a list, expected an object" in capsys.readouterr().err
