"""`nash demo`: the demo searchers on nb201-cifar10, then one summary table."""

import dataclasses
import json

import pytest

import harness.commands as commands
from harness.cli import main


def test_demo_runs_every_searcher_and_prints_the_summary(tmp_path, monkeypatch, capsys):
    real_resolve = commands.resolve_config

    def tiny(*args, **kwargs):
        config = real_resolve(*args, **kwargs, epochs=2)  # 2: pcdarts' quick warm-up takes the first epoch
        return dataclasses.replace(
            config,
            network=dataclasses.replace(config.network, channels=4),
            data=dataclasses.replace(config.data, train_per_class=8),
        )

    monkeypatch.setattr(commands, "resolve_config", tiny)
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    for name in commands.DEMO_SEARCHERS:
        assert name in out.split("final genotype", 1)[1]
        facts = json.loads((tmp_path / f"nb201-cifar10__{name}__quick__seed0" / "run.json").read_text())
        assert facts["status"] == "done"
    assert "cifar10 test acc (200ep, seed mean)" in out and "54.30" in out


@pytest.mark.slow
def test_full_quick_demo(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 0
