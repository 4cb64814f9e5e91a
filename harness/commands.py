"""What the `nash` sub-commands do (argument parsing lives in `harness.cli`)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.registry import BENCHMARKS, get_benchmark
from harness.config import RunConfig, apply_overrides, resolve_config
from harness.config_file import apply_config_file
from harness.runner import record_evaluation, run_search
from harness.search_checkpoint import has_checkpoint
from harness.store import RUN_FILE, read_json
from reports.summary import format_table, summarize_runs
from searchers.registry import DESCRIPTIONS, SEARCHERS

DEMO_BENCHMARK = "nb201-cifar10"


def search_command(args) -> int:
    if args.evaluate and get_benchmark(args.benchmark).backend != "train":
        raise NashError(f"--evaluate trains the derived cell, but {args.benchmark} is judged by its table; drop it")
    config = search_config_from_args(args)
    oracle = Nb201Oracle.load(args.oracle) if args.oracle else None
    run_dir = Path(args.out) / config.run_id
    if args.resume and not args.overwrite and not has_checkpoint(run_dir) and not _is_done(run_dir):
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
        evaluation = evaluate_final_genotype(args, config, result.rows[-1]["genotype"])
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
    config = apply_overrides(config, args.overrides)
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


def evaluate_final_genotype(args, config, genotype: str) -> dict[str, Any]:
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
            args, config.benchmark, genotype, config.profile, config.seed, resume=resume, compile=config.perf.compile
        ).facts
    final = facts["final"]
    return {
        "run_id": facts["run_id"],
        **{k: final[k] for k in ("seconds", "peak_mem_mb", "test_error", "params", "flops")},
    }


def demo_command(args) -> int:
    """Each registered searcher on the demo benchmark, quick profile; CIFAR-10 from the data root when it has one."""
    summaries, row_sets = [], []
    for name in SEARCHERS:
        config = resolve_config(DEMO_BENCHMARK, name, "quick", args.seed, data_root=args.data_root)
        data = "embedded CIFAR-10 subset" if config.data.source == "embedded" else config.data.source
        print(
            f"searching {DEMO_BENCHMARK} with {name} ({config.train.epochs} epochs, quick profile, data: {data}) ...",
            flush=True,
        )
        result = run_search(config, Path(args.out), overwrite=True, progress=not args.no_progress)
        summaries.append(result.summary)
        row_sets.append(result.rows)
    print()
    print(format_table(summarize_runs(summaries, row_sets)))
    print(
        "\nReference (NB201 table, cifar10 test, 200 epochs, seed mean): best cell 94.37, all-skip cell 54.30."
        f"\nPer-epoch rows: {Path(args.out)}/<run id>/epochs.parquet"
    )
    from reports.build import write_report

    report = write_report(args.out, Path(args.out) / "report")
    print(f"Report (tables, plots): {report.folder / 'index.html'}")
    return 0


def list_benchmarks(_args) -> int:
    for bench in BENCHMARKS.values():
        print(f"{bench.name}  (space {bench.space}, dataset {bench.dataset}, judged by: {bench.backend})")
        print(f"    {bench.description}")
        for profile in bench.profiles.values():
            print(f"    profile {profile.name}: {profile.description}")
    return 0


def list_searchers(_args) -> int:
    for name in SEARCHERS:
        print(f"{name:8s} {DESCRIPTIONS[name]}")
    return 0
