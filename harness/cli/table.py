"""`nash query` and `nash table build`: the tabular oracle (NAS-Bench-201 / NATS-Bench tss or sss) from the shell.

nash query 1835 --dataset cifar10
54.30 (cifar10 test, 200 epochs, seed mean, accuracy %)
nash table build --from NATS-tss-v1_0-3ffb9-simple --out nats-tss.npz
nash query 1835 --dataset cifar10 --oracle nats-tss.npz
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
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
from benchmarks.nb201.table_space import check_arch_text

_DECIMALS = {"accuracy": 2, "loss": 4, "time_per_epoch": 2, "params": 6, "flops": 4, "latency": 6}


def add_query_parser(subparsers: Any) -> argparse.ArgumentParser:
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
    parser.set_defaults(func=run_query)
    return parser


def run_query(args: argparse.Namespace) -> int:
    """Print the value; errors are raised as NashError for the main CLI to report."""
    oracle = oracle_from(args.oracle)  # --oracle, else $NASH_ORACLE, else the embedded table
    arch = check_arch_text(args.arch)
    index = oracle.index_of(int(arch) if arch.isdecimal() else arch)  # isdigit() takes '²', which int() refuses
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


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `table` and its `build` sub-command on an argparse sub-parsers object."""
    parser = subparsers.add_parser("table", help="build tabular-oracle files from the official benchmark files")
    sub = parser.add_subparsers(dest="table_command", required=True, metavar="ACTION")
    build = sub.add_parser(
        "build",
        help="convert a NATS-Bench '-simple' directory or .pickle.pbz2 archive, or a NAS-Bench-201 .pth",
        description="Convert an official benchmark file into the compact table `nash query` and `nash search` "
        "read with --oracle FILE or $NASH_ORACLE. Every dataset, split, epoch budget and seed is kept, "
        "with the seed mean, params, FLOPs and latency. Files are read with an allow-list: nothing in them runs.",
    )
    build.add_argument("--from", dest="source", required=True, type=Path, metavar="PATH", help="official file or dir")
    build.add_argument("--out", required=True, type=Path, metavar="FILE", help="table to write (.npz)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(func=run_build)
    return parser


def run_build(args: argparse.Namespace) -> int:
    from benchmarks.nb201.oracle import Nb201Oracle
    from benchmarks.official.convert import convert

    out: Path = args.out
    if out.exists() and out.is_dir():
        raise NashError(f"--out {out} is a directory; give a file name such as {out / 'table.npz'}")
    if not out.parent.is_dir():
        raise NashError(f"folder {out.parent} of --out does not exist")
    started = time.perf_counter()
    table = convert(args.source, progress=not args.no_progress)
    table.save(out)  # through a temporary name: a failure leaves no partial file
    table = Nb201Oracle.load(out, eager=True)  # read back and verify: what is reported is what was written
    meta = table.meta
    size = out.stat().st_size / 2**20
    print(
        f"wrote {out} ({size:.2f} MB): {meta['space']} space, {len(table)} architectures, "
        f"{meta['source']['architectures_with_results']} with results, {len(table.available())} columns, "
        f"from {meta['source']['file']} in {time.perf_counter() - started:.1f} s"
    )
    print(f"checksum {meta['checksum_sha256']}; use it with --oracle {out} or NASH_ORACLE={out}")
    return 0
