"""Search-step time side by side: the NAS-Bench-201 authors' reference code, nash per edge, fused, compiled.

Usage: python scripts/bench_speed.py [--benchmark nb201-cifar10|s0-cifar10|...] [--searchers darts,gdas,discrete]
           [--channels C] [--cells N] [--layers L] [--batch 64] [--size 32] [--repeats 5] [--warmup 1]
           [--threads 1] [--variants reference,per-edge,fused,fused-cl,compiled] [--no-compile]
           [--epoch-steps 391] [--json FILE]

Per searcher, every variant runs one full step (the searcher's `step`: arch and weight updates) in
turn, `repeats` times (interleaved, so a machine shared with other work slows all alike), on the
same random batch, supernet size, searcher options (the benchmark's `paper` profile) and thread count:
- reference: `xautodl` 1.0.0's networks (NB201 only): DARTS (TinyNetworkDarts, arch step then weight
  step, first order), GDAS (TinyNetworkGDAS, weight step then arch step), and `discrete`, one SGD step of
  the discrete network of one cell (TinyNetwork); the optimisers and clip of the NB201 search setting;
- per-edge: nash with `perf.fused_edges=false` (each mixer called edge by edge);
- fused: nash's default (all edges leaving a node together);
- fused-cl: fused with `perf.channels_last` (NHWC memory layout; on CPU the depthwise convolutions of the
  DARTS-family ops run 2-3x faster in it, forward + backward);
- compiled: fused + `perf.compile` (its compile time reported apart: the untimed warm-up steps' time
  and dynamo's own compile seconds; graphs come from the on-disk cache on a second run);
- opt-in combinations (`--variants`): bf16 (fused + `perf.precision=bf16`), cl-bf16, compiled-cl,
  compiled-bf16, compiled-cl-bf16.
A single-path sample depends on α and the seed: before each step every variant gets the same α and the
round's seed (round r: seed 1000 + r; warm-up rounds use seeds of their own), so within a round all
variants run the same sampled ops, and the rounds cover several samples (one fixed seed may happen to
sample a cell of `none`s and pools). Reported: median step seconds, and ratios as the median over rounds
of each round's ratio (the variants of one round ran back to back, so load from other work cancels).
For the compiled variant, seconds spent compiling inside a timed step (a single-path sample that needs
an op block not seen before) are taken out of that step's time and reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from benchmarks.kernels.compiled import compile_seconds  # noqa: E402
from benchmarks.registry.catalog import get_benchmark, get_profile  # noqa: E402
from benchmarks.registry.spaces import get_space  # noqa: E402
from harness.instruments.profiling import ProfileSpec, device_facts, supernet_size  # noqa: E402
from searchers.base import TrainConfig  # noqa: E402
from searchers.precision import ForwardMode  # noqa: E402
from searchers.registry import get_searcher  # noqa: E402

DEFAULT_VARIANTS = ("reference", "per-edge", "fused", "fused-cl", "compiled")
# nash variant -> (fused_edges, channels_last, compile, precision)
MODES = {
    "per-edge": (False, False, False, "fp32"),
    "fused": (True, False, False, "fp32"),
    "fused-cl": (True, True, False, "fp32"),
    "bf16": (True, False, False, "bf16"),
    "cl-bf16": (True, True, False, "bf16"),
    "compiled": (True, False, True, "fp32"),
    "compiled-cl": (True, True, True, "fp32"),
    "compiled-bf16": (True, False, True, "bf16"),
    "compiled-cl-bf16": (True, True, True, "bf16"),
}
VARIANTS = ("reference", *MODES)
RATIO_BASES = ("reference", "per-edge", "fused")  # each variant's time is also shown as a ratio to these


def is_compiled(variant: str) -> bool:
    return variant in MODES and MODES[variant][2]


REFERENCE_OF = {"darts": "darts", "gdas": "gdas", "discrete": "discrete"}  # nash searcher -> xautodl case
DISCRETE_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
Step = Callable[[int], None]  # called with the round's seed


def nash_case(name: str, spec: ProfileSpec, batch, variant: str, alpha0: torch.Tensor | None) -> Step:
    """One nash searcher on the benchmark's supernet, in the variant's mode; returns its step."""
    benchmark = get_benchmark(spec.benchmark)
    profile = get_profile(benchmark, spec.profile)
    space = get_space(benchmark.space)
    if name == "discrete":
        return discrete_nash_case(space, spec, batch, profile)
    cls = get_searcher(name)
    options = cls.options_type(**profile.options_for(name))
    torch.manual_seed(0)
    network = cls.build_supernet(
        space, num_classes=benchmark.num_classes, options=options, **supernet_size(space, profile, spec)
    )
    fused, channels_last, compiled, precision = MODES[variant]
    network.fused_edges, network.compile_steps = fused, compiled
    searcher = cls(space, network, TrainConfig(**{**profile.train, "epochs": 50}), options)
    searcher.configure_forward(ForwardMode(precision, channels_last=channels_last))
    searcher.new_epoch(20, 50)  # past PC-DARTS's warm-up: every searcher updates its architecture

    def step(seed: int) -> None:
        if alpha0 is not None:  # the same α and seed for every variant: the same sampled ops
            with torch.no_grad():
                searcher.alpha.copy_(alpha0)
        torch.manual_seed(seed)
        searcher.step(batch, batch)

    return step


def discrete_nash_case(space, spec: ProfileSpec, batch, profile) -> Step:
    from benchmarks.nb201.arch import Nb201Arch

    size = supernet_size(space, profile, spec)
    torch.manual_seed(0)
    network = space.build_network(Nb201Arch.from_string(DISCRETE_CELL), size["channels"], size["cells_per_stage"], 10)
    return sgd_step(network, lambda x: network(x), batch)


def sgd_step(network, logits_of, batch) -> Step:
    optimizer = torch.optim.SGD(network.parameters(), lr=0.025, momentum=0.9, nesterov=True, weight_decay=5e-4)

    def step(seed: int) -> None:
        torch.manual_seed(seed)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(logits_of(batch[0]), batch[1]).backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
        optimizer.step()

    return step


def reference_case(kind: str, spec: ProfileSpec, batch, alpha0: torch.Tensor | None) -> Step:
    """The NB201 authors' networks (xautodl 1.0.0), stepped as their search scripts step them."""
    from xautodl.models import get_search_spaces

    ops = get_search_spaces("cell", "nas-bench-201")
    size = supernet_size(get_space("nb201"), get_profile(get_benchmark(spec.benchmark), spec.profile), spec)
    channels, cells = size["channels"], size["cells_per_stage"]
    torch.manual_seed(0)
    if kind == "discrete":
        from xautodl.models.cell_infers.tiny_network import TinyNetwork
        from xautodl.models.cell_searchs.genotypes import Structure

        network = TinyNetwork(channels, cells, Structure.str2structure(DISCRETE_CELL), 10)
        return sgd_step(network, lambda x: network(x)[1], batch)
    if kind == "darts":
        from xautodl.models.cell_searchs.search_model_darts import TinyNetworkDarts as Net
    else:
        from xautodl.models.cell_searchs.search_model_gdas import TinyNetworkGDAS as Net
    network = Net(channels, cells, 4, 10, ops, False, True)
    if kind == "gdas":
        network.set_tau(10.0)  # τ at epoch 0 of GDAS's schedule (nash's τ at epoch 20 only changes the values)
    w_opt = torch.optim.SGD(network.get_weights(), 0.025, momentum=0.9, nesterov=True, weight_decay=5e-4)
    a_opt = torch.optim.Adam(network.get_alphas(), 3e-4, betas=(0.5, 0.999), weight_decay=1e-3)

    def weight_step() -> None:
        w_opt.zero_grad()
        F.cross_entropy(network(batch[0])[1], batch[1]).backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
        w_opt.step()

    def arch_step() -> None:
        a_opt.zero_grad()
        F.cross_entropy(network(batch[0])[1], batch[1]).backward()
        a_opt.step()

    def step(seed: int) -> None:
        if alpha0 is not None:
            with torch.no_grad():
                network.arch_parameters.copy_(alpha0)
        torch.manual_seed(seed)
        if kind == "darts":  # DARTS-V1.py: arch step, then weight step
            arch_step()
            weight_step()
        else:  # GDAS.py: weight step, then arch step
            weight_step()
            arch_step()

    return step


