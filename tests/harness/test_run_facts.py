"""Run-level facts in a search's run.json: provenance, search cost, and the evaluation's cost kept apart."""

import functools
import json

import pandas as pd
import pytest

import harness.evaluate.train
import harness.run.data
from benchmarks.darts.genotype import parse_genotype
from harness.cli.main import main
from harness.evaluate.protocol import EvalProtocol, eval_run_id
from tests.harness.test_evaluate import S2
from tests.reports.store_folder import write_search

# A seconds-long evaluation: the figures are what is tested here, not the protocol.
TINY_EVALUATION = {"layers": 3, "channels": 4, "epochs": 1, "batch_size": 16, "train_per_class": 4, "test_per_class": 2}

ARGV = [
    "search", "--benchmark", "s2-cifar10", "--searcher", "gdas", "--profile", "quick", "--seed", "0", "--epochs", "2",
    "--device", "cpu", "--no-progress", "--set", "data.train_per_class=8", "--evaluate",
]  # fmt: skip


class TinyProtocol(EvalProtocol):
    @classmethod
    def from_profile(cls, evaluation, **overrides):
        return EvalProtocol.from_profile(evaluation, **{**overrides, **TINY_EVALUATION})


@pytest.fixture(autouse=True)
def small_and_fast(monkeypatch):
    monkeypatch.setattr(harness.evaluate.train, "EvalProtocol", TinyProtocol)
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)


_cached_load_cifar10 = functools.cache(harness.run.data.load_cifar10)


def test_search_with_evaluate_records_both_costs_separately(tmp_path, capsys):
    assert main([*ARGV, "--out", str(tmp_path)]) == 0
    run_dir = tmp_path / "s2-cifar10__gdas__quick__seed0"
    facts = json.loads((run_dir / "run.json").read_text())
    rows = pd.read_parquet(run_dir / "epochs.parquet")
    assert facts["status"] == "done" and facts["deterministic"] is False
    assert {"torch", "numpy", "pandas", "python"} <= set(facts["versions"]) and "git_commit" in facts
    assert facts["device"].startswith("cpu") and facts["config"]["train"]["epochs"] == 2
    assert facts["search_seconds"] >= rows["epoch_seconds"].sum()
    assert facts["search_peak_mem_mb"] == rows["peak_mem_mb"].max()

    (eval_dir,) = tmp_path.glob("s2-cifar10__eval-*__quick__seed0")
    evaluation = json.loads((eval_dir / "run.json").read_text())
    final = evaluation["final"]
    assert facts["evaluation"] == {
        "run_id": eval_dir.name,
        "seconds": final["seconds"],
        "peak_mem_mb": final["peak_mem_mb"],
        "test_error": final["test_error"],
        "params": final["params"],
        "flops": final["flops"],
    }
    assert final["seconds"] > 0 and final["peak_mem_mb"] > 0 and final["params"] > 0

    # Re-running with --resume skips the finished search and the finished evaluation; the facts stay.
    capsys.readouterr()
    assert main([*ARGV, "--out", str(tmp_path), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "is already done; nothing to resume" in err and f"evaluation {eval_dir} is already done" in err
    assert json.loads((run_dir / "run.json").read_text()) == facts


def test_evaluate_from_run_trains_the_final_genotype_and_records_it_in_the_search(tmp_path, capsys):
    # A search that finished without --evaluate, in the store's format (the search itself is not under test).
    run_dir = write_search(tmp_path, "s2-cifar10", "gdas", 3, [S2])
    before = json.loads((run_dir / "run.json").read_text())

    assert main(["evaluate", "--from-run", str(run_dir), "--device", "cpu", "--no-progress"]) == 0
    assert f"recorded in {run_dir / 'run.json'}" in capsys.readouterr().out
    (eval_dir,) = run_dir.parent.glob("s2-cifar10__eval-*__quick__seed3")  # beside the search, its profile and seed
    evaluation = json.loads((eval_dir / "run.json").read_text())
    assert evaluation["genotype"] == before["final"]["genotype"] and evaluation["status"] == "done"
    after = json.loads((run_dir / "run.json").read_text())
    assert after == {**before, "evaluation": {"run_id": eval_dir.name, **{
        k: evaluation["final"][k] for k in ("seconds", "peak_mem_mb", "test_error", "params", "flops")}}}  # fmt: skip
    assert eval_dir.name == eval_run_id("s2-cifar10", "quick", 3, parse_genotype(S2))
    assert main(["evaluate", "--from-run", str(run_dir), "--device", "cpu", "--resume"]) == 0  # reuses the finished
    assert f"evaluation {eval_dir} is already done" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("status", "fragment"),
    [("running", "not a finished search (status: interrupted)"), ("failed", "(status: failed)"), (None, "no run.json")],
)
def test_evaluate_from_run_refuses_a_run_that_is_not_done_in_one_line(tmp_path, capsys, status, fragment):
    run_dir = tmp_path / "a-search"
    run_dir.mkdir()
    if status:
        (run_dir / "run.json").write_text(json.dumps({"status": status, "config": {"benchmark": "s2-cifar10"}}))
    assert main(["evaluate", "--from-run", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a-search", *(["run.json"] if status else [])]
