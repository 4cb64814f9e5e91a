"""scripts/bench_load_runs.py writes realistic run folders and loads them all back."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_load_runs.py"


def test_bench_loads_every_row_it_wrote():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--runs", "6", "--epochs", "4"], check=True, capture_output=True, text=True
    ).stdout
    assert "wrote 6 runs x 4 epochs" in out
    match = re.search(r"load_runs: (\d+) rows, \d+ columns, 6 runs in [\d.]+ s", out)
    assert match and int(match.group(1)) == 24


def test_bench_times_a_whole_report():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--runs", "4", "--epochs", "3", "--report"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert re.search(r"nash report: 4 runs x 3 epochs, \d+ tables, \d+ figures in [\d.]+ s", out), out
