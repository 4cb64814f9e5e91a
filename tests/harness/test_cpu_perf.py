"""The NB201 paper profile's CPU speed switches: per searcher, CPU only, float32 only, overridable."""

import pytest
import torch

from benchmarks.registry.catalog import BENCHMARKS
from harness.config.run_config import PerfConfig, apply_overrides, resolve_config
from harness.system.environment import runs_on_cpu
from searchers.registry import BUILTIN_SEARCHERS

DATA = "/nonexistent/cifar10"  # resolve_config records the path; nothing is read


@pytest.mark.parametrize(
    ("searcher", "expected"),
    [
        ("darts", PerfConfig(channels_last=True, compile=True)),
        ("drnas", PerfConfig(channels_last=True, compile=True)),
        ("pcdarts", PerfConfig(compile=True)),
        ("gdas", PerfConfig(channels_last=True)),
        ("rome", PerfConfig(channels_last=True)),
    ],
)
def test_a_paper_search_on_the_cpu_takes_its_searchers_measured_switches(searcher, expected):
    assert resolve_config("nb201-cifar10", searcher, "paper", data=DATA, device="cpu").perf == expected


def test_other_profiles_a_gpu_and_an_explicit_choice_keep_what_they_say(monkeypatch):
    assert resolve_config("nb201-cifar10", "darts", "quick", device="cpu").perf == PerfConfig()
    config = resolve_config("nb201-cifar10", "darts", "paper", data=DATA, device="cpu")
    assert apply_overrides(config, ["perf.compile=false"]).perf == PerfConfig(channels_last=True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert not runs_on_cpu("auto") and not runs_on_cpu("cuda:0") and runs_on_cpu("cpu")
    assert resolve_config("nb201-cifar10", "darts", "paper", data=DATA, device="auto").perf == PerfConfig()


def test_no_profile_turns_on_a_precision_other_than_float32():
    """bf16's gradients are ~40 % off float64's (docs/SPEED.md): never a default."""
    for bench in BENCHMARKS.values():
        for profile in bench.profiles.values():
            for name in [*BUILTIN_SEARCHERS, "a-plug-in"]:
                assert PerfConfig(**profile.cpu_perf_for(name)).precision == "fp32"


def test_nash_benchmarks_lists_the_switches_per_searcher(capsys):
    from harness.cli.main import main

    assert main(["benchmarks"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "on the CPU" in line)
    assert "perf.channels_last + perf.compile for darts, darts-v2" in line
    assert "perf.compile for pcdarts" in line and "perf.channels_last for gdas, rome" in line
    assert line.rstrip().endswith("unchanged for others")
