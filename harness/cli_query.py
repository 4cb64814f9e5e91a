"""`nash query`: look up one architecture in the tabular oracle (NAS-Bench-201 / NATS-Bench tss or sss).

nash query 1835 --dataset cifar10
54.30 (cifar10 test, 200 epochs, seed mean, accuracy %)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from benchmarks.nb201.oracle import oracle_from
from benchmarks.nb201.table_format import (
    DATASETS,
    EPOCHS,
    EPOCHS_BY_SPACE,
    METRICS,
    ORACLE_ENV_VAR,
    SPLITS,
    UNITS,
    default_split,
)

_DECIMALS = {"accuracy": 2, "loss": 4, "time_per_epoch": 2, "params": 6, "flops": 4, "latency": 6}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `query` sub-command on an argparse sub-parsers object."""
    parser = subparsers.add_parser(
        "query",
        help="look up a NAS-Bench-201 architecture in the tabular oracle",
        description="Print a published NAS-Bench-201 result. Splits: valid = x-valid; test = ori-test "
        "(cifar10, cifar10-valid) or x-test (cifar100, ImageNet16-120); cifar10 has only test.",
    )
    parser.add_argument(
        "arch",
        metavar="ARCH",
        help="official architecture string (tss: '|op~0|+...', sss: '64:64:64:64:64') or integer index",
    )
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--split", choices=SPLITS, help="default: test; model for params, flops, latency")
    parser.add_argument(
        "--epochs", type=int, choices=EPOCHS, help="training budget (default: 200 for tss tables, 90 for sss)"
    )
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
    oracle = oracle_from(args.oracle)  # --oracle, else $NASH_ORACLE, else the embedded table
    arch = args.arch.strip()
    index = oracle.index_of(int(arch) if arch.isdigit() else arch)
    split = args.split or default_split(args.metric)
    epochs = args.epochs or EPOCHS_BY_SPACE[oracle.space][0]
    where = {"dataset": args.dataset, "split": split, "epochs": epochs, "seed": args.seed}
    value = oracle.query(index, metric=args.metric, **where)
    if args.json:
        record = {"arch": oracle.arch_of(index).to_string(), "index": index, **where}
        record.update(seed=str(args.seed).strip(), metric=args.metric, value=value)
        print(json.dumps(record))
    else:
        unit = f" {UNITS[args.metric]}" if UNITS[args.metric] else ""
        text = f"{value:.{_DECIMALS[args.metric]}f}"
        print(f"{text} ({args.dataset} {split}, {epochs} epochs, seed {args.seed}, {args.metric}{unit})")
    return 0
