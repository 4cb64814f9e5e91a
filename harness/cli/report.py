"""`nash report RUNS --out DIR`: tables, plots and an index.html over every run under a folder.

nash report runs/ --out report/
nash report runs/ --out report/ --cells-at 0,10,25
nash report ../runs/paper --out report/ --unfinished   # long searches as far as they got
nash report runs/ --out report/ --collapse-measure param_free --collapse-threshold 4 --no-published
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `report` on an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "report",
        help="collapse statistics, Kendall tau, paper tables and plots over a results folder",
        description="Load every run under RUNS (searches, evaluations, sweeps) and write tables (Markdown, "
        "LaTeX, CSV), plots (PNG, PDF), index.html and index.md to --out. Needs no torch.",
    )
    p.add_argument("runs", metavar="RUNS", help="results folder (the --out of nash search / sweep / demo)")
    p.add_argument("--out", required=True, help="report folder to write")
    p.add_argument(
        "--collapse-measure",
        choices=("skip", "param_free"),
        default="skip",
        help="DARTS-family collapse counts skip_connect (default) or all parameter-free ops of the normal cell",
    )
    p.add_argument(
        "--collapse-threshold", type=int, default=3, help="DARTS-family: collapsed at >= this many ops (default 3)"
    )
    p.add_argument(
        "--nb201-collapse-threshold",
        type=int,
        default=None,
        help="NB201: collapsed at >= this many parameter-free ops of 6 (default: all 6)",
    )
    p.add_argument(
        "--published",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="put the papers' published numbers beside ours and mark differences (default: on)",
    )
    p.add_argument(
        "--cells-at",
        type=_epoch_list,
        default=(),
        metavar="EPOCHS",
        help="also draw each run's cell at these search epochs, e.g. 0,10,25 (the final cell is always drawn)",
    )
    p.add_argument(
        "--unfinished",
        action="store_true",
        help="also report runs still running, interrupted or failed, as far as they got: each its own row, "
        "labelled with its status and epochs done, never compared with published values",
    )
    p.set_defaults(func=run_report)
    return p


def _epoch_list(text: str) -> tuple[int, ...]:
    """`--cells-at 0,10,25`: at most 20 non-negative whole epochs."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or len(parts) > 20 or not all(part.isdigit() and len(part) <= 6 for part in parts):
        raise argparse.ArgumentTypeError(f"expected up to 20 epochs as whole numbers, e.g. 0,10,25; got {text[:40]!r}")
    return tuple(sorted({int(part) for part in parts}))


def run_report(args: argparse.Namespace) -> int:
    from reports.build import ReportOptions
    from reports.collapse import CollapseRule
    from reports.staged_output import write_report_staged

    rule = CollapseRule(args.collapse_measure, args.collapse_threshold, args.nb201_collapse_threshold)
    command = ("nash", "report", *sys.argv[2:]) if sys.argv[1:2] == ["report"] else ()  # as typed, for provenance
    options = ReportOptions(
        rule=rule, published=args.published, command=command, cell_epochs=args.cells_at, unfinished=args.unfinished
    )
    report = write_report_staged(args.runs, args.out, options)
    print(f"report of {report.runs} search runs: {len(report.tables)} tables, {len(report.plots)} plots")
    for note in report.notes:
        print(f"  {note}")
    print(f"open {Path(args.out) / 'index.html'} (or index.md)")
    return 0
