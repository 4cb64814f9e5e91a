"""What the `nash` sub-commands do (argument parsing lives in `harness.cli`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.registry import BENCHMARKS, get_benchmark
from harness.config import apply_overrides, resolve_config
from harness.runner import run_search
from reports.summary import format_table, summarize_runs
from searchers.registry import DESCRIPTIONS, SEARCHERS

DEMO_BENCHMARK = "nb201-cifar10"


def search_command(args) -> int:
    if args.evaluate and get_benchmark(args.benchmark).backend != "train":
        raise NashError(f"--evaluate trains the derived cell, but {args.benchmark} is judged by its table; drop it")
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
    config = apply_overrides(config, args.overrides)
    config = _with_analysis_flags(config, args)
    oracle = Nb201Oracle.load(args.oracle) if args.oracle else None
    result = run_search(config, Path(args.out), overwrite=args.overwrite, progress=not args.no_progress, oracle=oracle)
    print(format_table(summarize_runs([result.summary], [result.rows])))
    print(f"results: {result.run_dir}")
    if args.evaluate:
        evaluate_final_genotype(args, config, result.rows[-1]["genotype"])
    return 0


def _with_analysis_flags(config, args):
    """--track-eigenvalue / --rank-every, shorthands of --set analysis.eigenvalue_every / rank_every."""
    flags = {"eigenvalue_every": args.track_eigenvalue, "rank_every": args.rank_every}
    chosen = {name: value for name, value in flags.items() if value is not None}
    return dataclasses.replace(config, analysis=dataclasses.replace(config.analysis, **chosen)) if chosen else config


def evaluate_final_genotype(args, config, genotype: str) -> None:
    """`nash search --evaluate`: the searched cell, trained with the same profile, seed, data and device."""
    from harness.cli_evaluate import evaluate_from_args

    print(f"evaluating the final genotype ({config.profile} protocol) ...", flush=True)
    evaluate_from_args(args, config.benchmark, genotype, config.profile, config.seed)


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
