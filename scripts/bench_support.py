"""Measurement plumbing shared by the benchmark scripts: one process per case.

Peak memory of the timed steps comes from `harness.instruments.profiling` (the same figures `nash profile`
reports): CUDA's allocator peak, or on CPU the peak RSS increase over the post-setup RSS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.instruments.profiling import peak_memory_mb, start_peak_memory

__all__ = ["measure_in_subprocess", "peak_memory_mb", "start_peak_memory"]


def measure_in_subprocess(script: str, argv: list[str], case: str) -> dict[str, Any]:
    """CPU: run `script --worker case` in a fresh process, so one case's allocations do not hide another's peak."""
    command = [sys.executable, str(Path(script).resolve()), *argv, "--worker", case]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
