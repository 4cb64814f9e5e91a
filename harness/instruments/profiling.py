"""Time and memory of one search step per searcher, on the same supernet and batch (`nash profile`).

A step is one full bi-level iteration (`Searcher.step`: its arch and weight updates) on one train
batch and one val batch of random images, each searcher with the options and supernet of the
benchmark's profile. Reported: the median time per step over `steps` timed steps after `warmup`
untimed ones (the device synchronised after each), images/s (train + val images of one step /
median step time), peak memory, and both as ratios to DARTS measured in the same run.

Peak memory: on CUDA, `torch.cuda.max_memory_allocated`, reset after the searcher's setup (so it
includes the resident weights and optimiser state), cache emptied between searchers. On CPU each
searcher runs in a fresh subprocess (`python -P -m harness.instruments.profiling SPEC NAME`); the figure is the
increase of its peak resident set (VmHWM, reset through /proc/self/clear_refs after setup) over
its resident set after setup: the memory the steps themselves needed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark, get_profile
from benchmarks.registry.spaces import get_space
from harness.config.run_config import NetworkConfig
from harness.system.child_python import child_command, child_environment
from searchers.base import TrainConfig
from searchers.precision import ForwardMode, check_precision_supported
from searchers.registry import get_searcher


@dataclass(frozen=True)
class ProfileSpec:
    """What is measured: the benchmark's supernet and options, the batch, the steps, the perf switches."""

    benchmark: str = "nb201-cifar10"
    profile: str = "paper"
    batch: int = 64
    size: int = 32  # image height and width
    warmup: int = 2
    steps: int = 10
    channels: int | None = None  # None: the profile's
    cells: int | None = None  # NB201 cells per stage
    layers: int | None = None  # DARTS-space cells
    precision: str = "fp32"
    channels_last: bool = False
    threads: int | None = None  # torch CPU threads (None: torch's choice)

    def __post_init__(self) -> None:
        ForwardMode(self.precision, self.channels_last)  # an unknown precision fails here, in one line
        for name in ("batch", "size", "steps"):
            if getattr(self, name) < 1:
                raise NashError(f"profile --{name} must be at least 1, got {getattr(self, name)}")
        if self.warmup < 0:
            raise NashError(f"profile --warmup must be >= 0, got {self.warmup}")


def supernet_size(space, profile, spec: ProfileSpec) -> dict[str, Any]:
    """The profile's network fields for this space, with the spec's overrides."""
    overrides = {"channels": spec.channels, "cells_per_stage": spec.cells, "layers": spec.layers}
    size = {field: profile.network.get(field, getattr(NetworkConfig(), field)) for field in space.network_fields}
    size.update({k: v for k, v in overrides.items() if v is not None and k in size})
    return size


def _status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"/proc/self/status has no {field}")
    return int(match.group(1))


def start_peak_memory(device: torch.device) -> int:
    """Reset the peak after setup. CUDA: the allocator's peak; CPU: VmHWM (Linux >= 4.0). Returns the baseline."""
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


def measure(name: str, spec: ProfileSpec, device: torch.device) -> dict[str, Any]:
    """Set up one searcher, run warm-up and timed steps, return its figures."""
    torch.manual_seed(0)
    searcher_cls = get_searcher(name)
    benchmark = get_benchmark(spec.benchmark)
    profile = get_profile(benchmark, spec.profile)
    options = searcher_cls.options_type(**profile.options_for(name))
    space = get_space(benchmark.space)
    network = searcher_cls.build_supernet(
        space, num_classes=benchmark.num_classes, options=options, **supernet_size(space, profile, spec)
    ).to(device)
    searcher = searcher_cls(space, network, TrainConfig(epochs=50, batch_size=spec.batch), options)
    searcher.configure_forward(ForwardMode(spec.precision, spec.channels_last))
    searcher.new_epoch(0, 50)
    shape = (spec.batch, 3, spec.size, spec.size)
    classes = benchmark.num_classes
    train = (torch.randn(shape, device=device), torch.randint(0, classes, (spec.batch,), device=device))
    val = (torch.randn(shape, device=device), torch.randint(0, classes, (spec.batch,), device=device))
    baseline = start_peak_memory(device)
    times = []
    for i in range(spec.warmup + spec.steps):
        start = time.perf_counter()
        searcher.step(train, val)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= spec.warmup:
            times.append(time.perf_counter() - start)
    peak_mb = peak_memory_mb(device, baseline)
    median = statistics.median(times)
    return {
        "searcher": name,
        "options": dict(vars(options)),
        "step_seconds_median": median,
        "step_seconds_all": times,
        "images_per_second": 2 * spec.batch / median,
        "peak_memory_mb": peak_mb,
    }


