"""Where results go: names too long, files for folders, read-only places, a full disk mid-write."""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile

import pandas as pd

import harness.system.store
from tests.fuzz.conftest import RUN_ID, SEARCH, assert_no_result_left
from tests.fuzz.test_fuzz_files import S2
from tests.reports.handmade import NB201_GOOD, NB201_SKIPS
from tests.reports.store_folder import write_search


def write_results(folder):
    """Two finished searches (no damaged run: its warning line would be a second line on stderr)."""
    for seed in (0, 1):
        write_search(
            folder, "nb201-cifar10", "darts", seed, [NB201_GOOD, NB201_SKIPS], oracle_cifar10_test_200=[93.0, 54.3]
        )
    return folder


def test_a_300_character_out_folder_name_is_one_line_and_creates_nothing(nash, tmp_path):
    out = tmp_path / ("a" * 300)
    nash(*SEARCH, "--out", out).one_error_line("File name too long")
    assert list(tmp_path.iterdir()) == []
    nash("evaluate", "--benchmark", "s2-cifar10", "--genotype", S2, "--out", out, "--epochs", "1").one_error_line()
    nash("sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--out", out).one_error_line()
    assert list(tmp_path.iterdir()) == []


def test_report_out_on_a_file_or_a_read_only_place_is_one_line_and_builds_nothing(nash, tmp_path, unwritable_folder):
    runs = write_results(tmp_path / "runs")
    a_file = tmp_path / "report.txt"
    a_file.write_text("mine")
    nash("report", runs, "--out", a_file).one_error_line("is a file")
    nash("report", runs, "--out", a_file / "sub").one_error_line("cannot write the report")
    assert a_file.read_text() == "mine"
    before = sorted(os.listdir(unwritable_folder))
    nash("report", runs, "--out", unwritable_folder / "report").one_error_line("cannot write the report")
    assert sorted(os.listdir(unwritable_folder)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt", "runs"]


def test_a_full_disk_while_a_report_is_written_leaves_no_half_built_report(nash, tmp_path, monkeypatch):
    runs = write_results(tmp_path / "runs")
    written = []
    real_to_csv = pd.DataFrame.to_csv

    def fill_the_disk_after_two_tables(self, path=None, *args, **kwargs):
        written.append(path)
        if len(written) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_the_disk_after_two_tables)
    nash("report", runs, "--out", tmp_path / "report").one_error_line("No space left on device")
    assert len(written) > 2 and sorted(p.name for p in tmp_path.iterdir()) == ["runs"]  # no report, no staging
    # An existing report folder keeps what it had: the new report replaces it whole or not at all.
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("old report")
    written.clear()
    nash("report", runs, "--out", tmp_path / "report").one_error_line("No space left on device")
    assert [p.name for p in (tmp_path / "report").iterdir()] == ["index.html"]
    assert (tmp_path / "report" / "index.html").read_text() == "old report"


def test_profile_json_on_a_read_only_place_is_refused_before_profiling(nash, tmp_path, unwritable_folder, monkeypatch):
    import harness.instruments.profiling

    def never(*_args, **_kwargs):
        raise AssertionError("profiled although the result could not be written")

    monkeypatch.setattr(harness.instruments.profiling, "profile_searchers", never)
    argv = ["profile", "--searchers", "darts", "--profile", "quick", "--steps", "1", "--warmup", "0"]
    nash(*argv, "--json", unwritable_folder / "p.json").one_error_line("--json", "cannot write")
    nash(*argv, "--json", tmp_path).one_error_line("is a folder")


class FillingDisk(io.RawIOBase):
    """A file on a disk with `room` bytes left: writes land until it is full, then ENOSPC (as on a real disk,
    where torch.save then fails with a RuntimeError about the zip position, the OSError only its context)."""

    def __init__(self, fd: int, room: int) -> None:
        self.fd, self.room = fd, room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return os.write(self.fd, data)

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def test_a_full_disk_during_the_checkpoint_write_is_one_line_and_the_run_says_failed(nash, tmp_path, monkeypatch):
    real_mkstemp, real_fdopen, checkpoint_fds = tempfile.mkstemp, os.fdopen, set()

    def mkstemp(*args, prefix="", **kwargs):
        fd, name = real_mkstemp(*args, prefix=prefix, **kwargs)
        if prefix.startswith(".checkpoint"):
            checkpoint_fds.add(fd)
        return fd, name

    def fdopen(fd, *args, **kwargs):
        if fd in checkpoint_fds:
            checkpoint_fds.discard(fd)
            return io.BufferedWriter(FillingDisk(fd, room=20_000))  # the checkpoint is larger
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(harness.system.store.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(harness.system.store.os, "fdopen", fdopen)
    out = tmp_path / "runs"
    line = nash(*SEARCH, "--epochs", "2", "--out", out).one_error_line("disk full while writing", "checkpoint.pt")
    facts = json.loads((out / RUN_ID / "run.json").read_text())
    assert facts["status"] == "failed" and facts["error"] in line and "RuntimeError" not in facts["error"]
    assert not (out / RUN_ID / "checkpoint.pt").exists() and not list((out / RUN_ID).glob(".*.tmp"))
    assert_no_result_left(out)