def measure(name: str, spec: ProfileSpec, variants: list[str], repeats: int, warmup: int) -> dict:
    benchmark = get_benchmark(spec.benchmark)
    shape = (spec.batch, 3, spec.size, spec.size)
    generator = torch.Generator().manual_seed(0)
    batch = (
        torch.randn(shape, generator=generator),
        torch.randint(0, benchmark.num_classes, (spec.batch,), generator=generator),
    )
    space = get_space(benchmark.space)
    alpha0 = (
        1e-3 * torch.randn(space.num_edges, space.num_ops, generator=generator) if name in ("gdas", "rome") else None
    )
    steps: dict[str, Step] = {}
    for variant in variants:
        if variant == "reference":
            if benchmark.space == "nb201" and name in REFERENCE_OF:
                steps[variant] = reference_case(REFERENCE_OF[name], spec, batch, alpha0)
        elif name != "discrete" or variant == "fused":  # the discrete network has no edges to fuse, no mixer
            steps[variant] = nash_case(name, spec, batch, variant, alpha0)
    warm: dict[str, float] = {}
    compile_s: dict[str, float] = {}
    for variant, step in steps.items():  # untimed: allocator, mkldnn, and the compile
        before, started = compile_seconds(), time.perf_counter()
        for round_ in range(warmup):
            step(2000 + round_)
        warm[variant], compile_s[variant] = time.perf_counter() - started, compile_seconds() - before
    times: dict[str, list[float]] = {v: [] for v in steps}
    for round_ in range(repeats):
        for variant, step in steps.items():
            before, started = compile_seconds(), time.perf_counter()
            step(1000 + round_)
            compiling = compile_seconds() - before
            times[variant].append(time.perf_counter() - started - compiling)
            compile_s[variant] += compiling
    medians = {v: statistics.median(t) for v, t in times.items()}

    def ratios_to(base: str) -> dict[str, float]:
        if base not in times:
            return {}
        return {v: statistics.median(a / b for a, b in zip(t, times[base], strict=True)) for v, t in times.items()}

    return {
        "searcher": name,
        "median_seconds": medians,
        "all_seconds": times,
        "vs_reference": ratios_to("reference"),
        "vs_per_edge": ratios_to("per-edge"),
        "vs_fused": ratios_to("fused"),
        "warmup_seconds": warm,
        "compile_seconds": {v: s for v, s in compile_s.items() if is_compiled(v)},
    }


