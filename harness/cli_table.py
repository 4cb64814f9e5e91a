"""`nash table build`: convert an official NAS-Bench-201 / NATS-Bench file into a nash table.

nash table build --from NATS-tss-v1_0-3ffb9-simple --out nats-tss.npz
nash query 1835 --dataset cifar10 --oracle nats-tss.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError


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
