"""`nash search`: one search from the command line (its options are defined in `harness.cli.main`)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from harness.cli.arguments import config_overrides
from harness.cli.evaluate import SearchIdentity, evaluate_final_genotype, is_done
from harness.config.file import apply_config_file
from harness.config.objects import RunObjects
from harness.config.run_config import RunConfig, apply_overrides, resolve_config
from harness.run.checkpoint import has_checkpoint
from harness.run.runner import record_evaluation, run_search
from harness.system.run_lock import writer_alive
from reports.summary import format_table, summarize_runs


def search_command(args) -> int:
    objects = RunObjects.of(args.benchmark, args.searcher, args.profile)  # the only name look-up of the search
    if args.evaluate and objects.benchmark.backend != "train":
        raise NashError(f"--evaluate trains the derived cell, but {args.benchmark} is judged by its table; drop it")
    config = search_config_from_args(args, objects)
    oracle = Nb201Oracle.load(args.oracle) if args.oracle else None
    run_dir = Path(args.out) / config.run_id
    fresh = not has_checkpoint(run_dir) and not is_done(run_dir) and not writer_alive(run_dir)  # else: refused
    if args.resume and not args.overwrite and fresh:
        print(f"nash: no checkpoint in {run_dir}; starting the search from epoch 0", file=sys.stderr)
    result = run_search(
        config,
        Path(args.out),
        overwrite=args.overwrite,
        progress=not args.no_progress,
        oracle=oracle,
        resume=args.resume,
        objects=objects,
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


def search_config_from_args(args, objects: RunObjects | None = None) -> RunConfig:
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
        objects=objects,
    )
    if args.config:
        config = apply_config_file(config, args.config, objects)
        if args.epochs is not None:  # the command line wins over the file
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=args.epochs))
    config = apply_overrides(config, config_overrides(args), objects)
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
