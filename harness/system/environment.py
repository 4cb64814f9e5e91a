"""Facts about where a run executes: device choice, seeding, versions, memory."""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import random
import re
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


def runs_on_cpu(name: str) -> bool:
    """Whether device `name` means the CPU here (checks nothing else: a missing GPU is resolve_device's error)."""
    return name == "cpu" or (name == "auto" and not torch.cuda.is_available())


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


_STATUS, _CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def peak_memory_mb(device: torch.device) -> float:
    """The peak since the last `reset_peak_memory`, so each run (and epoch) reports its own, not the process's.

    CUDA: the allocator's peak of allocated tensors. CPU: the process's peak resident set size (Linux VmHWM,
    which the reset lowers to the current RSS: the interpreter, torch and the run's data are in it); where
    /proc cannot be read or reset (not Linux), the process's peak RSS since it started (ru_maxrss).
    """
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        match = re.search(r"^VmHWM:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        match = None
    if match is not None:
        return int(match.group(1)) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def resident_memory_mb() -> float:
    """The process's resident set size now (Linux VmRSS); 0 where /proc cannot be read."""
    try:
        match = re.search(r"^VmRSS:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return 0.0
    return int(match.group(1)) / 1024 if match else 0.0


class PeakMemory:
    """A run's own peak memory, epoch by epoch: what `peak_mem_mb` holds (docs/RESULTS.md).

    CUDA: the allocator's peak of allocated tensors during the epoch. CPU (Linux): the process's peak
    resident set size during the epoch (VmHWM, reset when the epoch starts), so a run in a process that
    ran a bigger search before (the demo, a local sweep) reports its own peak, not the earlier one. At the
    run's start, memory earlier runs freed is handed back to the OS (malloc_trim); what the process still
    holds then (interpreter, torch, the oracle table) is in the figure and recorded as `base_mb` (VmRSS), so
    the increase can be read off. Without Linux /proc the CPU figure is the process's peak since it started.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        if device.type != "cuda":
            _release_freed_memory()
        self.base_mb = 0.0 if device.type == "cuda" else resident_memory_mb()

    def start_epoch(self) -> None:
        reset_peak_memory(self.device)

    def peak_mb(self) -> float:
        return peak_memory_mb(self.device)


def _release_freed_memory() -> None:
    """Collect garbage and hand memory freed by earlier runs back to the OS (glibc malloc_trim), so it does not
    count in the next run's resident size. A no-op where glibc is not the allocator."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reset_peak_memory(device: torch.device) -> None:
    """Start a new peak: CUDA's allocator statistics; on Linux CPU, VmHWM (writing 5 to /proc/self/clear_refs)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:  # not Linux, or /proc is read-only here: the peak stays the process's since its start
        pass


def versions() -> dict[str, str]:
    from searchers.api import PLUGIN_API_VERSION

    found = {"python": sys.version.split()[0], "platform": platform.platform(), "nash_plugin_api": PLUGIN_API_VERSION}
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
