"""The paper-setting runs shipped in results/nb201-paper load, are what results/README.md says they are, and
their report puts them beside the published NAS-Bench-201 rows."""

import json
from pathlib import Path

import pandas as pd
import pytest

from reports.build import ReportOptions, build_report
from reports.runs import load_store

SHIPPED = Path(__file__).resolve().parents[2] / "results" / "nb201-paper"
RUN_FILES = {"epochs.parquet", "run.json", "ranking.parquet"}  # never checkpoints
PAPER_SETTING = {"network.channels": 16, "network.cells_per_stage": 5, "train.batch_size": 64,
                 "train.epochs": 50, "train.arch_lr": 3e-4, "train.lr": 0.025, "train.lr_min": 0.001,
                 "train.weight_decay": 5e-4}  # fmt: skip


@pytest.fixture(scope="module")
def store():
    return load_store(SHIPPED)


def test_the_shipped_folder_holds_darts_and_gdas_at_the_paper_setting_and_no_checkpoint(store):
    runs = sorted(path for path in SHIPPED.iterdir() if path.is_dir())
    names = [run.name for run in runs]
    darts = [f"nb201-cifar10__darts__paper__seed{seed}" for seed in (0, 1)]
    assert names == [*darts, "nb201-cifar10__gdas__paper__seed0"]
    for run in runs:
        assert {file.name for file in run.iterdir()} <= RUN_FILES
        facts = json.loads((run / "run.json").read_text())
        config = facts["config"]
        for key, value in PAPER_SETTING.items():
            section, name = key.split(".")
            assert config[section][name] == pytest.approx(value), key
        assert config["data"]["source"].endswith("cifar10-jpeg") and config["data"]["train_per_class"] is None
    assert not store.skipped and len(store.facts) == len(runs)


def test_every_shipped_epoch_has_its_cell_its_oracle_value_and_the_alpha_trajectory(store):
    for run_path, rows in store.epochs.groupby("run_path"):
        assert list(rows["epoch"]) == list(range(len(rows))), run_path
        assert rows["oracle_cifar10_test_200"].between(10, 95).all()
        for weights in rows["arch_weights"]:
            edges = json.loads(weights)["alpha"]
            assert len(edges) == 6 and all(sum(ops.values()) == pytest.approx(1, abs=1e-4) for ops in edges.values())
    finished = store.facts[store.facts["run.status"] == "done"]
    for run_path in finished["run_path"]:  # a finished run ran its 50 epochs
        assert store.epochs.loc[store.epochs["run_path"] == run_path, "epoch"].nunique() == 50


def test_the_report_puts_the_shipped_runs_beside_the_published_rows(store, tmp_path):
    report = build_report(store, tmp_path / "report", ReportOptions(unfinished=True))
    nb201 = next(table.frame for table in report.tables if table.name == "nb201")
    methods = list(nb201["method"])
    for published in ("DARTS-V1 (published)", "GDAS (published)"):
        assert published in methods
    assert nb201.loc[nb201["method"] == "GDAS (published)", "epochs"].iloc[0] == 250  # the budget behind 93.61
    ours = nb201[~nb201["method"].str.contains("published")]
    assert len(ours) == len(store.facts)  # each unfinished run its own row, never pooled with another seed
    for run_path, rows in store.epochs.groupby("run_path"):
        last = rows.sort_values("epoch").iloc[-1]
        assert f"{last['oracle_cifar10_test_200']:.2f}" in {str(value)[:5] for value in ours["C10 test"]}, run_path
    plots = {path.name for path in report.plots}
    assert {"collapse_nb201-cifar10.png", "eigenvalue_nb201-cifar10.png", "alpha_skip_nb201-cifar10.png"} <= plots
    assert "alpha_nb201-cifar10__darts__paper__seed0.png" in plots
    assert isinstance(pd.read_csv(tmp_path / "report" / "data" / "runs.csv"), pd.DataFrame)
