"""A seconds-long `nash search` on a DARTS-family benchmark (s2-cifar10, quick profile), end to end."""

import json

import pandas as pd
import pytest

from benchmarks.darts.spaces import DartsSpace
from harness.cli.main import main
from harness.config.run_config import resolve_config


def test_cli_search_on_s2_cifar10_quick_writes_rows_without_oracle_columns(tmp_path, capsys):
    # 8 images per class: 40 + 40 after the split, one step of 32 per epoch.
    argv = ["search", "--benchmark", "s2-cifar10", "--searcher", "rome", "--profile", "quick", "--seed", "0"]
    argv += ["--out", str(tmp_path), "--epochs", "1", "--no-progress", "--set", "data.train_per_class=8"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "param-free" in printed and "Genotype(normal=" in printed
    run_dir = tmp_path / "s2-cifar10__rome__quick__seed0"
    frame = pd.read_parquet(run_dir / "epochs.parquet")
    assert len(frame) == 1 and not any(c.startswith("oracle_") for c in frame.columns)
    genotype = DartsSpace("s2").parse(frame["genotype"].iloc[0])
    assert frame["skip_count"].iloc[0] == genotype.skip_count
    assert frame["param_free_count"].iloc[0] == genotype.param_free_count
    facts = json.loads((run_dir / "run.json").read_text())
    assert facts["status"] == "done" and "oracle" not in facts and facts["headline"] is None
    assert facts["config"]["network"]["layers"] == 3 and facts["config"]["searcher_options"]["topology"] is True


def test_searcher_train_overrides_apply_and_nb201_profiles_are_unchanged():
    paper = resolve_config("s0-cifar10", "pcdarts", "paper", data="unused")
    assert (paper.train.batch_size, paper.train.lr, paper.train.arch_lr) == (256, 0.1, 6e-4)
    assert resolve_config("s0-cifar10", "darts", "paper", data="unused").train.batch_size == 64
    assert resolve_config("s0-cifar10", "rome", "paper", data="unused").train.lr == 0.05
    nb201 = resolve_config("nb201-cifar10", "pcdarts", "paper", data="unused")
    assert (nb201.train.batch_size, nb201.network.cells_per_stage) == (64, 5)


def test_other_datasets_need_their_files(tmp_path, monkeypatch):
    monkeypatch.delenv("NASH_DATA_ROOT", raising=False)
    with pytest.raises(Exception, match="svhn not found"):
        resolve_config("s3-svhn", "darts", "quick")


def test_search_with_evaluate_trains_the_final_genotype(tmp_path, capsys):
    argv = ["search", "--benchmark", "s2-cifar10", "--searcher", "gdas", "--profile", "quick", "--seed", "0"]
    argv += ["--out", str(tmp_path), "--epochs", "1", "--no-progress", "--set", "data.train_per_class=8", "--evaluate"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    searched = pd.read_parquet(tmp_path / "s2-cifar10__gdas__quick__seed0" / "epochs.parquet")["genotype"].iloc[-1]
    (eval_dir,) = tmp_path.glob("s2-cifar10__eval-*__quick__seed0")
    facts = json.loads((eval_dir / "run.json").read_text())
    assert facts["status"] == "done" and str(facts["genotype"]) == searched
    figures = json.loads(next(line for line in printed.splitlines() if line.startswith('{"test_error"')))
    assert figures["params"] > 0 and 0 <= figures["test_error"] <= 100


def test_evaluate_on_a_table_benchmark_is_refused_before_searching(tmp_path, capsys):
    argv = ["search", "--benchmark", "nb201-cifar10", "--searcher", "gdas", "--out", str(tmp_path), "--evaluate"]
    assert main(argv) == 2
    assert "judged by its table" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
