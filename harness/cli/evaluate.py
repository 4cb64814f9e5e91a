"""`nash evaluate`: train a genotype's evaluation network from scratch (real-training backend)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from harness.system.run_lock import run_lock, run_status
from harness.system.store import RUN_FILE, read_json


def add_parser(sub) -> None:
    from harness.cli.arguments import add_data_root_option

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
    from harness.evaluate.train import evaluate_genotype

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


def is_done(run_dir: Path) -> bool:
    return (run_dir / RUN_FILE).exists() and read_json(run_dir / RUN_FILE).get("status") == "done"


def evaluate_final_genotype(args, config, genotype: str, epochs: int | None = None) -> dict[str, Any]:
    """`nash search --evaluate`: the searched cell, trained with the same profile, seed, data and device.

    With --resume a finished evaluation is reused and an interrupted one continues from its checkpoint.
    Returns the evaluation's id, cost and result, which the search's run.json keeps apart from its own cost.
    """
    from benchmarks.darts.genotype import parse_genotype
    from harness.evaluate.protocol import eval_run_id
    from harness.system.checkpoint import CHECKPOINT_FILE

    eval_dir = Path(args.out) / eval_run_id(config.benchmark, config.profile, config.seed, parse_genotype(genotype))
    resume = args.resume and not args.overwrite
    if resume and is_done(eval_dir):
        print(f"nash: evaluation {eval_dir} is already done", file=sys.stderr)
        facts = read_json(eval_dir / RUN_FILE)
    else:
        print(f"evaluating the final genotype ({config.profile} protocol) ...", flush=True)
        resume = resume and (eval_dir / CHECKPOINT_FILE).exists()
        facts = evaluate_from_args(
            args,
            config.benchmark,
            genotype,
            config.profile,
            config.seed,
            resume=resume,
            epochs=epochs,
            compile=config.compile,
        ).facts
    final = facts["final"]
    return {
        "run_id": facts["run_id"],
        **{k: final[k] for k in ("seconds", "peak_mem_mb", "test_error", "params", "flops")},
    }


def evaluate_search_run(args) -> int:
    """`nash evaluate --from-run RUN_DIR`: train a finished search's final genotype; record it in its run.json."""
    from benchmarks.registry.catalog import get_benchmark
    from harness.run.runner import RunResult, record_evaluation

    run_dir = Path(args.from_run)
    if args.benchmark or args.genotype:
        raise NashError("--from-run takes the benchmark and genotype from the run; drop --benchmark and --genotype")
    facts = _finished_search(run_dir)
    config = facts["config"]
    if get_benchmark(config["benchmark"]).backend != "train":
        raise NashError(
            f"{config['benchmark']} is judged by its table, not by training; use `nash query` for its cells"
        )
    seed = config["seed"] if args.seed is None else args.seed
    search = SearchIdentity(config["benchmark"], args.profile or config["profile"], seed, bool(args.compile))
    args.out = args.out or str(run_dir.parent)
    source = config.get("data", {}).get("source", "embedded")
    if args.data is None and args.data_root is None and source != "embedded":
        args.data = source  # the dataset the search read
    evaluation = evaluate_final_genotype(args, search, facts["final"]["genotype"], epochs=args.epochs)
    # The search's folder: no other process may rewrite run.json meanwhile. The user named it, so a link is followed.
    with run_lock(run_dir.resolve()):
        facts = _finished_search(run_dir)
        record_evaluation(RunResult(run_dir, [], facts), evaluation)
    print(f"recorded in {run_dir / RUN_FILE}")
    return 0


@dataclasses.dataclass(frozen=True)
class SearchIdentity:
    """What `evaluate_final_genotype` needs of a search: its benchmark, profile, seed and compile switch."""

    benchmark: str
    profile: str
    seed: int
    compile: bool = False  # `perf.compile` of the search, or `nash evaluate --compile`


def _finished_search(run_dir: Path) -> dict[str, Any]:
    """The run.json of a finished search run, else a one-line NashError saying what the folder is."""
    if not (run_dir / RUN_FILE).is_file():
        raise NashError(f"{run_dir} holds no {RUN_FILE}; give the folder of a finished `nash search` run")
    facts = read_json(run_dir / RUN_FILE)
    if facts.get("kind") == "evaluation":
        raise NashError(f"{run_dir} is an evaluation run; give the folder of the search whose genotype to train")
    status = run_status(run_dir, facts.get("status"))
    if status != "done":
        raise NashError(
            f"{run_dir} is not a finished search (status: {status}); finish it first with `nash search ... --resume`"
        )
    config, final = facts.get("config"), facts.get("final")
    known = isinstance(config, dict) and {"benchmark", "profile", "seed"} <= set(config)
    if not known or not isinstance(final, dict) or not final.get("genotype"):
        raise NashError(f"{run_dir / RUN_FILE} lacks the search's config or final genotype; it was not written by nash")
    return facts
