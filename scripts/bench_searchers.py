"""Time and memory of one search step for every registered searcher, on the same supernet and batch.

Usage: python scripts/bench_searchers.py [--benchmark nb201-cifar10|s0-cifar10|...]
           [--channels C] [--cells N] [--layers L] [--batch 64] [--size 32]
           [--warmup 2] [--steps 10] [--device auto|cpu|cuda] [--profile paper|quick]
           [--searchers darts,gdas,...] [--threads N] [--precision fp32|bf16] [--channels-last] [--json]

A thin wrapper kept so older commands still work: the measurement is `harness.instruments.profiling`, also
run by `nash profile` (see its docstring for what a step, the median and the peak memory are).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import torch  # noqa: E402

from benchmarks.registry.catalog import get_benchmark, get_profile  # noqa: E402, F401 - part of the script's API
from benchmarks.registry.spaces import get_space  # noqa: E402, F401
from harness.instruments import profiling  # noqa: E402
from harness.instruments.profiling import ProfileSpec, add_ratios, format_report, format_table, supernet_size  # noqa: E402, F401
from searchers.registry import SEARCHERS  # noqa: E402


def spec_of(args: argparse.Namespace) -> ProfileSpec:
    fields = {f: getattr(args, f) for f in ProfileSpec.__dataclass_fields__ if hasattr(args, f)}
    return ProfileSpec(**fields)


def measure(name: str, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    return profiling.measure(name, spec_of(args), device)


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
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = [n.strip() for n in args.searchers.split(",") if n.strip()]
    report = profiling.profile_searchers(spec_of(args), names, profiling.resolve_profile_device(args.device))
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
