"""Presets are data: each expands to the cells of its study, and flags override it."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark
from benchmarks.registry.darts_family import DARTS_FAMILY_BENCHMARKS
from harness.cli.main import build_parser
from harness.cli.sweep import request_from_args
from harness.sweep.plan import build_config, plan_sweep
from harness.sweep.presets import load_preset, preset_names, scaled_epochs


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NASH_DATA_ROOT", "NASH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def cells_of(*argv: str):
    return plan_sweep(request_from_args(build_parser().parse_args(["sweep", *argv])))


def test_the_three_presets_ship():
    assert {"rome-ablation", "rome-k", "paper"} <= set(preset_names())
    with pytest.raises(NashError, match="unknown preset 'nope'; valid presets: .*rome-ablation"):
        load_preset("nope")


def test_rome_ablation_is_the_eight_switch_combinations():
    cells = cells_of("--preset", "rome-ablation", "--profile", "quick", "--seeds", "0")
    assert len(cells) == 8
    switches = set()
    for cell in cells:
        assert cell.cell_id == f"s0-cifar10__rome__quick__seed0__{cell.spec.variant}"
        options = build_config(cell.spec).searcher_options
        combo = (options["topology"], options["accumulate_weights"], options["accumulate_arch"])
        switches.add(combo)
        # k > 1 with both accumulations off is refused; there a step is GDAS's single sample.
        assert options["k"] == (1 if not (combo[1] or combo[2]) else 2)  # quick profile's k=2
    assert switches == set(itertools.product([False, True], repeat=3))
    assert {cell.spec.variant for cell in cells} >= {"none", "all"}


def test_rome_ablation_paper_profile_keeps_the_papers_k_and_three_seeds():
    cells = cells_of("--preset", "rome-ablation", "--data-root", "/nonexistent")
    assert len(cells) == 8 * 3 and {cell.spec.profile for cell in cells} == {"paper"}
    full = next(cell for cell in cells if cell.spec.variant == "all")
    assert build_config(full.spec, data="x").searcher_options["k"] == 7
    assert full.missing_data  # the paper profile needs the full CIFAR-10, which this root lacks


def test_rome_k_scales_epochs_so_k_times_epochs_is_constant():
    paper = cells_of("--preset", "rome-k", "--seeds", "0", "--data-root", "/nonexistent")
    assert [(c.spec.options["k"], c.epochs) for c in paper] == [(1, 350), (4, 87), (7, 50), (10, 35)]
    quick = cells_of("--preset", "rome-k", "--profile", "quick", "--seeds", "0")
    profile = get_benchmark("s0-cifar10").profiles["quick"]
    budget = profile.options_for("rome")["k"] * profile.epochs_for("rome")
    assert [c.epochs for c in quick] == [max(1, budget // k) for k in (1, 4, 7, 10)]
    assert all(c.epochs >= 1 for c in quick)
    assert scaled_epochs(2, 10, 4) == 5 and scaled_epochs(2, 2, 10) == 1
    # An explicit --epochs wins over the preset's scaling.
    assert {c.epochs for c in cells_of("--preset", "rome-k", "--profile", "quick", "--epochs", "2")} == {2}


def test_paper_preset_is_four_searchers_on_the_fifteen_benchmarks_times_three_seeds():
    preset = load_preset("paper")
    assert preset.searchers == ["darts", "gdas", "pcdarts", "rome"]
    assert sorted(preset.benchmarks) == sorted(b.name for b in DARTS_FAMILY_BENCHMARKS)
    cells = cells_of("--preset", "paper", "--data-root", "/nonexistent")
    # No darts on s0-imagenet: the paper has no such search (its profile refuses it).
    assert len(cells) == (4 * 15 - 1) * 3 and {c.spec.profile for c in cells} == {"paper"}
    assert not [c for c in cells if c.spec.searcher == "darts" and c.spec.benchmark == "s0-imagenet"]
    # Flags override the preset's lists.
    assert len(cells_of("--preset", "paper", "--searchers", "gdas", "--seeds", "0", "--profile", "quick")) == 15
    with pytest.raises(NashError, match="s0-imagenet --profile paper has no darts setting: the ROME paper"):
        cells_of("--searchers", "darts", "--benchmarks", "s0-imagenet", "--profile", "paper", "--data-root", "/x")


def test_a_preset_file_with_unknown_keys_is_refused(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('searchers = ["gdas"]\nbenchmarks = ["nb201-cifar10"]\nsead = "0"\n')
    with pytest.raises(NashError, match="unknown keys sead"):
        load_preset(str(path))
    path.write_text('searchers = ["gdas"]\nbenchmarks = ["nb201-cifar10"]\n[variants.a]\noptions = { nope = 1 }\n')
    with pytest.raises(NashError, match="preset option 'nope' does not exist for gdas"):
        cells_of("--preset", str(path))
    path.write_text('searchers = ["gdas"]\nbenchmarks = ["nb201-cifar10"]\n[variants."../up"]\n')
    with pytest.raises(NashError, match="variant name '../up' may use only"):
        load_preset(str(path))
    path.write_text('searchers = ["gdas"]\nbenchmarks = ["nb201-cifar10"]\nexclude = ["gdas"]\n')
    with pytest.raises(NashError, match="each exclude entry is a table like"):
        load_preset(str(path))


@pytest.mark.slow
def test_rome_ablation_preset_runs_every_variant(tmp_path):
    """`nash sweep --preset rome-ablation --profile quick --seeds 0` (tiny: ~70 s on 2 cores)."""
    import json

    from harness.cli.main import main

    out = tmp_path / "runs"
    argv = ["sweep", "--preset", "rome-ablation", "--profile", "quick", "--seeds", "0", "--out", str(out)]
    argv += ["--epochs", "1", "--set", "data.train_per_class=4", "--set", "network.channels=4", "--jobs", "2"]
    assert main([*argv, "--no-progress"]) == 0
    cells = json.loads((out / "sweep.json").read_text())["cells"]
    assert len(cells) == 8 and {c["state"] for c in cells.values()} == {"done"}
    combos = set()
    for cell_id in cells:
        options = json.loads((out / cell_id / "run.json").read_text())["config"]["searcher_options"]
        combos.add((options["topology"], options["accumulate_weights"], options["accumulate_arch"]))
    assert combos == set(itertools.product([False, True], repeat=3))