def format_table(results: list[dict], variants: list[str], epoch_steps: int = 0) -> str:
    """Median seconds per variant, ratios to each base present, and (epoch_steps > 0) minutes per epoch."""

    def cell(value: float | None, unit: str = "") -> str:
        return "-" if value is None else f"{value:.2f}{unit}"

    short = {"reference": "ref"}
    ratios = [(v, b) for b in RATIO_BASES if b in variants for v in variants[variants.index(b) + 1 :]]
    epoch_cols = [f"{v} min/epoch" for v in variants] if epoch_steps else []
    compiled = [v for v in variants if is_compiled(v)]
    header = ["searcher", *(f"{v} s" for v in variants), *(f"{v}/{short.get(b, b)}" for v, b in ratios),
              *epoch_cols, *(f"{v} compile s" for v in compiled)]  # fmt: skip
    rows = []
    for r in results:
        med = r["median_seconds"]
        base_ratios = {"reference": r["vs_reference"], "per-edge": r["vs_per_edge"], "fused": r.get("vs_fused", {})}
        rows.append([
            r["searcher"], *(cell(med.get(v)) for v in variants),
            *(cell(base_ratios[b].get(v), "x") for v, b in ratios),
            *(cell(med[v] * epoch_steps / 60 if v in med else None) for v in variants if epoch_steps),
            *(cell(r["compile_seconds"].get(v)) for v in compiled),
        ])  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", default="nb201-cifar10")
    parser.add_argument("--searchers", default=None, help="comma-separated (default: darts,gdas,discrete on NB201, "
                        "darts,gdas,pcdarts,rome elsewhere); `discrete` is the NB201 discrete network")  # fmt: skip
    parser.add_argument("--channels", type=int, default=None, help="C (default: the paper profile's)")
    parser.add_argument("--cells", type=int, default=None, help="NB201 cells per stage N (default: the profile's)")
    parser.add_argument("--layers", type=int, default=None, help="DARTS-space cells (default: the profile's)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per variant (interleaved)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per variant first")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for every variant")
    parser.add_argument(
        "--variants", default=",".join(DEFAULT_VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS)
    )
    parser.add_argument("--no-compile", action="store_true", help="leave out the compiled variants")
    parser.add_argument("--epoch-steps", type=int, default=0,
                        help="also print minutes per epoch of this many steps (NB201 paper: 391)")  # fmt: skip
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    nb201 = get_benchmark(args.benchmark).space == "nb201"
    default = "darts,gdas,discrete" if nb201 else "darts,gdas,pcdarts,rome"
    names = [n.strip() for n in (args.searchers or default).split(",") if n.strip()]
    spec = ProfileSpec(args.benchmark, "paper", args.batch, args.size, channels=args.channels, cells=args.cells,
                       layers=args.layers, threads=args.threads)  # fmt: skip
    chosen = {v.strip() for v in args.variants.split(",")}
    unknown = chosen - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(sorted(unknown))}; valid: {', '.join(VARIANTS)}")
    variants = [
        v
        for v in VARIANTS
        if v in chosen and not (v == "reference" and not nb201) and not (is_compiled(v) and args.no_compile)
    ]
    size = supernet_size(
        get_space(get_benchmark(args.benchmark).space), get_profile(get_benchmark(args.benchmark), "paper"), spec
    )
    facts = device_facts(torch.device("cpu"))
    print(f"device: {facts['device']} (torch {facts['torch']}), {facts['date']}; {args.benchmark} "
          + " ".join(f"{k}={v}" for k, v in size.items()) + f", batch {args.batch}, {args.size}x{args.size}, "
          f"{args.repeats} interleaved repeats after {args.warmup} warm-up", flush=True)  # fmt: skip
    results = []
    for name in names:
        results.append(measure(name, spec, variants, args.repeats, args.warmup))
        print(format_table(results[-1:], variants, args.epoch_steps).splitlines()[-1], flush=True)
    print(format_table(results, variants, args.epoch_steps))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"setting": {**facts, **vars(args), **size}, "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
