"""`nash demo`: darts, gdas, pcdarts, rome at one arch-step budget, then a collapse verdict per searcher."""

import dataclasses
import json

import pytest

import harness.cli.demo as demo
from benchmarks.registry.catalog import get_benchmark
from harness.cli.main import main
from harness.config.run_config import resolve_config
from reports.collapse import CollapseRule


def _tiny(monkeypatch):
    real_resolve = demo.resolve_config

    def tiny(*args, **kwargs):
        config = real_resolve(*args, **kwargs)
        warmup = demo.arch_free_epochs(config)
        return dataclasses.replace(
            config,
            network=dataclasses.replace(config.network, channels=4),
            data=dataclasses.replace(config.data, train_per_class=8),  # 40 images: 1 step per epoch
            train=dataclasses.replace(config.train, epochs=2 + warmup),
        )

    monkeypatch.setattr(demo, "resolve_config", tiny)


def test_demo_runs_its_searchers_and_states_collapse_per_searcher(tmp_path, monkeypatch, capsys):
    _tiny(monkeypatch)
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    for name in demo.DEMO_SEARCHERS:
        facts = json.loads((tmp_path / f"nb201-cifar10__{name}__study__seed0" / "run.json").read_text())
        assert facts["status"] == "done"
        assert f"with {name}: 2 arch steps" in out  # one budget for all, PC-DARTS's warm-up on top
        verdict = next(line for line in out.splitlines() if line.startswith(f"{name}: "))
        assert "collapsed" in verdict.lower()
    assert out.count("skip / epoch") == len(demo.DEMO_SEARCHERS)
    assert "best cell 94.37, all-skip cell 54.30" in out
    assert CollapseRule().describe() in out
    assert f"Collapse plot: {tmp_path / 'report' / 'plots' / 'collapse_nb201-cifar10.png'}" in out


def test_study_profile_gives_every_demo_searcher_the_same_arch_steps():
    steps = {name: demo.arch_steps(resolve_config("nb201-cifar10", name, "study")) for name in demo.DEMO_SEARCHERS}
    assert set(steps.values()) == {160}, steps
    assert get_benchmark("nb201-cifar10").profiles["study"].epochs_for("pcdarts") == 5  # 1 warm-up + 4


def test_cell_verdict_flags_a_disconnected_cell():
    rule = CollapseRule()
    cut = "|none~0|+|none~0|nor_conv_3x3~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert demo.cell_verdict(cut, rule).startswith("not collapsed; DISCONNECTED")
    all_skip = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
    assert demo.cell_verdict(all_skip, rule) == "COLLAPSED"


def test_unknown_demo_searcher_is_one_line(capsys):
    assert main(["demo", "--searchers", "darts,nope"]) == 2
    assert "unknown nope" in capsys.readouterr().err


@pytest.mark.slow
def test_full_demo(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 0
