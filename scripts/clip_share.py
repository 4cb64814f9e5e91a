"""How often the weight step's gradient-norm clip binds, and what α's gradient adds to the clipped norm.

    python scripts/clip_share.py --searcher gdas --benchmark nb201-cifar10 --epochs 2 [--set searcher.NAME=VALUE]
    python scripts/clip_share.py --searcher darts --profile paper --data DIR --epochs 1 --steps 50

Runs the first epochs of a search (quick profile unless --profile) and prints, per epoch, the share of
weight steps whose clipped norm exceeded `train.grad_clip`, the mean ‖∇θ‖ and ‖∇α‖ (as the clip sees
them) and the mean factor the clip scaled θ's step by. Where the clip never binds, `clip_includes_arch`
cannot change a search; where it binds, counting α makes the weight step smaller by the printed factor.
"""

from __future__ import annotations

import argparse

import torch

from benchmarks.registry.catalog import get_benchmark
from benchmarks.registry.spaces import get_space
from harness.config.run_config import apply_overrides, resolve_config
from harness.run.data import load_search_batches
from harness.system.environment import seed_everything
from searchers.registry import get_searcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searcher", default="gdas")
    parser.add_argument("--benchmark", default="nb201-cifar10")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--epochs", type=int, default=2, help="epochs to run (of the profile's schedule)")
    parser.add_argument("--steps", type=int, default=0, help="stop each epoch after this many steps (0: all)")
    parser.add_argument("--data", help="the benchmark's dataset on disk (the paper profile needs it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config = resolve_config(args.benchmark, args.searcher, args.profile, args.seed, data=args.data)
    config = apply_overrides(config, args.overrides)
    benchmark, space = get_benchmark(config.benchmark), get_space(get_benchmark(config.benchmark).space)
    seed_everything(config.seed)
    batches = load_search_batches(config, torch.device("cpu"))
    cls = get_searcher(config.searcher)
    options = cls.options_type(**config.searcher_options)
    network = cls.build_supernet(
        space,
        num_classes=benchmark.num_classes,
        options=options,
        **{name: getattr(config.network, name) for name in space.network_fields},
    )
    searcher = cls(space, network, config.train, options)
    seen: list[tuple[float, float]] = []
    clip = config.train.grad_clip
    clipped_parameters = searcher.clipped_parameters

    def recording_clipped_parameters():
        """What the weight step's clip counts, called with the step's gradients in place: note their norms."""
        parameters = clipped_parameters()
        arch = {id(p) for p in searcher.arch_parameters()}
        squares = [(id(p) in arch, float(p.grad.norm()) ** 2) for p in parameters if p.grad is not None]
        seen.append((sum(n for a, n in squares if not a) ** 0.5, sum(n for a, n in squares if a) ** 0.5))
        return parameters

    searcher.clipped_parameters = recording_clipped_parameters
    print(f"{config.searcher} on {config.benchmark} ({config.profile}), clip {clip}, options {config.searcher_options}")
    print("epoch | steps | clip binds | mean ‖∇θ‖ | mean ‖∇α‖ at the clip | mean scale of θ's step")
    for epoch in range(args.epochs):
        searcher.new_epoch(epoch, config.train.epochs)
        network.train()
        seen.clear()
        for step, (train_batch, val_batch) in enumerate(batches.epoch()):
            if args.steps and step == args.steps:
                break
            searcher.step(train_batch, val_batch)
        total = [(t * t + a * a) ** 0.5 for t, a in seen]
        binds = sum(n > clip for n in total)
        scale = sum(min(1.0, clip / (n + 1e-6)) for n in total) / len(total)
        theta = sum(t for t, _ in seen) / len(seen)
        alpha = sum(a for _, a in seen) / len(seen)
        print(f"{epoch} | {len(seen)} | {binds / len(seen):.1%} | {theta:.3f} | {alpha:.4f} | {scale:.4f}")


if __name__ == "__main__":
    main()
