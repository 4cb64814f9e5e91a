"""Planning a sweep (no search runs): the product, cell ids, up-front validation, missing data."""

from __future__ import annotations

import pytest

from benchmarks.errors import NashError
from harness.cli.main import build_parser
from harness.cli.sweep import request_from_args
from harness.sweep.plan import SweepRequest, parse_seeds, plan_sweep


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NASH_DATA_ROOT", "NASH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def request(*argv: str) -> SweepRequest:
    return request_from_args(build_parser().parse_args(["sweep", *argv]))


def test_seeds_accept_ranges_lists_and_both():
    assert parse_seeds("0-2") == [0, 1, 2]
    assert parse_seeds("0,3,5") == [0, 3, 5]
    assert parse_seeds("0-1,5,1") == [0, 1, 5]
    for bad in ("a", "2-0", "1-", ""):
        with pytest.raises(NashError, match="--seeds"):
            parse_seeds(bad)


def test_product_size_order_and_cell_ids(tmp_path):
    cells = plan_sweep(
        request("--searchers", "darts,gdas,pcdarts,rome", "--benchmarks", "nb201-cifar10,s2-cifar10", "--seeds", "0-2")
    )
    assert len(cells) == 4 * 2 * 3
    ids = [cell.cell_id for cell in cells]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "nb201-cifar10__darts__quick__seed0"
    assert ids[-1] == "s2-cifar10__rome__quick__seed2"
    assert all(cell.missing_data is None for cell in cells)  # CIFAR-10 quick falls back to the embedded subset


def test_set_and_epochs_apply_to_every_cell():
    cells = plan_sweep(
        request("--searchers", "gdas,darts", "--benchmarks", "nb201-cifar10", "--epochs", "3", "--set", "train.lr=0.1")
    )
    assert {cell.spec.epochs for cell in cells} == {3}
    assert {tuple(cell.spec.overrides) for cell in cells} == {("train.lr=0.1",)}
    plain = plan_sweep(request("--searchers", "gdas", "--benchmarks", "nb201-cifar10"))[0]
    assert plain.cell_id == cells[0].cell_id and plain.fingerprint != cells[0].fingerprint  # other settings


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--searchers", "gdas,nope", "--benchmarks", "nb201-cifar10"], "unknown searcher 'nope'"),
        (["--searchers", "gdas", "--benchmarks", "nb201-cifar10,s9-mnist"], "unknown benchmark"),
        (["--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--set", "train.nope=1"], "unknown field 'nope'"),
        (["--searchers", "gdas,darts", "--benchmarks", "nb201-cifar10", "--set", "searcher.tau_max=5"], "darts has no"),
        (["--searchers", "pcdarts", "--benchmarks", "nb201-cifar10", "--epochs", "1"], "warm-up"),
        (["--benchmarks", "nb201-cifar10"], "needs --searchers and --benchmarks"),
    ],
)
def test_a_bad_cell_aborts_the_whole_sweep_before_anything_runs(argv, fragment):
    with pytest.raises(NashError, match=fragment):
        plan_sweep(request(*argv))


def test_a_missing_dataset_is_a_per_cell_condition_not_a_config_error(tmp_path):
    cells = plan_sweep(
        request("--searchers", "gdas", "--benchmarks", "nb201-cifar10,s2-cifar100", "--data-root", str(tmp_path))
    )
    missing = {cell.cell_id: cell.missing_data for cell in cells}
    assert missing["nb201-cifar10__gdas__quick__seed0"] is None
    assert "cifar100 not found" in missing["s2-cifar100__gdas__quick__seed0"]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--searchers", "gdas,nope"], "unknown searcher 'nope'"),
        (["--searchers", "gdas", "--jobs", "0"], "--jobs must be at least 1"),
        (["--searchers", "gdas", "--gpus-per-run", "1"], "are for --executor ray"),
        (["--searchers", "gdas", "--seeds", "x"], "--seeds"),
    ],
)
def test_cli_sweep_user_errors_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, argv, fragment):
    from harness.cli.main import main

    out = tmp_path / "runs"
    assert main(["sweep", *argv, "--benchmarks", "nb201-cifar10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_config_file_and_deterministic_reach_every_cell(tmp_path):
    from harness.sweep.plan import build_config

    path = tmp_path / "cells.toml"
    path.write_text("[train]\nbatch_size = 32\nepochs = 9\n[searcher]\ntau_min = 0.5\n")
    argv = ["sweep", "--searchers", "gdas", "--benchmarks", "nb201-cifar10", "--seeds", "0-1", "--epochs", "2"]
    argv += ["--config", str(path), "--deterministic", "--set", "train.batch_size=16"]
    cells = plan_sweep(request_from_args(build_parser().parse_args(argv)))
    for cell in cells:
        config = build_config(cell.spec)
        assert config.train.batch_size == 16  # --set wins over the file
        assert config.train.epochs == 2  # --epochs wins over the file
        assert config.searcher_options["tau_min"] == 0.5 and config.deterministic
    path.write_text("[train]\nbatch_sise = 32\n")
    with pytest.raises(NashError, match="batch_sise"):
        plan_sweep(request_from_args(build_parser().parse_args(argv)))
