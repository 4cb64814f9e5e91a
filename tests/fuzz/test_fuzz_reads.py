"""Files nash reads that are not what they claim: a FIFO, a device, a huge or deeply nested file, fields of the
wrong type. Each is refused (in a report or a status table: skipped) in one line; nothing blocks or is read whole."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import shutil
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

import benchmarks
from benchmarks.nb201.table_format import TABLE_FILE
from tests.fuzz.conftest import RUN_ID, SEARCH
from tests.fuzz.test_fuzz_reports import edit_run_json, good_runs, set_column

ODD = "nb201-cifar10__darts__quick__seed1"  # the run each report case damages; the two others stay good


class Blocked(BaseException):
    """Raised by the alarm: a BaseException, so no `except OSError` in nash takes it for a damaged file."""


@contextlib.contextmanager
def no_hang(seconds: int = 20):
    """Fail (not hang) when the block blocks: a read of a FIFO with no writer waits forever."""

    def stop(*_):
        raise Blocked(f"blocked for {seconds} s: a FIFO or device was read")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    # A read blocked inside C (pyarrow opening a FIFO) never returns to run the alarm's handler: then the
    # watchdog ends the test process with the blocked stack printed, a failure instead of a hang.
    faulthandler.dump_traceback_later(seconds + 30, exit=True, file=sys.__stderr__)  # stderr may be captured
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def make_odd(path, kind: str, huge: int = 2**31) -> None:
    """Replace `path` with a FIFO, a link to a device, or a sparse file larger than any real one."""
    if path.exists():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:  # huge: sparse, so it costs no disk; nash must refuse it by its size, not read it
        with open(path, "wb") as handle:
            handle.truncate(huge)


ODD_KINDS = ["fifo", "device", "huge"]


@pytest.mark.parametrize("kind", ODD_KINDS)
@pytest.mark.parametrize("name", ["run.json", "epochs.parquet"])
def test_an_odd_run_file_is_skipped_by_report_and_status_without_blocking(nash, tmp_path, kind, name):
    runs = good_runs(tmp_path / "runs")
    make_odd(runs / ODD / name, kind)
    with no_hang():
        outcome = nash("report", runs, "--out", tmp_path / "report")
        status = nash("status", runs)
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome.err
    warnings = [line for line in outcome.err.splitlines() if line.strip()]
    assert len(warnings) == 1 and "skipping damaged run" in warnings[0] and name in warnings[0], warnings
    assert "report of 2 search runs" in outcome.out
    assert status.code == 0 and "Traceback" not in status.err, status.err
    if name == "run.json":
        row = next(line for line in status.out.splitlines() if line.startswith(ODD))
        assert "damaged" in row and ("regular file" in row or "limit" in row), row


@pytest.mark.parametrize("kind", ODD_KINDS)
def test_an_odd_run_json_or_epochs_file_on_resume_is_one_line(nash, done_run, tmp_path, kind):
    for name in ("run.json", "epochs.parquet"):
        run_dir = tmp_path / name / RUN_ID
        shutil.copytree(done_run, run_dir)
        make_odd(run_dir / name, kind)
        with no_hang():
            nash(*SEARCH, "--epochs", "1", "--out", run_dir.parent, "--resume").one_error_line(name)


@pytest.mark.parametrize("kind", [*ODD_KINDS, "folder"])
def test_an_odd_config_or_preset_file_is_one_line_naming_it(nash, tmp_path, kind):
    config, preset = tmp_path / "c.toml", tmp_path / "p.toml"
    for path in (config, preset):
        path.mkdir() if kind == "folder" else make_odd(path, kind)
    with no_hang():
        nash(*SEARCH, "--config", config, "--out", tmp_path / "runs").one_error_line(str(config))
        nash("sweep", "--preset", preset, "--out", tmp_path / "sweep").one_error_line(str(preset))
    assert not (tmp_path / "runs").exists() and not (tmp_path / "sweep").exists()


def test_a_huge_or_deep_sweep_manifest_is_one_line(nash, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text('{"cells": ' + "[" * 50_000 + "]" * 50_000 + "}")
    nash("status", out).one_error_line("sweep.json", "nested")
    make_odd(out / "sweep.json", "fifo")
    with no_hang():
        nash("status", out).one_error_line("sweep.json", "FIFO")


RUN_JSON_TYPES = {
    "status a list": lambda f: f.update(status=[]),
    "final a string": lambda f: f.update(final="done"),
    "kind a number": lambda f: f.update(kind=3),
    "NUL in the searcher": lambda f: f["config"].update(searcher="darts\x00x"),
    "benchmark like a path": lambda f: f["config"].update(benchmark="../../etc/nb201"),
    "TeX in the profile": lambda f: f["config"].update(profile="quick}\\input{/etc/passwd"),
    "escape in the run id": lambda f: f.update(run_id="x\x1b]0;owned\x07"),
    "escape in the final genotype": lambda f: f["final"].update(genotype="|none~0|\x1b[2J"),
    "variant a list": lambda f: f["config"].update(variant=["a"]),
}


@pytest.mark.parametrize("oddity", [*RUN_JSON_TYPES, "NUL in the epochs' genotypes", "newline in the folder name"])
def test_a_run_json_of_wrong_types_or_odd_names_is_skipped_with_one_warning(nash, tmp_path, oddity):
    runs = good_runs(tmp_path / "runs")
    odd = runs / ODD
    if oddity in RUN_JSON_TYPES:
        edit_run_json(odd, RUN_JSON_TYPES[oddity])
    elif oddity == "newline in the folder name":
        odd = odd.rename(runs / "odd\nname")
    else:
        set_column("genotype", lambda r: r["genotype"] + "\x00")(odd)
    outcome = nash("report", runs, "--out", tmp_path / "report")
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome.err
    warnings = [line for line in outcome.err.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("nash: warning: skipping damaged run"), warnings
    assert not any(ord(c) < 32 for c in warnings[0]), warnings[0]
    assert "report of 2 search runs" in outcome.out


@pytest.mark.parametrize(
    "content",
    ['{"status": "done", "epochs_completed": "x"}', '{"status": "done", "search_seconds": [1]}',
     '{"status": "done", "final": 7}', '{"status": "done", "error": {"a": 1}}'],
)  # fmt: skip
def test_status_shows_a_run_json_of_wrong_types_as_damaged(nash, tmp_path, content):
    runs = tmp_path / "runs"
    (runs / "odd").mkdir(parents=True)
    (runs / "odd" / "run.json").write_text(content)
    outcome = nash("status", runs)
    assert outcome.code == 0 and outcome.err == "", outcome.err
    assert "damaged" in outcome.out.splitlines()[1], outcome.out


EMBEDDED_TABLE = Path(benchmarks.__file__).parent / "data" / TABLE_FILE
QUERIED_COLUMN = "col:accuracy/cifar10/test/200/mean"  # what `nash query ARCH --dataset cifar10` reads


def table_with(tmp_path, meta_text=None, column=None):
    """The embedded table with its meta JSON replaced by `meta_text(meta)` or the queried column by `column`."""
    with np.load(EMBEDDED_TABLE, allow_pickle=False) as table:
        arrays = {key: table[key] for key in table.files}
    if meta_text is not None:
        arrays["meta"] = np.array(meta_text(json.loads(str(arrays["meta"][()]))))
    if column is not None:
        arrays[QUERIED_COLUMN] = column
    path = tmp_path / "table.npz"
    np.savez_compressed(path, **arrays)
    return path


def meta_with(**fields):
    return lambda meta: json.dumps({**meta, **fields})


ODD_META = {
    "space a list": (meta_with(space=[]), "'space'"),
    "format_version as text": (meta_with(format_version="1"), "'format_version'"),
    "source a list": (meta_with(source=[1]), "'source'"),
    "column_sha256 a number": (meta_with(column_sha256=5), "'column_sha256'"),
    "checksums as numbers": (lambda m: json.dumps({**m, "column_sha256": dict.fromkeys(m["column_sha256"], 1)}),
                             "column_sha256"),
    "meta an array": (lambda m: "[1, 2]", "not a JSON object"),
    "meta nested deep": (lambda m: "[" * 20_000 + "]" * 20_000, "nested"),
}  # fmt: skip


@pytest.mark.parametrize("oddity", ODD_META)
def test_table_meta_of_wrong_types_is_one_line_naming_the_field(nash, tmp_path, oddity):
    change, fragment = ODD_META[oddity]
    table = table_with(tmp_path, meta_text=change)
    nash("query", "1", "--dataset", "cifar10", "--oracle", table).one_error_line(str(table), fragment)


def test_a_table_column_that_inflates_past_its_rows_is_refused_before_it_is_inflated(nash, tmp_path):
    table = table_with(tmp_path, column=np.zeros(4_000_000))  # 32 MB of zeros where 125 kB belong
    nash("query", "1", "--dataset", "cifar10", "--oracle", table).one_error_line(QUERIED_COLUMN, "inflates")


@pytest.mark.parametrize("kind", ODD_KINDS)
def test_an_odd_oracle_file_is_one_line_without_blocking(nash, tmp_path, kind):
    table = tmp_path / "table.npz"
    make_odd(table, kind)
    with no_hang():
        nash("query", "1", "--dataset", "cifar10", "--oracle", table).one_error_line(str(table), "oracle table file")


@pytest.mark.parametrize("kind", ODD_KINDS)
def test_an_odd_official_file_is_refused_before_it_is_read(nash, tmp_path, kind):
    source = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    make_odd(source, kind, huge=2**34)  # official archives are legitimately GBs: over their 8 GiB limit
    with no_hang():
        line = nash("table", "build", "--from", source, "--out", tmp_path / "t.npz").one_error_line(str(source))
    assert "regular file" in line or "limit" in line
    assert not (tmp_path / "t.npz").exists()


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_fifo_or_huge_file_as_the_checkpoint_is_refused_on_resume_without_blocking(nash, stopped_copy, kind):
    make_odd(stopped_copy / "checkpoint.pt", kind, huge=17 << 30)
    with no_hang():
        outcome = nash(*SEARCH, "--epochs", "2", "--out", stopped_copy.parent, "--resume")
    outcome.one_error_line("checkpoint", "FIFO" if kind == "fifo" else "over the 16 GiB limit")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_as_a_dataset_file_is_refused_without_blocking(nash, tmp_path, kind):
    from tests.fuzz.conftest import write_cifar10_batches

    folder = write_cifar10_batches(tmp_path / "data")
    make_odd(folder / "data_batch_1", kind)
    with no_hang():
        outcome = nash(*SEARCH, "--data", folder, "--out", tmp_path / "runs")
    outcome.one_error_line("data_batch_1", "FIFO" if kind == "fifo" else "character device")
