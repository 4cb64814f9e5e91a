"""Time and memory of one search step for every registered searcher, on the same supernet and batch.

Usage: python scripts/bench_searchers.py [--benchmark nb201-cifar10|s0-cifar10|...]
           [--channels C] [--cells N] [--layers L] [--batch 64] [--size 32]
           [--warmup 2] [--steps 10] [--device auto|cpu|cuda] [--profile paper|quick]
           [--searchers darts,gdas,...] [--threads N] [--json]

A step is one full bi-level iteration (`Searcher.step`: its arch and weight updates) on one
train batch and one val batch of random images; each searcher runs with the options and the
supernet of the benchmark's profile (`--benchmark`, default nb201-cifar10; `--profile`, default
paper: ROME with K=7; on s0-cifar10 the DARTS search network, 8 cells, C=16). `--channels`,
`--cells` (NB201) and `--layers` (DARTS spaces) override the supernet's size. Reported: the median
time per step over `--steps` timed steps after `--warmup` untimed ones, images/s (train +
val images of one iteration / median step time), peak memory, and both as ratios to DARTS
measured in the same run.

Peak memory: on CUDA, `torch.cuda.max_memory_allocated` with the peak reset after the
searcher's setup (so it includes the resident weights and optimiser state). On CPU each
searcher runs in a fresh subprocess; the figure is the increase of its peak resident set
(VmHWM, reset through /proc/self/clear_refs after setup) over its resident set after
setup: the memory the steps themselves needed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import torch  # noqa: E402

from benchmarks.registry import get_benchmark, get_profile  # noqa: E402
from benchmarks.spaces import get_space  # noqa: E402
from harness.config import NetworkConfig  # noqa: E402
from scripts.bench_support import measure_in_subprocess, peak_memory_mb, start_peak_memory  # noqa: E402
from searchers.base import TrainConfig  # noqa: E402
from searchers.registry import SEARCHERS, get_searcher  # noqa: E402


def supernet_size(space, profile, args: argparse.Namespace) -> dict[str, Any]:
    """The profile's network fields for this space, with the command line's overrides."""
    overrides = {"channels": args.channels, "cells_per_stage": args.cells, "layers": args.layers}
    size = {field: profile.network.get(field, getattr(NetworkConfig(), field)) for field in space.network_fields}
    size.update({k: v for k, v in overrides.items() if v is not None and k in size})
    return size


def measure(name: str, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """Set up one searcher, run warm-up and timed steps, return its figures."""
    torch.manual_seed(0)
    searcher_cls = get_searcher(name)
    benchmark = get_benchmark(args.benchmark)
    profile = get_profile(benchmark, args.profile)
    options = searcher_cls.options_type(**profile.options_for(name))
    space = get_space(benchmark.space)
    network = searcher_cls.build_supernet(
        space, num_classes=benchmark.num_classes, options=options, **supernet_size(space, profile, args)
    ).to(device)
    searcher = searcher_cls(space, network, TrainConfig(epochs=50, batch_size=args.batch), options)
    searcher.new_epoch(0, 50)
    shape = (args.batch, 3, args.size, args.size)
    classes = benchmark.num_classes
    train = (torch.randn(shape, device=device), torch.randint(0, classes, (args.batch,), device=device))
    val = (torch.randn(shape, device=device), torch.randint(0, classes, (args.batch,), device=device))
    baseline = start_peak_memory(device)
    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        searcher.step(train, val)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    peak_mb = peak_memory_mb(device, baseline)
    median = statistics.median(times)
    return {
        "searcher": name,
        "options": dict(vars(options)),
        "step_seconds_median": median,
        "step_seconds_all": times,
        "images_per_second": 2 * args.batch / median,
        "peak_memory_mb": peak_mb,
    }


def add_ratios(results: list[dict[str, Any]]) -> None:
    darts = next((r for r in results if r["searcher"] == "darts"), None)
    for r in results:
        r["time_vs_darts"] = r["step_seconds_median"] / darts["step_seconds_median"] if darts else None
        r["memory_vs_darts"] = r["peak_memory_mb"] / darts["peak_memory_mb"] if darts else None


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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", default="nb201-cifar10", help="supernet and options of this benchmark")
    parser.add_argument("--channels", type=int, default=None, help="C (default: the profile's)")
    parser.add_argument("--cells", type=int, default=None, help="NB201 cells per stage N (default: the profile's)")
    parser.add_argument("--layers", type=int, default=None, help="DARTS-space cells (default: the profile's)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32, help="image height and width")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--profile", default="paper", choices=("paper", "quick"), help="searcher options from")
    parser.add_argument("--searchers", default=",".join(SEARCHERS), help="comma-separated (default: all registered)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    wants_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if wants_cuda else "cpu")
    if args.worker:
        print(json.dumps(measure(args.worker, args, device)))
        return 0
    benchmark = get_benchmark(args.benchmark)  # an unknown name fails before anything runs
    space = get_space(benchmark.space)
    size = supernet_size(space, get_profile(benchmark, args.profile), args)
    names = [n.strip() for n in args.searchers.split(",") if n.strip()]
    for name in names:
        get_searcher(name)  # unknown names fail before anything runs
    load = round(os.getloadavg()[0], 2)  # the machine may be shared: timings under load are slower
    results = []
    for name in names:
        if device.type == "cuda":
            torch.cuda.empty_cache()
            results.append(measure(name, args, device))
        else:
            results.append(measure_in_subprocess(__file__, argv, name))
    add_ratios(results)
    setting = {
        "supernet": f"{space.name} " + " ".join(f"{k}={v}" for k, v in size.items()),
        "batch": args.batch,
        "image_size": args.size,
        "warmup_steps": args.warmup,
        "timed_steps": args.steps,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch_threads": torch.get_num_threads(),
        "load_average_1min_at_start": load,
        "options_profile": f"{args.benchmark} {args.profile}",
        "memory": "peak allocated (torch.cuda.max_memory_allocated, reset after setup)"
        if device.type == "cuda"
        else "peak RSS increase over the post-setup RSS, one fresh subprocess per searcher",
    }
    if args.json:
        print(json.dumps({"setting": setting, "results": results}, indent=2))
        return 0
    print("; ".join(f"{k}: {v}" for k, v in setting.items()))
    memory_label = "peak MB" if device.type == "cuda" else "peak RSS +MB"
    print(format_table(results, memory_label))
    for r in results:
        print(f"  {r['searcher']} options: {r['options']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
