"""Facts about where a run executes: device choice, seeding, versions, memory."""

from __future__ import annotations

import os
import platform
import random
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from benchmarks.errors import NashError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise NashError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise NashError(f"device {name!r} asked for but no CUDA GPU is available; use --device cpu")
    return device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


CUBLAS_WORKSPACE_ENV = "CUBLAS_WORKSPACE_CONFIG"


@contextmanager
def determinism(enabled: bool, device: torch.device) -> Iterator[None]:
    """Inside: torch's deterministic algorithms and no cudnn autotuning when `enabled`; off otherwise.

    The previous settings come back on exit, so runs in one process (demo, sweep, tests) do not
    leak the mode into each other. cuBLAS needs a fixed workspace size for reproducible matmuls;
    the variable is read when cuBLAS starts, so it is set before the run's first CUDA kernel.
    """
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
    )
    if enabled and device.type == "cuda":
        os.environ.setdefault(CUBLAS_WORKSPACE_ENV, ":4096:8")
    _use_deterministic_algorithms(enabled)
    if enabled:
        torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = enabled
    try:
        yield
    finally:
        _use_deterministic_algorithms(previous[0])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = previous[1], previous[2]


def _use_deterministic_algorithms(enabled: bool) -> None:
    # Only on a change: the call imports torch._inductor (seconds) even when nothing changes.
    if torch.are_deterministic_algorithms_enabled() != enabled:
        torch.use_deterministic_algorithms(enabled)


def peak_memory_mb(device: torch.device) -> float:
    """CUDA: peak allocated since the last reset. CPU: peak resident set size of the process."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in ("nas-harness", "torch", "numpy", "pandas", "pyarrow"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"
