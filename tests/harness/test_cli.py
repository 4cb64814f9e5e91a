"""The command line: listings work, and bad input gives one line, exit 2, no traceback."""

import os
import subprocess
import sys

import pytest

from harness.cli.main import main

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def nash(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_listings(capsys):
    assert main(["benchmarks"]) == 0
    out = capsys.readouterr().out
    assert "nb201-cifar10" in out and "profile quick" in out and "profile paper" in out
    assert main(["searchers"]) == 0
    out = capsys.readouterr().out
    assert "darts" in out and "gdas" in out


def test_query_prints_the_table_value(capsys):
    assert main(["query", BEST, "--dataset", "cifar10", "--split", "test"]) == 0
    assert "94.37" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["search", "--benchmark", "nb201-nope", "--searcher", "gdas"], ["unknown benchmark", "nb201-cifar10"]),
        (["search", "--benchmark", "nb201-cifar10", "--searcher", "enas"], ["unknown searcher", "darts", "gdas"]),
        (["search", "--benchmark", "nb201-cifar10", "--searcher", "gdas", "--profile", "x"], ["unknown profile"]),
        (["query", "|nor_conv_3x3~0|+|bad_op~0|skip_connect~1|", "--dataset", "cifar10"], ["malformed"]),
        (["query", BEST, "--dataset", "cifar10", "--split", "valid"], ["cifar10-valid"]),
    ],
)
def test_bad_input_is_one_line(args, fragments, tmp_path):
    assert_one_line_error(nash(*args, "--out", str(tmp_path)) if args[0] == "search" else nash(*args), *fragments)


def test_missing_data_folder(tmp_path):
    result = nash(
        "search",
        "--benchmark",
        "nb201-cifar10",
        "--searcher",
        "gdas",
        "--data",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path / "runs"),
        "--no-progress",
    )
    assert_one_line_error(result, "nope")
    assert not list((tmp_path / "runs").glob("*/epochs.parquet"))


def test_paper_profile_without_data_says_how_to_get_it(tmp_path):
    env_free = nash(
        "search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--profile", "paper", "--out", str(tmp_path)
    )
    assert_one_line_error(env_free, "--data")


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = nash("search", "--benchmark", "nb201-cifar10", "--searcher", "gdas", "--out", str(blocker / "runs"))
    assert_one_line_error(result, "cannot write", "--out")


def test_corrupt_data_file_is_one_line(tmp_path):
    data = tmp_path / "cifar"
    data.mkdir()
    (data / "cifar10_jpeg_q75_train.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    (data / "cifar10_jpeg_q75_test.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    result = nash(
        "search",
        "--benchmark",
        "nb201-cifar10",
        "--searcher",
        "gdas",
        "--data",
        str(data),
        "--out",
        str(tmp_path / "runs"),
        "--no-progress",
    )
    assert_one_line_error(result, "cifar10_jpeg_q75_train.tar.gz")
    assert not list((tmp_path / "runs").glob("*/epochs.parquet"))


def test_sigterm_marks_the_run_interrupted(tmp_path):
    import json
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "search",
            "--benchmark",
            "nb201-cifar10",
            "--searcher",
            "darts",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_file = tmp_path / "nb201-cifar10__darts__quick__seed0" / "run.json"
    deadline = time.time() + 120
    while time.time() < deadline and not (run_file.exists() and "running" in run_file.read_text()):
        time.sleep(0.2)
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert json.loads(run_file.read_text())["status"] == "interrupted"


def test_listing_into_a_closed_pipe_stops_quietly():
    """`nash benchmarks | head -1`: no traceback when the reader goes away."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "benchmarks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # the reader is gone before nash writes anything
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert stderr == ""
