"""A running search's epoch lines: steps/s, elapsed over all attempts, and an ETA from this attempt alone."""

import re

from harness.run import progress as search_progress
from harness.run.progress import SearchProgress
from harness.run.runner import run_search
from tests.harness.test_search_end_to_end import tiny_config


def test_eta_after_a_resume_counts_only_this_attempts_epochs(monkeypatch, capsys):
    clock = iter([1000.0, 1600.0])  # the attempt starts at 1000 s; epoch 31 ends 600 s later
    monkeypatch.setattr(search_progress.time, "perf_counter", lambda: next(clock))
    progress = SearchProgress(True, "darts on nb201-cifar10", total_epochs=50, steps_per_epoch=391, done_epochs=30)
    row = {"epoch": 30, "epoch_seconds": 500.0, "skip_count": 5, "oracle_cifar10_test_200": 54.3}
    progress.end_epoch(row, elapsed=30 * 3600 + 600, headline=("oracle_cifar10_test_200", "cifar10 test"))
    line = capsys.readouterr().err.strip()
    # 1 epoch in this attempt took 600 s (with its instruments), 19 are left: 3 h 10 min.
    assert line == (
        "darts on nb201-cifar10 epoch 31/50: 0.78 steps/s (8m20s), elapsed 30h10m, ETA 3h10m; "
        "skip 5, cifar10 test 54.30"
    )


def test_a_search_prints_one_line_per_epoch_off_a_terminal(tmp_path, capsys):
    run_search(tiny_config("darts", epochs=2), tmp_path, progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if "epoch" in line]
    assert len(lines) == 2  # no step bar: stderr is not a terminal
    for done, line in enumerate(lines, start=1):
        assert re.fullmatch(
            rf"darts on nb201-cifar10 epoch {done}/2: [\d.]+ steps/s \(\d+s\), elapsed \d+s, ETA \d+s; "
            r"skip \d, cifar10 test [\d.]+",
            line,
        ), line
