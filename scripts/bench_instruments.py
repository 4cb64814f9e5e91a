"""Cost of the in-search measurements: one Hessian eigenvalue and one ranking pass, per searcher.

Usage: python scripts/bench_instruments.py [--benchmark nb201-cifar10] [--profile quick|paper]
           [--searchers darts,gdas,...] [--device auto|cpu|cuda] [--repeats 3] [--threads N]
           [--eigen-batches 2] [--eigen-iterations 20] [--rank-sample 50] [--rank-batches 2]

Each searcher gets the benchmark profile's supernet, optimiser settings and data (the embedded
CIFAR-10 subset unless a data root is set), exactly as `nash search` builds them, and the run's
default analysis settings unless overridden. Reported, as the median over `--repeats`: seconds of
one eigenvalue (power iteration capped at `--eigen-iterations`; the iterations actually used are
shown), seconds of one ranking pass (`--rank-sample` cells × `--rank-batches` batches), and seconds
of one search step for scale. The network is untrained, so the eigenvalue itself means nothing here.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import torch  # noqa: E402

from benchmarks.nb201.oracle import default_oracle  # noqa: E402
from benchmarks.registry.catalog import get_benchmark  # noqa: E402
from benchmarks.registry.spaces import get_space  # noqa: E402
from harness.config.run_config import AnalysisConfig, resolve_config  # noqa: E402
from harness.instruments.hessian import dominant_eigenvalue  # noqa: E402
from harness.instruments.search_instruments import EIGEN_START_SEED, SearchInstruments, untouched  # noqa: E402
from harness.run.data import load_search_batches  # noqa: E402
from harness.system.environment import resolve_device  # noqa: E402
from searchers.registry import SEARCHERS, get_searcher  # noqa: E402


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> tuple[float, object]:
    synchronize(device)
    start = time.perf_counter()
    result = fn()
    synchronize(device)
    return time.perf_counter() - start, result


def measure(name: str, args: argparse.Namespace, device: torch.device, out: Path) -> dict[str, object]:
    config = resolve_config(args.benchmark, name, args.profile, seed=0, device=str(device))
    analysis = AnalysisConfig(
        eigenvalue_every=1,
        eigenvalue_batches=args.eigen_batches,
        eigenvalue_iterations=args.eigen_iterations,
        rank_every=1,
        rank_sample=args.rank_sample,
        rank_batches=args.rank_batches,
    )
    config = dataclasses.replace(config, analysis=analysis)
    benchmark = get_benchmark(config.benchmark)
    torch.manual_seed(0)
    batches = load_search_batches(config, device)
    space = get_space(benchmark.space)
    cls = get_searcher(name)
    options = cls.options_type(**config.searcher_options)
    fields = {field: getattr(config.network, field) for field in space.network_fields}
    network = cls.build_supernet(space, num_classes=benchmark.num_classes, options=options, **fields).to(device)
    searcher = cls(space, network, config.train, options)
    searcher.new_epoch(config.train.epochs - 1, config.train.epochs)  # past any warm-up
    instruments = SearchInstruments(analysis, benchmark, searcher, batches, default_oracle(), out)
    train_batch, val_batch = next(iter(batches.epoch()))
    network.train()
    step, eigen, rank, iterations = [], [], [], 0
    for _ in range(args.repeats):
        step.append(timed(lambda: searcher.step(train_batch, val_batch), device)[0])

        def eigenvalue():
            fixed = instruments.batches[: analysis.eigenvalue_batches]
            with untouched(network, device):
                return dominant_eigenvalue(
                    lambda: sum(searcher.arch_loss(b) for b in fixed) / len(fixed),
                    searcher.arch_parameters(),
                    iterations=analysis.eigenvalue_iterations,
                    generator=torch.Generator().manual_seed(EIGEN_START_SEED),
                )

        seconds, result = timed(eigenvalue, device)
        eigen.append(seconds)
        iterations = result.iterations
        instruments.analysis = dataclasses.replace(analysis, eigenvalue_every=0)  # ranking alone
        rank.append(timed(lambda: instruments.measure(0, 1), device)[0])
        instruments.analysis = analysis
    return {
        "searcher": name,
        "step_s": statistics.median(step),
        "eigenvalue_s": statistics.median(eigen),
        "iterations": iterations,
        "ranking_s": statistics.median(rank),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="nb201-cifar10")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--searchers", default=",".join(SEARCHERS))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--eigen-batches", type=int, default=AnalysisConfig.eigenvalue_batches)
    parser.add_argument("--eigen-iterations", type=int, default=AnalysisConfig.eigenvalue_iterations)
    parser.add_argument("--rank-sample", type=int, default=AnalysisConfig.rank_sample)
    parser.add_argument("--rank-batches", type=int, default=AnalysisConfig.rank_batches)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(
        f"{args.benchmark} {args.profile} on {device} ({torch.get_num_threads()} threads): eigenvalue over "
        f"{args.eigen_batches} batches, <= {args.eigen_iterations} iterations; ranking {args.rank_sample} cells x "
        f"{args.rank_batches} batches; median of {args.repeats}"
    )
    print(f"{'searcher':9s} {'step s':>8s} {'eigenvalue s':>13s} {'iters':>6s} {'ranking s':>10s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.searchers.split(","):
            row = measure(name, args, device, Path(tmp))
            print(
                f"{row['searcher']:9s} {row['step_s']:8.3f} {row['eigenvalue_s']:13.3f} "
                f"{row['iterations']:6d} {row['ranking_s']:10.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
