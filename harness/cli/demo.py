"""`nash demo`: the main searchers on NAS-Bench-201 with one budget of architecture steps, then the story.

The demo is seed `--seed` of the collapse study (docs/STUDY.md): the `study` profile, whose epochs
give every searcher the same number of architecture updates (PC-DARTS one weight-only warm-up
epoch more). The summary says per searcher whether its final cell collapsed by the report's rule,
how its skip / parameter-free counts moved epoch by epoch, the oracle accuracy of its final cell
beside the best and the all-skip cell, and flags a cell whose output does not depend on its input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark
from harness.config.run_config import RunConfig, resolve_config
from harness.run.runner import run_search
from reports.collapse import CollapseRule
from reports.collapse_plot import ORACLE_LANDMARKS
from reports.genotypes import input_reaches_output, parse_cell_ops

DEMO_BENCHMARK = "nb201-cifar10"
# One per mechanism the phenomena are about: the softmax mixture that collapses in the
# literature (DARTS), single-path Gumbel sampling that does not (GDAS), partial channels (PC-DARTS)
# and ROME. darts-v2 costs ~2.5 first-order steps and tells DARTS's story again; `--searchers` adds any.
DEMO_SEARCHERS = ("darts", "gdas", "pcdarts", "rome")
DEMO_PROFILE = "study"
(BEST_ACC, _), (ALL_SKIP_ACC, _) = ORACLE_LANDMARKS["oracle_cifar10_test_200"]  # NB201 table, BENCHMARKS.md


def steps_per_epoch(config: RunConfig) -> int:
    """Search iterations per epoch: the weight half of the (subsampled) train set over the batch size."""
    per_class = config.data.train_per_class
    if per_class is not None:  # class-balanced halves of per_class x classes images
        weight = per_class * get_benchmark(config.benchmark).num_classes // 2
    else:
        from harness.run.data import load_search_sets

        weight = len(load_search_sets(config)[0])
    return math.ceil(weight / config.train.batch_size)  # PairedBatches keeps the last partial batch


def arch_free_epochs(config: RunConfig) -> int:
    """Leading epochs without architecture updates (PC-DARTS's warm-up); 0 for the others."""
    return int(config.searcher_options.get("warmup_epochs", 0) or 0)


def arch_steps(config: RunConfig) -> int:
    """Architecture updates the run makes: one per iteration outside the warm-up epochs."""
    return (config.train.epochs - arch_free_epochs(config)) * steps_per_epoch(config)


def cell_verdict(genotype: str, rule: CollapseRule) -> str:
    """'collapsed' / 'not collapsed' by the report's rule, with a flag when the input cannot reach the output."""
    verdict = "COLLAPSED" if rule.holds(parse_cell_ops(genotype)) else "not collapsed"
    if not input_reaches_output(genotype):
        verdict += "; DISCONNECTED: output does not depend on the input (chance accuracy)"
    return verdict


def searcher_story(rows: list[dict[str, Any]], headline: str, arch_steps: int, rule: CollapseRule) -> list[str]:
    """The summary lines of one searcher's run."""
    last = rows[-1]
    skips = " ".join(str(int(r["skip_count"])) for r in rows)
    free = " ".join(str(int(r["param_free_count"])) for r in rows)
    accuracy = float(last.get(headline, math.nan))
    return [
        f"{last['searcher']}: {cell_verdict(last['genotype'], rule)}",
        f"  final cell        {last['genotype']}",
        f"  arch steps        {arch_steps} over {len(rows)} epochs",
        f"  skip / epoch      {skips}   (of 6)",
        f"  param-free/epoch  {free}   (of 6)",
        f"  oracle accuracy   {accuracy:.2f} %  (best cell {BEST_ACC:.2f}, all-skip cell {ALL_SKIP_ACC:.2f})",
    ]


def demo_command(args) -> int:
    searchers = _chosen_searchers(args.searchers)
    rule = CollapseRule()
    stories = []
    for name in searchers:
        config = resolve_config(DEMO_BENCHMARK, name, DEMO_PROFILE, args.seed, data_root=args.data_root)
        steps = arch_steps(config)
        data = "embedded CIFAR-10 subset" if config.data.source == "embedded" else config.data.source
        print(
            f"searching {DEMO_BENCHMARK} with {name}: {steps} arch steps, {config.train.epochs} epochs "
            f"({DEMO_PROFILE} profile, data: {data}) ...",
            flush=True,
        )
        result = run_search(config, Path(args.out), overwrite=True, progress=not args.no_progress)
        headline = result.summary["headline"]["column"]
        stories.append(searcher_story(result.rows, headline, steps, rule))
    print(f"\nCollapse rule (as `nash report` prints it): {rule.describe()}\n")
    for story in stories:
        print("\n".join(story))
    from benchmarks.safe_files import refuse_link
    from reports.build import ReportOptions
    from reports.staged_output import write_report_staged

    folder = Path(args.out) / "report"
    refuse_link(folder, "report folder")  # nash names it, not the user: a link there is not followed
    report = write_report_staged(args.out, folder, ReportOptions())
    print(f"\nPer-epoch rows: {Path(args.out)}/<run id>/epochs.parquet")
    print(f"Report (tables, plots): {folder / 'index.html'}")
    for plot in (p for p in report.plots if p.name.startswith("collapse_")):
        print(f"Collapse plot: {folder / plot.relative_to(report.folder)}")
    return 0


def _chosen_searchers(text: str | None) -> tuple[str, ...]:
    from searchers.registry import SEARCHERS

    if not text:
        return DEMO_SEARCHERS
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SEARCHERS]
    if unknown or not names:
        raise NashError(f"--searchers: unknown {', '.join(unknown) or '(none given)'}; valid: {', '.join(SEARCHERS)}")
    return names