def measure_in_subprocess(name: str, spec: ProfileSpec) -> dict[str, Any]:
    """CPU: measure in a fresh process, so one searcher's allocations do not hide another's peak."""
    command = child_command("harness.instruments.profiling", json.dumps(dataclasses.asdict(spec)), name)
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=child_environment())
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def add_ratios(results: list[dict[str, Any]]) -> None:
    """time_vs_darts and memory_vs_darts of every result (None when DARTS was not measured).

    A CPU measurement inside a process that already peaked higher shows no RSS increase (0 MB):
    its memory ratio is None rather than a division by zero.
    """
    darts = next((r for r in results if r["searcher"] == "darts"), None)
    for r in results:
        r["time_vs_darts"] = r["step_seconds_median"] / darts["step_seconds_median"] if darts else None
        measured = darts is not None and darts["peak_memory_mb"] > 0
        r["memory_vs_darts"] = r["peak_memory_mb"] / darts["peak_memory_mb"] if measured else None


def resolve_profile_device(name: str) -> torch.device:
    wants_cuda = name == "cuda" or (name == "auto" and torch.cuda.is_available())
    if name == "cuda" and not torch.cuda.is_available():
        raise NashError("--device cuda asked for but no CUDA GPU is available; use --device cpu")
    return torch.device("cuda" if wants_cuda else "cpu")


def device_facts(device: torch.device) -> dict[str, Any]:
    """Which device was measured, with the versions and date that make the figures comparable."""
    return {
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"cpu ({torch.get_num_threads()} threads)",
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def profile_searchers(spec: ProfileSpec, names: list[str], device: torch.device) -> dict[str, Any]:
    """Measure every named searcher; {"setting": ..., "results": [...]} with ratios to DARTS."""
    if spec.threads:
        torch.set_num_threads(spec.threads)
    benchmark = get_benchmark(spec.benchmark)  # unknown names fail before anything runs
    profile = get_profile(benchmark, spec.profile)
    for name in names:
        searcher_cls = get_searcher(name)
        if benchmark.space not in searcher_cls.spaces:
            raise NashError(f"searcher {name!r} cannot search the {benchmark.space} space of {spec.benchmark}")
    check_precision_supported(spec.precision, device)
    space = get_space(benchmark.space)
    size = supernet_size(space, profile, spec)
    load = round(os.getloadavg()[0], 2)  # the machine may be shared: timings under load are slower
    facts = device_facts(device)  # the date the measurement started
    results = []
    for name in names:
        if device.type == "cuda":
            torch.cuda.empty_cache()
            results.append(measure(name, spec, device))
        else:
            results.append(measure_in_subprocess(name, spec))
    add_ratios(results)
    setting = {
        **facts,
        "supernet": f"{space.name} " + " ".join(f"{k}={v}" for k, v in size.items()),
        "batch": spec.batch,
        "image_size": spec.size,
        "warmup_steps": spec.warmup,
        "timed_steps": spec.steps,
        "precision": spec.precision,
        "channels_last": spec.channels_last,
        "torch_threads": torch.get_num_threads(),
        "load_average_1min_at_start": load,
        "options_profile": f"{spec.benchmark} {spec.profile}",
        "memory": "peak allocated (torch.cuda.max_memory_allocated, reset after setup)"
        if device.type == "cuda"
        else "peak RSS increase over the post-setup RSS, one fresh subprocess per searcher",
    }
    return {"setting": setting, "results": results}


def format_table(results: list[dict[str, Any]], memory_label: str) -> str:
    def ratio(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    header = ("searcher", "ms/step (median)", "images/s", memory_label, "time vs DARTS", "memory vs DARTS")
    rows = [
        (
            r["searcher"],
            f"{1000 * r['step_seconds_median']:.1f}",
            f"{r['images_per_second']:.1f}",
            f"{r['peak_memory_mb']:.1f}",
            ratio(r["time_vs_darts"]),
            ratio(r["memory_vs_darts"]),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_report(report: dict[str, Any]) -> str:
    """Header (device, versions, date, setting), the table, and each searcher's options."""
    setting = report["setting"]
    cuda = f", CUDA {setting['cuda']}" if setting["cuda"] else ""
    lines = [
        f"device: {setting['device']} (torch {setting['torch']}{cuda}), {setting['date']}",
        "; ".join(f"{k}: {v}" for k, v in setting.items() if k not in ("device", "torch", "cuda", "date")),
        format_table(report["results"], "peak MB" if setting["cuda"] else "peak RSS +MB"),
    ]
    lines += [f"  {r['searcher']} options: {r['options']}" for r in report["results"]]
    return "\n".join(lines)


def _worker(argv: list[str]) -> int:
    """`python -m harness.instruments.profiling SPEC_JSON NAME`: one CPU measurement, printed as one JSON line."""
    spec = ProfileSpec(**json.loads(argv[0]))
    if spec.threads:
        torch.set_num_threads(spec.threads)
    print(json.dumps(measure(argv[1], spec, torch.device("cpu"))))
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
