"""Search checkpoints: a stopped or SIGKILLed search resumes to exactly the rows of an uninterrupted one."""

import dataclasses
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

import harness.run.data
import harness.run.runner as runner
from benchmarks.errors import NashError
from harness.cli.main import main
from harness.config.run_config import resolve_config
from harness.instruments.hessian import DominantEigen
from harness.instruments.search_instruments import SearchInstruments
from harness.run.runner import run_search
from harness.system.run_lock import run_status

TIMING = {"epoch_seconds", "peak_mem_mb", "analysis_seconds"}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def decode_the_embedded_subset_once(monkeypatch):
    """Decoding 5,000 JPEGs takes seconds and is not what is tested here; the sets are read-only."""
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)


_cached_load_cifar10 = functools.cache(harness.run.data.load_cifar10)


def tiny_config(searcher: str = "gdas", epochs: int = 3, **train):
    config = resolve_config("nb201-cifar10", searcher, "quick", seed=1, epochs=epochs, device="cpu")
    return dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, channels=4),
        data=dataclasses.replace(config.data, train_per_class=8),
        train=dataclasses.replace(config.train, batch_size=16, **train),
    )


def assert_same_rows(got, expected) -> None:
    """Every column but timing and memory, bit for bit (NaN equals NaN, as in an unused τ column)."""
    frames = [pd.DataFrame(rows).drop(columns=[*TIMING], errors="ignore") for rows in (got, expected)]
    pd.testing.assert_frame_equal(*frames, check_exact=True)


def stop_after(monkeypatch, epochs: int) -> None:
    """Interrupt the search right after the checkpoint of epoch `epochs` is written (like a Ctrl-C)."""
    save = runner.save_search_checkpoint

    def save_then_stop(run_dir, config, rows, *args):
        save(run_dir, config, rows, *args)
        if len(rows) == epochs:
            raise KeyboardInterrupt

    monkeypatch.setattr(runner, "save_search_checkpoint", save_then_stop)


def interrupted_run(monkeypatch, out: Path, config, epochs: int) -> Path:
    with monkeypatch.context() as patch:
        stop_after(patch, epochs)
        with pytest.raises(KeyboardInterrupt):
            run_search(config, out, progress=False)
    run_dir = out / config.run_id
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    return run_dir


def cheap_eigenvalue(self, largest=False):
    """A deterministic stand-in: a function of α, so it follows the search like the real one."""
    value = float(self.searcher.alpha.detach().abs().sum())
    return DominantEigen(value, 1, True, value)


@pytest.fixture(scope="module")
def gdas_full(tmp_path_factory):
    return run_search(tiny_config("gdas"), tmp_path_factory.mktemp("full"), progress=False)


@pytest.mark.parametrize(
    "searcher",
    ["darts", "darts-v2", "gdas", "pcdarts", "rome", "darts-es", "darts-ada", "sdarts-rs", "darts-minus", "drnas"],
)
def test_resume_after_a_stop_equals_an_uninterrupted_run(tmp_path, monkeypatch, searcher):
    if searcher in ("darts-es", "darts-ada"):  # their eigenvalue (real in test_epoch_control) costs more than the run
        monkeypatch.setattr(SearchInstruments, "eigenvalue", cheap_eigenvalue)
    config = tiny_config(searcher, epochs=2)
    full = run_search(config, tmp_path / "full", progress=False)
    run_dir = interrupted_run(monkeypatch, tmp_path / "stopped", config, epochs=1)
    assert (run_dir / "checkpoint.pt").exists()
    resumed = run_search(config, tmp_path / "stopped", progress=False, resume=True)
    assert resumed.summary["resumed_from_epoch"] == 1
    assert_same_rows(resumed.rows, full.rows)
    assert_same_rows(pd.read_parquet(run_dir / "epochs.parquet").to_dict("records"), full.rows)
    assert resumed.summary["final"]["genotype"] == full.summary["final"]["genotype"]
    # The done run's checkpoints are deleted: the results are in run.json and epochs.parquet.
    assert not (run_dir / "checkpoint.pt").exists() and not (run_dir / "checkpoint.prev.pt").exists()


