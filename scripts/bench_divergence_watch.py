"""Cost of the divergence watch (harness/run/divergence.py) beside the search step it follows, in one run.

    python scripts/bench_divergence_watch.py --searcher darts --steps 20 --threads 1

Times `searcher.step` alone and `step` + `watch.observe(...)` (what the epoch loop does), interleaved,
and prints the median of each, the observe call's own median, and the ratio. The watch adds device
ops only; its one host sync per epoch is `first_bad_step`, timed too.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmarks.registry.spaces import get_space
from harness.config.run_config import apply_overrides, resolve_config
from harness.run.data import load_search_batches
from harness.run.divergence import DivergenceWatch
from searchers.registry import get_searcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searcher", default="darts")
    parser.add_argument("--benchmark", default="nb201-cifar10")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    config = resolve_config(args.benchmark, args.searcher, "quick", 0, device=args.device)
    config = apply_overrides(config, ["data.train_per_class=64"])
    cls = get_searcher(args.searcher)
    options, space = cls.options_type(**config.searcher_options), get_space(get_benchmark_space(args.benchmark))
    fields = {name: getattr(config.network, name) for name in space.network_fields}
    network = cls.build_supernet(space, num_classes=10, options=options, **fields).to(device)
    searcher = cls(space, network, config.train, options)
    searcher.new_epoch(0, 2)
    batches = list(load_search_batches(config, device).epoch())
    watch = DivergenceWatch(device)
    plain, watched, observe = [], [], []
    for i in range(args.steps + 2):
        train_batch, val_batch = batches[i % len(batches)]
        for with_watch in (False, True):
            sync(device)
            start = time.perf_counter()
            stats = searcher.step(train_batch, val_batch)
            middle = time.perf_counter()
            if with_watch:
                watch.observe(stats.train_loss_sum, stats.val_loss_sum, *searcher.arch_parameters())
            sync(device)
            end = time.perf_counter()
            if i >= 2:  # warm-up
                (watched if with_watch else plain).append(end - start)
                if with_watch:
                    observe.append(end - middle)
    start = time.perf_counter()
    watch.first_bad_step()
    read = time.perf_counter() - start
    p, w, o = (statistics.median(v) * 1e3 for v in (plain, watched, observe))
    print(f"{args.searcher} on {args.benchmark} ({device}, {args.threads} thread(s), {args.steps} steps each)")
    print(f"step alone       {p:9.3f} ms (median)")
    print(f"step + observe   {w:9.3f} ms (median)   ratio {w / p:.3f}")
    print(f"observe alone    {o:9.3f} ms (median)   {100 * o / p:.4f}% of a step")
    print(f"epoch-end read   {read * 1e3:9.3f} ms (once per epoch)")


def get_benchmark_space(name: str) -> str:
    from benchmarks.registry.catalog import get_benchmark

    return get_benchmark(name).space


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


if __name__ == "__main__":
    main()
