"""Searcher options that cannot work are one NashError line before anything runs or is written."""

import dataclasses

import pytest

import harness.config.objects as config_module
from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark
from harness.cli.main import main
from harness.config.run_config import apply_overrides, resolve_config
from harness.run.runner import run_search


def test_pcdarts_profiles_carry_the_paper_warm_up_and_a_short_quick_one():
    bench = get_benchmark("nb201-cifar10")
    paper, quick = bench.profiles["paper"], bench.profiles["quick"]
    assert paper.options_for("pcdarts") == {"k": 4, "warmup_epochs": 15} and paper.epochs_for("pcdarts") == 50
    assert paper.epochs_for("darts-v2") == 50
    assert quick.options_for("pcdarts")["warmup_epochs"] < quick.epochs_for("pcdarts")
    assert resolve_config("nb201-cifar10", "pcdarts", "quick").searcher_options == quick.options_for("pcdarts")


@pytest.mark.parametrize(
    "overrides,message",
    [(["searcher.k=3"], "k=3 must divide the supernet's 8 channels"), (["searcher.warmup_epochs=6"], "warm-up of 6")],
)
def test_run_search_refuses_before_writing_anything(tmp_path, overrides, message):
    config = apply_overrides(resolve_config("nb201-cifar10", "pcdarts", "quick", epochs=6), overrides)
    with pytest.raises(NashError, match=message):
        run_search(config, tmp_path, progress=False)
    assert not any(tmp_path.iterdir())


def test_cli_prints_one_line_for_a_warm_up_that_covers_the_run(tmp_path, capsys):
    args = ["search", "--benchmark", "nb201-cifar10", "--searcher", "pcdarts", "--epochs", "1", "--out", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "warmup_epochs below 1" in err
    assert main([*args, "--set", "searcher.k=0"]) == 2
    assert "k must be an integer >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("searcher", ["darts-v2", "pcdarts"])
def test_a_space_the_searcher_cannot_handle_is_refused(monkeypatch, searcher):
    other_space = dataclasses.replace(get_benchmark("nb201-cifar10"), space="darts-s0")
    monkeypatch.setattr(config_module, "get_benchmark", lambda _name: other_space)
    with pytest.raises(NashError, match=f"searcher '{searcher}' cannot search the darts-s0 space"):
        resolve_config("nb201-cifar10", searcher, "quick")
