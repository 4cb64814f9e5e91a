"""Does a perf variant change the search? Its gradients against float64, and the same search in each variant.

Usage: python scripts/perf_faithfulness.py --data ../shared/data/cifar10-jpeg [--searcher darts]
           [--benchmark nb201-cifar10] [--per-class 320] [--epochs 4] [--threads 2]
           [--variants fused-1t,fused-cl,compiled-cl,cl-bf16] [--out DIR] [--json FILE]

1. Gradient error: one forward + backward of the paper-size supernet (DARTS's softmax mixture, random
   batch of `--batch` 32x32 images, α drawn at the scale of a searched α) in each variant, and in float64
   on the per-edge reference path; reported: ‖g − g64‖ / ‖g64‖ for α's gradient and for θ's. Float32
   rounding gives ~1e-6; the question is whether a variant's error is of that order.
2. Search trajectory: every variant runs the real search loop (`run_search`: data, searcher, schedules)
at the benchmark's `paper` profile (NB201: C=16, N=5, batch 64, arch lr 3e-4) from the same seed, on a class-balanced
subset of `--per-class` images per class (320: 3,200 images, 25 steps per epoch in each half), so
that a few epochs cost minutes. The baseline is `fused` (fp32, default layout) with `--threads`;
`fused-1t` is the same with one thread: it changes nothing but the float summation order, so its
distance from the baseline is the spread that rounding alone gives. A variant is faithful when its
distance stays within that spread. Reported per variant and epoch: the largest |Δ softmax(α)| over
every edge and op against the baseline, |Δ train loss|, |Δ val loss|, whether the derived cell is
the baseline's, and the seconds per step. Adam's first steps move each α entry by about the
learning rate whatever the gradient's size, so any rounding difference grows at first; read the
variants against `fused-1t`, not against zero.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import torch  # noqa: E402

from benchmarks.registry.catalog import get_benchmark  # noqa: E402
from harness.config.run_config import PerfConfig, resolve_config  # noqa: E402
from harness.run.runner import run_search  # noqa: E402

# name -> (perf switches, threads: None = --threads)
VARIANTS = {
    "per-edge": ({"fused_edges": False}, None),
    "fused": ({"fused_edges": True}, None),
    "fused-1t": ({"fused_edges": True}, 1),
    "fused-cl": ({"channels_last": True}, None),
    "compiled": ({"compile": True}, None),
    "compiled-cl": ({"compile": True, "channels_last": True}, None),
    "bf16": ({"precision": "bf16"}, None),
    "cl-bf16": ({"precision": "bf16", "channels_last": True}, None),
    "compiled-cl-bf16": ({"compile": True, "channels_last": True, "precision": "bf16"}, None),
}


def run_variant(args, name: str, out: Path) -> list[dict]:
    switches, threads = VARIANTS[name]
    config = resolve_config(args.benchmark, args.searcher, "paper", args.seed, epochs=args.epochs, data=args.data,
                            device="cpu")  # fmt: skip
    config = dataclasses.replace(
        config,
        data=dataclasses.replace(config.data, train_per_class=args.per_class),
        perf=PerfConfig(**switches),
        variant=name,
    )
    torch.set_num_threads(threads or args.threads)
    started = time.perf_counter()
    result = run_search(config, out, overwrite=True, progress=False)
    print(f"{name}: {len(result.rows)} epochs in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return result.rows


def gradient_errors(args, names: list[str]) -> dict[str, dict[str, float]]:
    """Per variant, relative error of α's and θ's gradients of one step against float64 (per-edge path)."""
    from benchmarks.registry.catalog import get_profile
    from benchmarks.registry.spaces import get_space
    from searchers.base import TrainConfig
    from searchers.mixing import SoftmaxMixer
    from searchers.precision import ForwardMode
    from searchers.registry import get_searcher

    benchmark = get_benchmark(args.benchmark)
    profile, space = get_profile(benchmark, "paper"), get_space(benchmark.space)
    cls = get_searcher("darts")
    options = cls.options_type()
    network_fields = {name: profile.network[name] for name in space.network_fields if name in profile.network}
    generator = torch.Generator().manual_seed(args.seed)
    x = torch.randn(args.batch, 3, 32, 32, generator=generator)
    y = torch.randint(0, benchmark.num_classes, (args.batch,), generator=generator)
    alpha = 0.3 * torch.randn(space.num_edges, space.num_ops, generator=generator)  # a searched α's spread

    def gradients(switches: dict, float64: bool) -> list[torch.Tensor]:
        torch.manual_seed(args.seed)
        network = cls.build_supernet(space, num_classes=benchmark.num_classes, options=options, **network_fields)
        searcher = cls(space, network, TrainConfig(), options)
        perf = PerfConfig(**switches)
        network.fused_edges, network.compile_steps = perf.fused_edges and not float64, perf.compile
        searcher.configure_forward(ForwardMode(perf.precision, perf.channels_last))
        a = alpha.double() if float64 else alpha.clone()
        a.requires_grad_(True)
        if float64:
            network.double()
        params = [p for p in network.parameters() if p.requires_grad]
        logits = searcher.forward(x.double() if float64 else x, SoftmaxMixer(torch.softmax(a, dim=-1)))
        loss = torch.nn.functional.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, [a, *params])
        return [grads[0].double().flatten(), torch.cat([g.double().flatten() for g in grads[1:]])]

    torch.set_num_threads(args.threads)
    reference = gradients({}, float64=True)
    errors = {}
    for name in ["fused", *names]:
        switches, threads = VARIANTS[name]
        torch.set_num_threads(threads or args.threads)
        got = gradients(switches, float64=False)
        parts = zip(("alpha", "theta"), got, reference, strict=True)
        errors[name] = {part: float((g - r).norm() / r.norm()) for part, g, r in parts}
        print(f"{name}: gradient error α {errors[name]['alpha']:.1e}, θ {errors[name]['theta']:.1e}", file=sys.stderr)
    return errors


def alpha_of(row: dict) -> dict[tuple[str, str, str], float]:
    weights = json.loads(row["arch_weights"])
    return {(p, g, o): w for p, groups in weights.items() for g, ops in groups.items() for o, w in ops.items()}


def compare(rows: list[dict], base: list[dict], steps: int) -> list[dict]:
    out = []
    for row, ref in zip(rows, base, strict=True):
        a, b = alpha_of(row), alpha_of(ref)
        out.append({
            "epoch": row["epoch"],
            "max_abs_d_weight": max(abs(a[k] - b[k]) for k in b),
            "d_train_loss": abs(row["train_loss"] - ref["train_loss"]),
            "d_val_loss": abs(row["val_loss"] - ref["val_loss"]),
            "same_cell": row["genotype"] == ref["genotype"],
            "seconds_per_step": row["epoch_seconds"] / steps,
            "skip_count": row["skip_count"],
        })  # fmt: skip
    return out


def format_table(results: dict[str, list[dict]]) -> str:
    header = ["variant", "epoch", "max|Δw|", "|Δ train loss|", "|Δ val loss|", "same cell", "skips", "s/step"]
    rows = [header]
    for name, per_epoch in results.items():
        for r in per_epoch:
            rows.append([name, str(r["epoch"]), f"{r['max_abs_d_weight']:.2e}", f"{r['d_train_loss']:.2e}",
                         f"{r['d_val_loss']:.2e}", "yes" if r["same_cell"] else "no", str(r["skip_count"]),
                         f"{r['seconds_per_step']:.2f}"])  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the benchmark's dataset (e.g. ../shared/data/cifar10-jpeg)")
    parser.add_argument("--benchmark", default="nb201-cifar10")
    parser.add_argument("--searcher", default="darts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-class", type=int, default=320, help="images per class (split in halves)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=64, help="images in the gradient-error batch")
    parser.add_argument("--no-search", action="store_true", help="the gradient errors only")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the baseline and the variants")
    parser.add_argument("--variants", default="fused-1t,fused-cl,compiled-cl,cl-bf16",
                        help="compared with `fused`; any of " + ",".join(VARIANTS))  # fmt: skip
    parser.add_argument("--out", default=None, help="where the runs go (default: a temporary folder)")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.variants.split(",") if n.strip() and n.strip() != "fused"]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(sorted(unknown))}; valid: {', '.join(VARIANTS)}")
    threads = torch.get_num_threads()
    try:
        errors = gradient_errors(args, names)
    finally:
        torch.set_num_threads(threads)
    print(f"one step of DARTS at the {args.benchmark} paper size, batch {args.batch}: gradient error against "
          "float64 (‖g − g64‖ / ‖g64‖)")  # fmt: skip
    print("\n".join(f"  {name:<18} α {e['alpha']:.1e}  θ {e['theta']:.1e}" for name, e in errors.items()))
    if args.no_search:
        return _write(args, {"gradient_errors": errors})
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out or scratch)
        try:
            base = run_variant(args, "fused", out)
            steps = math.ceil(get_benchmark(args.benchmark).num_classes * args.per_class / 2 / 64)
            results = {name: compare(run_variant(args, name, out), base, steps) for name in names}
        finally:
            torch.set_num_threads(threads)
    results = {"fused": compare(base, base, steps), **results}
    print(f"{args.searcher} on {args.benchmark}, paper profile, {args.per_class} images per class, {steps} steps "
          f"per epoch, seed {args.seed}; baseline: fused fp32, {args.threads} threads")  # fmt: skip
    print(format_table(results))
    return _write(args, {"gradient_errors": errors, "results": results})


def _write(args, payload: dict) -> int:
    if args.json:
        Path(args.json).write_text(json.dumps({"setting": vars(args), **payload}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
