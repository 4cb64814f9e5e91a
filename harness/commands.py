"""What the `nash` sub-commands do (argument parsing lives in `harness.cli`)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.registry import get_benchmark
from harness.cli import config_overrides
from harness.config import RunConfig, apply_overrides, resolve_config
from harness.config_file import apply_config_file
from harness.run_lock import run_lock, run_status, writer_alive
from harness.runner import RunResult, record_evaluation, run_search
from harness.search_checkpoint import has_checkpoint
from harness.store import RUN_FILE, read_json
from reports.summary import format_table, summarize_runs


def search_command(args) -> int:
    if args.evaluate and get_benchmark(args.benchmark).backend != "train":
        raise NashError(f"--evaluate trains the derived cell, but {args.benchmark} is judged by its table; drop it")
    config = search_config_from_args(args)
    oracle = Nb201Oracle.load(args.oracle) if args.oracle else None
    run_dir = Path(args.out) / config.run_id
    fresh = not has_checkpoint(run_dir) and not _is_done(run_dir) and not writer_alive(run_dir)  # else: refused
    if args.resume and not args.overwrite and fresh:
        print(f"nash: no checkpoint in {run_dir}; starting the search from epoch 0", file=sys.stderr)
    result = run_search(
        config,
        Path(args.out),
        overwrite=args.overwrite,
        progress=not args.no_progress,
        oracle=oracle,
        resume=args.resume,
    )
    if result.already_done:
        print(f"nash: {result.run_dir} is already done; nothing to resume", file=sys.stderr)
    elif "resumed_from_epoch" in result.summary:
        print(f"resumed from epoch {result.summary['resumed_from_epoch']}", file=sys.stderr)
    print(format_table(summarize_runs([result.summary], [result.rows])))
    print(f"results: {result.run_dir}")
    if args.evaluate:
        search = SearchIdentity(config.benchmark, config.profile, config.seed, config.perf.compile)
        evaluation = evaluate_final_genotype(args, search, result.rows[-1]["genotype"])
        record_evaluation(result, evaluation)
    return 0


def search_config_from_args(args) -> RunConfig:
    """Profile, then --config FILE, then --epochs, then each --set (the last one wins), then --deterministic."""
    config = resolve_config(
        args.benchmark,
        args.searcher,
        args.profile,
        args.seed,
        epochs=args.epochs,
        data=args.data,
        data_root=args.data_root,
        device=args.device,
    )
    if args.config:
        config = apply_config_file(config, args.config)
        if args.epochs is not None:  # the command line wins over the file
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=args.epochs))
    config = apply_overrides(config, config_overrides(args))
    config = _with_analysis_flags(config, args)
    if args.deterministic:
        config = dataclasses.replace(config, deterministic=True)
    if config.train.epochs < 1:
        raise NashError(f"train.epochs must be at least 1, got {config.train.epochs}")
    return config


def _with_analysis_flags(config, args):
    """--track-eigenvalue / --rank-every, shorthands of --set analysis.eigenvalue_every / rank_every."""
    flags = {"eigenvalue_every": args.track_eigenvalue, "rank_every": args.rank_every}
    chosen = {name: value for name, value in flags.items() if value is not None}
    return dataclasses.replace(config, analysis=dataclasses.replace(config.analysis, **chosen)) if chosen else config


def _is_done(run_dir: Path) -> bool:
    return (run_dir / RUN_FILE).exists() and read_json(run_dir / RUN_FILE).get("status") == "done"


def evaluate_final_genotype(args, config, genotype: str, epochs: int | None = None) -> dict[str, Any]:
    """`nash search --evaluate`: the searched cell, trained with the same profile, seed, data and device.

    With --resume a finished evaluation is reused and an interrupted one continues from its checkpoint.
    Returns the evaluation's id, cost and result, which the search's run.json keeps apart from its own cost.
    """
    from benchmarks.darts.genotype import parse_genotype
    from harness.checkpoint import CHECKPOINT_FILE
    from harness.cli_evaluate import evaluate_from_args
    from harness.eval_protocol import eval_run_id

    eval_dir = Path(args.out) / eval_run_id(config.benchmark, config.profile, config.seed, parse_genotype(genotype))
    resume = args.resume and not args.overwrite
    if resume and _is_done(eval_dir):
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
    with run_lock(run_dir):  # the search's folder: no other process may rewrite run.json meanwhile
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
