"""Symbolic links planted where nash writes: nothing outside the folder the user gave is written, truncated,
appended to or deleted. The folder the user names may itself be a link; inside it, a file nash replaces whole
is replaced (the link goes, its target stays) and any other link is refused with one line and exit 2
(benchmarks/safe_files.py, docs/RESULTS.md "What every run promises")."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from benchmarks.errors import NashError
from harness.run.epoch_states import EpochStates, remove_epoch_states
from harness.sweep.manifest import Manifest
from tests.fuzz.conftest import RUN_ID, SEARCH, TINY, status_of
from tests.shared_data import SHARED_DATA

SWEEP = ["sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--seeds", "0", "--epochs", "1", *TINY]
SSS = SHARED_DATA / "nats-official-samples" / "NATS-sss-v1_0-50262-simple"


@pytest.fixture
def outside(tmp_path) -> Path:
    """Someone else's folder, beside the one nash is given: a file and a subfolder to be left alone."""
    folder = tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    (folder / "victim.txt").write_text("someone else's file\n")
    (folder / "sub" / "keep.txt").write_text("keep me\n")
    return folder


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` with its bytes (a folder as "folder", a link as where it points)."""
    return {
        path.relative_to(folder).as_posix(): f"-> {os.readlink(path)}"
        if path.is_symlink()
        else (path.read_bytes() if path.is_file() else "folder")
        for path in sorted(folder.rglob("*"))
    }


def plant(link: Path, target: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def test_a_run_folder_planted_as_a_link_is_refused(nash, tmp_path, outside):
    before = snapshot(outside)
    plant(tmp_path / "runs" / RUN_ID, outside)
    nash(*SEARCH, "--epochs", "1", "--out", tmp_path / "runs").one_error_line(RUN_ID, "symbolic link")
    assert snapshot(outside) == before


def test_a_run_lock_planted_as_a_link_is_refused(nash, tmp_path, outside):
    before = snapshot(outside)
    plant(tmp_path / "runs" / RUN_ID / ".nash-run.lock", outside / "victim.txt")
    nash(*SEARCH, "--epochs", "1", "--out", tmp_path / "runs").one_error_line(".nash-run.lock", "symbolic link")
    assert snapshot(outside) == before


def test_files_a_run_replaces_or_probes_never_write_through_a_link(nash, tmp_path, outside):
    """The write probe takes a new name; epochs.parquet and stale checkpoints are replaced or removed, not followed."""
    before = snapshot(outside)
    run_dir = tmp_path / "runs" / RUN_ID
    for name in (".write-test", "epochs.parquet", "checkpoint.pt", "checkpoint.prev.pt"):
        plant(run_dir / name, outside / "victim.txt")
    outcome = nash(*SEARCH, "--epochs", "1", "--out", tmp_path / "runs")
    assert outcome.code == 0, outcome.err
    assert snapshot(outside) == before
    assert status_of(run_dir) == "done" and not (run_dir / "epochs.parquet").is_symlink()


def test_a_linked_checkpoint_is_refused_on_resume(nash, stopped_copy, tmp_path, outside):
    """Read, then rotated into checkpoint.prev.pt, a planted checkpoint would become the run's own."""
    shutil.move(stopped_copy / "checkpoint.pt", outside / "checkpoint.pt")
    before = snapshot(outside)
    plant(stopped_copy / "checkpoint.pt", outside / "checkpoint.pt")
    resume = [*SEARCH, "--epochs", "2", "--out", stopped_copy.parent, "--resume"]
    nash(*resume).one_error_line("checkpoint.pt", "symbolic link")
    assert snapshot(outside) == before and status_of(stopped_copy) != "done"


def test_kept_searcher_states_never_go_into_a_linked_folder(tmp_path, outside):
    (outside / "sub" / "epoch_0003.pt").write_text("not the run's\n")
    before = snapshot(outside)
    plant(tmp_path / "run" / "epoch_states", outside / "sub")
    states = EpochStates(tmp_path / "run", torch.device("cpu"))
    for step in (lambda: states.save(0, {"alpha": torch.zeros(2)}), lambda: states.discard_after(0)):
        with pytest.raises(NashError, match="epoch_states is a symbolic link"):
            step()
    remove_epoch_states(tmp_path / "run")  # removes the link itself
    assert snapshot(outside) == before and not (tmp_path / "run" / "epoch_states").is_symlink()
    states.save(0, {"alpha": torch.zeros(2)})
    assert (tmp_path / "run" / "epoch_states" / "epoch_0000.pt").is_file()


@pytest.mark.parametrize(
    ("name", "target", "fragment"),
    [(f".sweep-logs/{RUN_ID}.log", "victim.txt", f"{RUN_ID}.log is a symbolic link"),
     (".sweep-logs", "sub", ".sweep-logs is a symbolic link"),
     (".sweep.lock", "made-by-nash.lock", ".sweep.lock is a symbolic link")],
)  # fmt: skip
def test_sweep_logs_and_lock_planted_as_links_are_refused_before_a_cell_starts(nash, tmp_path, outside, name, target,
                                                                                fragment):  # fmt: skip
    before = snapshot(outside)
    plant(tmp_path / "sweep" / name, outside / target)  # the lock's target does not exist: open would create it
    nash(*SWEEP, "--out", tmp_path / "sweep").one_error_line(fragment)
    assert snapshot(outside) == before
    if (tmp_path / "sweep" / "sweep.json").exists():  # the refused cell's claim is given back, not left running
        assert Manifest(tmp_path / "sweep").read()["cells"][RUN_ID]["state"] == "pending"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> Path:
    """A folder with one finished tiny run, made once for the report cases."""
    from harness.cli.main import main

    out = tmp_path_factory.mktemp("report-runs")
    assert main([*SEARCH, "--epochs", "1", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("planted", ["tables", "plots"])
def test_a_report_folder_holding_a_linked_subfolder_is_refused_whole(nash, two_runs, tmp_path, outside, planted):
    before = snapshot(outside)
    report = tmp_path / "report"
    plant(report / planted, outside / "sub")
    nash("report", two_runs, "--out", report).one_error_line(planted, "symbolic link")
    assert snapshot(outside) == before
    assert sorted(p.name for p in report.iterdir()) == [planted]  # nothing moved in: whole or not at all


def test_a_report_out_given_as_a_link_is_followed_and_files_inside_are_replaced(nash, two_runs, tmp_path, outside):
    """The user's own link is their choice; a link where a report file goes is replaced, its target kept."""
    real = tmp_path / "elsewhere" / "report"
    plant(real / "index.md", outside / "victim.txt")
    before = snapshot(outside)
    given = plant(tmp_path / "report", real)
    outcome = nash("report", two_runs, "--out", given)
    assert outcome.code == 0, outcome.err
    assert (real / "index.html").is_file() and not (real / "index.md").is_symlink()
    assert snapshot(outside) == before


@pytest.mark.skipif(not SSS.is_dir(), reason="NATS samples absent")
def test_table_build_never_writes_through_a_link_at_a_temporary_name(nash, tmp_path, outside):
    before = snapshot(outside)
    out = tmp_path / "table.npz"
    plant(tmp_path / "table.npz.tmp", outside / "victim.txt")
    outcome = nash("table", "build", "--from", SSS, "--out", out, "--no-progress")
    assert outcome.code == 0, outcome.err
    assert snapshot(outside) == before and out.is_file() and not out.is_symlink()
