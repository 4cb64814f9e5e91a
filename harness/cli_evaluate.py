"""`nash evaluate`: train a genotype's evaluation network from scratch (real-training backend)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.errors import NashError


def add_parser(sub) -> None:
    from harness.cli import add_data_root_option

    p = sub.add_parser("evaluate", help="train a DARTS-family genotype from scratch and record its test error")
    p.add_argument(
        "--from-run",
        metavar="RUN_DIR",
        default=None,
        help="a finished search's folder: train its final genotype (its benchmark, profile and seed) and record the "
        "result in its run.json, instead of --benchmark and --genotype (default: none)",
    )
    p.add_argument("--benchmark", default=None, help="a DARTS-family benchmark, e.g. s2-cifar10 (no default)")
    p.add_argument(
        "--genotype", default=None, help="Genotype(normal=[...], normal_concat=[...], reduce=..., ...) (no default)"
    )
    p.add_argument(
        "--profile",
        default=None,
        help="quick (seconds-minutes on a CPU) or paper (published protocol) (default: quick, or the search's "
        "with --from-run)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the weights, data order and augmentation (default: 0, or the search's with --from-run)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="results folder; the run goes to <out>/<run id>/ (default: runs, or the folder holding RUN_DIR)",
    )
    p.add_argument(
        "--epochs", type=int, default=None, help="override the protocol's number of epochs (default: the protocol's)"
    )
    p.add_argument(
        "--data", default=None, help="the benchmark's dataset itself on disk (default: found under the data root)"
    )
    add_data_root_option(p)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--resume", action="store_true", help="continue from the run's last epoch checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier run of the same genotype and seed")
    p.add_argument("--no-progress", action="store_true", help="no per-epoch lines")
    p.add_argument("--compile", action="store_true", help="torch.compile the network's blocks (cache on disk)")
    p.set_defaults(func=evaluate_command)


def evaluate_command(args) -> int:
    if args.from_run:
        from harness.commands import evaluate_search_run

        return evaluate_search_run(args)
    if not args.benchmark or not args.genotype:
        raise NashError("nash evaluate needs --benchmark and --genotype, or --from-run RUN_DIR (a finished search)")
    args.profile = args.profile or "quick"
    args.seed = 0 if args.seed is None else args.seed
    args.out = args.out or "runs"
    evaluate_from_args(
        args,
        args.benchmark,
        args.genotype,
        args.profile,
        args.seed,
        epochs=args.epochs,
        resume=args.resume,
        compile=args.compile,
    )
    return 0


def evaluate_from_args(args, benchmark: str, genotype, profile: str, seed: int, **extra):
    """Train `genotype` with the command line's output, data, device and overwrite choices; print the figures."""
    from harness.evaluate import evaluate_genotype

    result = evaluate_genotype(
        benchmark,
        genotype,
        profile,
        seed,
        Path(args.out),
        data=args.data,
        data_root=args.data_root,
        device=args.device,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        **extra,
    )
    print_evaluation(result)
    return result


def print_evaluation(result) -> None:
    """The final figures of an evaluation run as one JSON line, then its folder."""
    final = result.facts["final"]
    print(json.dumps({k: final[k] for k in ("test_error", "params", "params_with_aux", "flops", "seconds")}))
    print(f"results: {result.run_dir}")
