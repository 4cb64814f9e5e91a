"""Measurement plumbing shared by the benchmark scripts: peak memory of the timed steps, one process per case."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch


def _status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"/proc/self/status has no {field}")
    return int(match.group(1))


def start_peak_memory(device: torch.device) -> int:
    """Reset the peak after setup. CUDA: the allocator's peak; CPU: VmHWM (Linux ≥ 4.0). Returns the baseline."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        return 0
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def peak_memory_mb(device: torch.device, baseline: int) -> float:
    """CUDA: peak allocated MB since `start_peak_memory`; CPU: peak RSS increase over the post-setup RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return (_status_kb("VmHWM") - baseline) / 1024


def measure_in_subprocess(script: str, argv: list[str], case: str) -> dict[str, Any]:
    """CPU: run `script --worker case` in a fresh process, so one case's allocations do not hide another's peak."""
    command = [sys.executable, str(Path(script).resolve()), *argv, "--worker", case]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
