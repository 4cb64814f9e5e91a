"""Time `nash table build` on the genuine NATS-Bench samples, and loading the result vs the embedded table.

Usage: python scripts/bench_table_build.py [--samples DIR] [--repeats N]

For each sample directory (tss, sss): conversion time (read + convert + save, median of N), output
size, then lazy load, eager load (all columns + checksum) and load + first query for the converted
table and for the embedded topology table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NASH_SHARED_DATA", REPO.parent / "shared" / "data"))
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from benchmarks.nb201.oracle import Nb201Oracle  # noqa: E402
from benchmarks.nb201.table_format import TABLE_FILE  # noqa: E402
from benchmarks.official.convert import convert  # noqa: E402

DEFAULT_SAMPLES = SHARED_DATA / "nats-official-samples"
EMBEDDED = REPO / "benchmarks" / "data" / TABLE_FILE


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def load_row(name: str, path: Path, index: int, dataset: str, repeats: int) -> str:
    lazy = median_ms(lambda: Nb201Oracle.load(path), repeats * 5)
    eager = median_ms(lambda: Nb201Oracle.load(path, eager=True), repeats)
    first = median_ms(lambda: Nb201Oracle.load(path).query(index, dataset=dataset), repeats * 5)
    columns = len(Nb201Oracle.load(path).available())
    size = path.stat().st_size / 2**20
    return f"{name:34} {size:8.2f} {columns:8d} {lazy:10.2f} {first:12.2f} {eager:10.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="default: %(default)s")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    dirs = sorted(args.samples.glob("NATS-*-simple"))
    if not dirs:
        print(f"no NATS-*-simple directories under {args.samples}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'conversion (read + convert + save)':34} {'median ms':>10}")
        outputs = []
        for folder in dirs:
            out = Path(tmp) / f"{folder.name}.npz"
            ms = median_ms(lambda folder=folder, out=out: convert(folder).save(out), args.repeats)
            print(f"{folder.name:34} {ms:10.1f}")
            outputs.append((folder.name, out))
        print()
        print(f"{'table':34} {'MB':>8} {'columns':>8} {'load ms':>10} {'+1st query':>12} {'eager ms':>10}")
        print(load_row("embedded " + TABLE_FILE, EMBEDDED, 1835, "cifar10", args.repeats))
        for name, out in outputs:
            print(load_row(name, out, 11, "cifar10", args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
