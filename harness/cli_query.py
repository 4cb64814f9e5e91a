"""`nash query`: look up one architecture in the NAS-Bench-201 table.

nash query 1835 --dataset cifar10
54.30 (cifar10 test, 200 epochs, seed mean, accuracy %)
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from benchmarks.nb201.oracle import Nb201Oracle, default_oracle
from benchmarks.nb201.table_format import DATASETS, EPOCHS, METRICS, ORACLE_ENV_VAR, SPLITS, UNITS

_DECIMALS = {"accuracy": 2, "loss": 4, "time_per_epoch": 2}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `query` sub-command on an argparse sub-parsers object."""
    parser = subparsers.add_parser(
        "query",
        help="look up a NAS-Bench-201 architecture in the tabular oracle",
        description="Print a published NAS-Bench-201 result. Splits: valid = x-valid; test = ori-test "
        "(cifar10, cifar10-valid) or x-test (cifar100, ImageNet16-120); cifar10 has only test.",
    )
    parser.add_argument("arch", metavar="ARCH", help="official architecture string or integer index (0-15624)")
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--split", default="test", choices=SPLITS, help="default: %(default)s")
    parser.add_argument("--epochs", type=int, default=200, choices=EPOCHS, help="training schedule (default: 200)")
    parser.add_argument("--seed", default="mean", help="mean (default), single, or an integer seed")
    parser.add_argument("--metric", default="accuracy", choices=METRICS, help="default: %(default)s")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--oracle", metavar="FILE", help=f"table file (default: ${ORACLE_ENV_VAR}, else the embedded table)"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the value; errors are raised as NashError for the main CLI to report."""
    path = args.oracle or os.environ.get(ORACLE_ENV_VAR)
    oracle = Nb201Oracle.load(path) if path else default_oracle()
    arch = args.arch.strip()
    index = oracle.index_of(int(arch) if arch.isdigit() else arch)
    where = {"dataset": args.dataset, "split": args.split, "epochs": args.epochs, "seed": args.seed}
    value = oracle.query(index, metric=args.metric, **where)
    if args.json:
        record = {"arch": oracle.arch_of(index).to_string(), "index": index, **where}
        record.update(seed=str(args.seed).strip(), metric=args.metric, value=value)
        print(json.dumps(record))
    else:
        unit = f" {UNITS[args.metric]}" if UNITS[args.metric] else ""
        text = f"{value:.{_DECIMALS[args.metric]}f}"
        print(f"{text} ({args.dataset} {args.split}, {args.epochs} epochs, seed {args.seed}, {args.metric}{unit})")
    return 0