@pytest.fixture
def one_thread():
    """The killed subprocess runs on one thread; so do the in-process runs compared with it (same floats)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path, capsys, one_thread):
    args = [
        "search", "--benchmark", "nb201-cifar10", "--searcher", "gdas", "--epochs", "3", "--device", "cpu",
        "--set", "data.train_per_class=24", "--set", "network.channels=4", "--no-progress",
    ]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "full")]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "harness.cli", *args, "--out", str(tmp_path / "killed")]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    run_dir = tmp_path / "killed" / "nb201-cifar10__gdas__quick__seed0"
    deadline = time.monotonic() + 300
    while not (run_dir / "checkpoint.pt").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)  # the second epoch has just begun
    assert process.wait() == -signal.SIGKILL
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"  # as a kill leaves it
    assert run_status(run_dir, "running") == "interrupted"  # its lock file is left, held by no one
    assert torch.load(run_dir / "checkpoint.pt", weights_only=False)["epoch"] < 3

    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "killed"), "--resume"]) == 0
    assert "resumed from epoch" in capsys.readouterr().err
    expected = pd.read_parquet(tmp_path / "full" / run_dir.name / "epochs.parquet").drop(
        columns=[*TIMING], errors="ignore"
    )
    got = pd.read_parquet(run_dir / "epochs.parquet").drop(columns=[*TIMING], errors="ignore")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    facts = json.loads((run_dir / "run.json").read_text())
    assert facts["status"] == "done" and facts["resumed_from_epoch"] >= 1
    assert facts["final"]["genotype"] == expected["genotype"].iloc[-1]


def test_truncated_latest_checkpoint_warns_and_resumes_from_the_previous_one(tmp_path, monkeypatch, capsys, gdas_full):
    config = tiny_config("gdas")
    run_dir = interrupted_run(monkeypatch, tmp_path, config, epochs=2)
    latest, previous = run_dir / "checkpoint.pt", run_dir / "checkpoint.prev.pt"
    assert torch.load(previous, weights_only=False)["epoch"] == 1
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])
    (run_dir / ".checkpoint.pt.k1ll3d.tmp").write_bytes(latest.read_bytes())  # as a kill mid-write leaves it
    capsys.readouterr()
    with monkeypatch.context() as patch:
        stop_after(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            run_search(config, tmp_path, progress=False, resume=True)
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and str(latest) in warning[0] and "truncated or corrupt" in warning[0]
    assert "resuming from checkpoint.prev.pt" in warning[0]
    # The damaged file was not rotated into checkpoint.prev.pt: the fallback is still a good checkpoint.
    assert torch.load(previous, weights_only=False)["epoch"] == 1
    assert not list(run_dir.glob(".*.tmp"))
    assert json.loads((run_dir / "run.json").read_text())["resumed_from_epoch"] == 1
    resumed = run_search(config, tmp_path, progress=False, resume=True)
    assert capsys.readouterr().err == "" and resumed.summary["resumed_from_epoch"] == 2
    assert_same_rows(resumed.rows, gdas_full.rows)


def test_both_checkpoints_damaged_restarts_from_scratch(tmp_path, monkeypatch, capsys, gdas_full):
    config = tiny_config("gdas")
    run_dir = interrupted_run(monkeypatch, tmp_path, config, epochs=2)
    (run_dir / "checkpoint.pt").write_bytes(b"")
    (run_dir / "checkpoint.prev.pt").write_bytes(b"not a checkpoint")
    capsys.readouterr()
    resumed = run_search(config, tmp_path, progress=False, resume=True)
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 2 and "starting from epoch 0" in warnings[1]
    assert "resumed_from_epoch" not in resumed.summary
    assert_same_rows(resumed.rows, gdas_full.rows)


def test_killed_after_the_last_checkpoint_resume_only_marks_it_done(tmp_path, monkeypatch, gdas_full):
    config = tiny_config("gdas")
    interrupted_run(monkeypatch, tmp_path, config, epochs=3)
    resumed = run_search(config, tmp_path, progress=False, resume=True)
    assert resumed.summary["status"] == "done" and resumed.summary["resumed_from_epoch"] == 3
    assert_same_rows(resumed.rows, gdas_full.rows)


def test_a_checkpoint_of_another_config_is_refused(tmp_path, monkeypatch):
    interrupted_run(monkeypatch, tmp_path, tiny_config("gdas"), epochs=1)
    with pytest.raises(NashError, match=r"another config \(train\.lr: 0\.025 -> 0\.05\)"):
        run_search(tiny_config("gdas", lr=0.05), tmp_path, progress=False, resume=True)


def test_starting_over_a_checkpoint_without_resume_or_overwrite_is_refused(tmp_path, monkeypatch):
    config = tiny_config("gdas", epochs=2)
    interrupted_run(monkeypatch, tmp_path, config, epochs=1)
    with pytest.raises(NashError, match="--resume"):
        run_search(config, tmp_path, progress=False)
    result = run_search(config, tmp_path, progress=False, overwrite=True)
    assert "resumed_from_epoch" not in result.summary and len(result.rows) == 2


def test_resume_of_a_done_run_is_a_no_op(tmp_path, capsys):
    config = tiny_config("gdas", epochs=1)
    first = run_search(config, tmp_path, progress=False)
    run_file = first.run_dir / "run.json"
    before = run_file.read_bytes()
    again = run_search(config, tmp_path, progress=False, resume=True)
    assert again.already_done and run_file.read_bytes() == before
    assert_same_rows(again.rows, first.rows)
    with pytest.raises(NashError, match="another config"):
        run_search(tiny_config("gdas", epochs=2), tmp_path, progress=False, resume=True)


CLI_TINY = [
    "search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "1", "--device", "cpu",
    "--set", "data.train_per_class=8", "--set", "network.channels=4", "--no-progress",
]  # fmt: skip


def test_cli_resume_without_checkpoint_starts_fresh_and_skips_when_done(tmp_path, capsys):
    out = ["--out", str(tmp_path)]
    assert main([*CLI_TINY, *out, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "no checkpoint in" in err and "starting the search from epoch 0" in err
    assert main([*CLI_TINY, *out, "--resume"]) == 0
    assert "is already done; nothing to resume" in capsys.readouterr().err


def test_resume_with_eigenvalue_and_ranking_equals_an_uninterrupted_run(monkeypatch, tmp_path):
    """The analysis columns and ranking.parquet survive a stop: same values as a run never stopped."""
    config = tiny_config("darts", epochs=3)
    config = dataclasses.replace(
        config,
        analysis=dataclasses.replace(
            config.analysis, eigenvalue_every=1, rank_every=1, rank_sample=5, eigenvalue_batches=1, rank_batches=1
        ),
    )
    full = run_search(config, tmp_path / "full", progress=False)
    run_dir = interrupted_run(monkeypatch, tmp_path / "stopped", config, epochs=2)
    resumed = run_search(config, tmp_path / "stopped", progress=False, resume=True)
    assert resumed.summary["resumed_from_epoch"] == 2
    assert_same_rows(
        [{k: v for k, v in row.items() if k != "analysis_seconds"} for row in resumed.rows],
        [{k: v for k, v in row.items() if k != "analysis_seconds"} for row in full.rows],
    )
    ranking = pd.read_parquet(run_dir / "ranking.parquet")
    expected = pd.read_parquet(full.run_dir / "ranking.parquet")
    pd.testing.assert_frame_equal(ranking.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True)


def test_a_finished_run_from_before_the_train_and_data_fields_were_added_still_matches():
    """run.json files written before lr_warmup_epochs, arch_grad_clip and the ImageNet fractions existed."""
    from harness.run.checkpoint import config_identity

    config = tiny_config("gdas")
    old = config.to_dict()
    added = {
        "train": ("lr_warmup_epochs", "arch_grad_clip"),
        "data": ("imagenet_weight_fraction", "imagenet_arch_fraction"),
    }
    for section, names in added.items():
        for name in names:
            del old[section][name]
    assert config_identity(old) == config_identity(config)


def test_a_checkpoint_from_before_a_field_existed_resumes_at_the_value_that_kept_its_behaviour(tmp_path, monkeypatch):
    """Checkpoints store the identity of the code that wrote them: one written before `data.arch_sampling`
    lacks it and drew its arch batches in cycled passes, so only `epoch_pass` may continue it."""
    from harness.run.checkpoint import CHECKPOINT_FILE

    passes = dataclasses.replace(tiny_config("gdas", epochs=2), data=dataclasses.replace(
        tiny_config().data, arch_sampling="epoch_pass"))  # fmt: skip
    run_dir = interrupted_run(monkeypatch, tmp_path, passes, epochs=1)
    payload = torch.load(run_dir / CHECKPOINT_FILE, weights_only=False)
    del payload["identity"]["data"]["arch_sampling"]  # as the code before the switch wrote it
    torch.save(payload, run_dir / CHECKPOINT_FILE)
    with pytest.raises(NashError, match=r"another config \(data\.arch_sampling: 'epoch_pass' -> 'per_image'\)"):
        run_search(tiny_config("gdas", epochs=2), tmp_path, progress=False, resume=True)
    resumed = run_search(passes, tmp_path, progress=False, resume=True)
    assert resumed.summary["resumed_from_epoch"] == 1 and len(resumed.rows) == 2


def test_the_space_decides_the_arch_sampling_unless_it_is_set(tmp_path, monkeypatch):
    assert tiny_config().data.arch_sampling == "per_image"  # NB201: AutoDL-Projects' SearchDataset
    assert resolve_config("s2-cifar10", "darts", "quick").data.arch_sampling == "per_batch"  # quark0/darts
    unset = dataclasses.replace(tiny_config(epochs=1), data=dataclasses.replace(tiny_config().data, arch_sampling=None))
    result = run_search(unset, tmp_path, progress=False)  # a config built by hand: run.json names the draw
    assert json.loads((result.run_dir / "run.json").read_text())["config"]["data"]["arch_sampling"] == "per_image"
    drawn = {}

    def record(*_args, arch_sampling, **_kwargs):
        drawn["mode"] = arch_sampling

    monkeypatch.setattr(harness.run.data, "PairedBatches", record)
    harness.run.data.load_search_batches(unset, torch.device("cpu"))
    assert drawn.pop("mode") == "per_image"
    per_batch = dataclasses.replace(unset, data=dataclasses.replace(unset.data, arch_sampling="per_batch"))
    harness.run.data.load_search_batches(per_batch, torch.device("cpu"))
    assert drawn.pop("mode") == "per_batch"
