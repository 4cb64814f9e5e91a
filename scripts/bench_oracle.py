"""Benchmark the embedded NAS-Bench-201 oracle against the official `nats_bench` API.

Usage: python scripts/bench_oracle.py [--table FILE] [--nats-dir DIR] [--json]

Without the official-format samples (a fresh clone has none) it measures ours only and says
what the comparison needs.

Ours: load time (fresh load each run), memory (array bytes, and the RSS increase measured
in a fresh subprocess), one query, and the all-15,625-cells query. nats_bench: the same
operations through `nats_bench.create(DIR, 'tss', fast_mode=True)` on the genuine
official-format sample directory, which holds the meta file and the per-architecture
files of indexes 0, 11 and 284. nats_bench cannot answer for all cells from that sample,
so its all-cells time and memory are extrapolations (per-architecture cost x 15,625),
labelled as such. The script also checks that both give the same cifar10 ori-test
200-epoch seed-mean accuracy for those three indexes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# The project's shared data sits beside the checkout; NASH_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("NASH_SHARED_DATA", REPO.parent / "shared" / "data"))
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from benchmarks.nb201.arch import NUM_ARCHS  # noqa: E402
from benchmarks.nb201.oracle import Nb201Oracle  # noqa: E402
from benchmarks.nb201.table_format import TABLE_FILE  # noqa: E402

DEFAULT_TABLE = REPO / "benchmarks" / "data" / TABLE_FILE
DEFAULT_NATS = SHARED_DATA / "nats-official-samples/NATS-tss-v1_0-3ffb9-simple"
SAMPLE_INDEXES = (0, 11, 284)
WHERE = {"dataset": "cifar10", "split": "test", "epochs": 200, "seed": "mean"}

# Run in a fresh interpreter: RSS after imports, then after loading and touching everything.
_RSS_SNIPPET = """
import json, os, sys
def rss(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
{imports}
before = rss()
{work}
print(json.dumps({{"before": before, "after": rss()}}))
"""
_OURS_RSS = ("from benchmarks.nb201.oracle import Nb201Oracle", "o = Nb201Oracle.load(sys.argv[1], eager=True)")
_NATS_RSS = (
    "import nats_bench",
    "api = nats_bench.create(sys.argv[1], 'tss', fast_mode=True, verbose=False)\n"
    "mid = rss()\n"
    f"api.get_more_info({SAMPLE_INDEXES[0]}, 'cifar10', hp='200', is_random=False)\n"
    "first = rss()\n"
    f"for i in {SAMPLE_INDEXES[1:]}: api.get_more_info(i, 'cifar10', hp='200', is_random=False)\n"
    "print(json.dumps({'mid': mid, 'first': first}))",
)


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call_seconds(fn: Callable[[], Any], calls: int = 200, batches: int = 25) -> float:
    """Median over batches of the mean time per call: timer overhead stays out of µs numbers."""
    return median_seconds(lambda: [fn() for _ in range(calls)], batches) / calls


def rss_increase(snippet: tuple[str, str], arg: Path) -> dict[str, int]:
    code = _RSS_SNIPPET.format(imports=snippet[0], work=snippet[1])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-P", "-c", code, str(arg)]  # -P: no modules from the working folder
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    result: dict[str, int] = {}
    for line in out.stdout.splitlines():
        result.update(json.loads(line))
    return result


def bench_ours(table: Path) -> dict[str, Any]:
    oracle = Nb201Oracle.load(table, eager=True)
    arch = oracle.arch_of(1835)
    string = arch.to_string()
    cells = np.arange(NUM_ARCHS)
    arrays = oracle.op_indices.nbytes + oracle._index_of_code.nbytes  # noqa: SLF001 (measuring, not using)
    arrays += sum(
        oracle.column(metric=m, dataset=d, split=s, epochs=e, seed=sd).nbytes for m, d, s, e, sd in oracle.available()
    )
    rss = rss_increase(_OURS_RSS, table)

    def first_query() -> None:
        Nb201Oracle.load(table).query(1835, **WHERE)

    return {
        "load_ms": median_seconds(lambda: Nb201Oracle.load(table), 21) * 1e3,
        "load_eager_ms": median_seconds(lambda: Nb201Oracle.load(table, eager=True), 11) * 1e3,
        "load_and_first_query_ms": median_seconds(first_query, 21) * 1e3,
        "array_mb": arrays / 2**20,
        "compressed_mb": table.stat().st_size / 2**20,  # held in memory until every column is read
        "rss_increase_mb": (rss["after"] - rss["before"]) / 2**20,
        "query_index_us": per_call_seconds(lambda: oracle.query(1835, **WHERE)) * 1e6,
        "query_string_us": per_call_seconds(lambda: oracle.query(string, **WHERE)) * 1e6,
        "query_arch_us": per_call_seconds(lambda: oracle.query(arch, **WHERE)) * 1e6,
        "all_cells_ms": median_seconds(lambda: oracle.query_many(cells, **WHERE), 51) * 1e3,
        "all_cells_range_ms": median_seconds(lambda: oracle.query_many(range(NUM_ARCHS), **WHERE), 51) * 1e3,
        "values": {i: oracle.query(i, **WHERE) for i in SAMPLE_INDEXES},
    }


def bench_nats(directory: Path) -> dict[str, Any]:
    import nats_bench

    def create() -> Any:
        return nats_bench.create(str(directory), "tss", fast_mode=True, verbose=False)

    def info(api: Any, index: int) -> dict[str, Any]:
        return api.get_more_info(index, "cifar10", hp="200", is_random=False)

    cold = []  # first query of an index on a fresh API object: includes reading its file
    for _ in range(5):
        api = create()
        for index in SAMPLE_INDEXES:
            start = time.perf_counter()
            info(api, index)
            cold.append(time.perf_counter() - start)
    rss = rss_increase(_NATS_RSS, directory)
    # Marginal cost of the 2nd and 3rd index: one-time costs of the first file read stay out.
    per_arch_bytes = (rss["after"] - rss["first"]) / (len(SAMPLE_INDEXES) - 1)
    cold_s = statistics.median(cold)
    return {
        "create_ms": median_seconds(create, 7) * 1e3,
        "query_cold_ms": cold_s * 1e3,
        "query_warm_us": per_call_seconds(lambda: info(api, 284), calls=100, batches=11) * 1e6,
        "rss_create_mb": (rss["mid"] - rss["before"]) / 2**20,
        "rss_per_arch_mb": per_arch_bytes / 2**20,
        "rss_first_query_mb": (rss["first"] - rss["mid"]) / 2**20,
        "rss_all_cells_mb_extrapolated": (rss["mid"] - rss["before"] + per_arch_bytes * NUM_ARCHS) / 2**20,
        "all_cells_s_extrapolated": cold_s * NUM_ARCHS,
        "values": {i: info(api, i)["test-accuracy"] for i in SAMPLE_INDEXES},
    }


def report(ours: dict[str, Any], nats: dict[str, Any] | None) -> str:
    if nats is None:
        return "\n".join(_ours_lines(ours))
    rows = [
        ("load / create (ms)", ours["load_ms"], nats["create_ms"], ""),
        (
            "load + first query, cold (ms)",
            ours["load_and_first_query_ms"],
            nats["create_ms"] + nats["query_cold_ms"],
            "",
        ),
        ("one query, warm (µs)", ours["query_index_us"], nats["query_warm_us"], "ours by index"),
        ("all 15,625 cells (ms)", ours["all_cells_ms"], nats["all_cells_s_extrapolated"] * 1e3, "nats: EXTRAPOLATED"),
        (
            "memory, RSS increase (MB)",
            ours["rss_increase_mb"],
            nats["rss_all_cells_mb_extrapolated"],
            "nats: EXTRAPOLATED",
        ),
    ]
    lines = [f"{'operation':32} {'ours':>12} {'nats_bench':>12} {'ratio':>10}  note", "-" * 86]
    for name, a, b, note in rows:
        lines.append(f"{name:32} {a:12.3f} {b:12.3f} {b / a:9,.0f}x  {note}")
    lines += [
        "",
        *_ours_lines(ours),
        f"nats_bench: create() {nats['create_ms']:.1f} ms, RSS {nats['rss_create_mb']:.1f} MB; first query of an index "
        f"(reads its file) {nats['query_cold_ms']:.1f} ms; RSS +{nats['rss_first_query_mb']:.2f} MB for the first "
        f"index, +{nats['rss_per_arch_mb']:.2f} MB for each further one",
        f"nats_bench EXTRAPOLATED to all cells: {nats['all_cells_s_extrapolated']:.0f} s and "
        f"{nats['rss_all_cells_mb_extrapolated']:.0f} MB (marginal per-index cost x {NUM_ARCHS}; the sample holds 3)",
        "",
        "cifar10 ori-test, 200 epochs, seed mean: ours vs nats_bench",
    ]
    for i in SAMPLE_INDEXES:
        a, b = ours["values"][i], nats["values"][i]
        lines.append(f"  index {i:5d}: {a:.6f} vs {b:.6f}  {'equal' if abs(a - b) < 1e-9 else 'DIFFERENT'}")
    return "\n".join(lines)


def _ours_lines(ours: dict[str, Any]) -> list[str]:
    return [
        f"ours: lazy load {ours['load_ms']:.2f} ms (columns decompressed on first use); "
        f"eager load + checksum {ours['load_eager_ms']:.2f} ms; "
        f"load + first query {ours['load_and_first_query_ms']:.2f} ms",
        f"ours: arrays {ours['array_mb']:.2f} MB (+ the {ours['compressed_mb']:.2f} MB file, held until every column "
        f"is read); RSS increase {ours['rss_increase_mb']:.2f} MB (fresh process, all columns read)",
        f"ours: one query by index {ours['query_index_us']:.2f} µs, by string {ours['query_string_us']:.2f} µs "
        f"(parse cached), by Nb201Arch {ours['query_arch_us']:.2f} µs",
        f"ours: all {NUM_ARCHS:,} cells, query_many of an index array {ours['all_cells_ms']:.3f} ms, "
        f"of range({NUM_ARCHS}) {ours['all_cells_range_ms']:.3f} ms",
    ]


def nats_comparison_missing(directory: Path) -> str | None:
    """Why the nats_bench side cannot run here, or None when it can."""
    if importlib.util.find_spec("nats_bench") is None:
        return "the nats_bench package is not installed (pip install nats_bench)"
    if not (directory / "meta.pickle.pbz2").is_file():
        return (
            f"it needs the official-format sample directory {DEFAULT_NATS.name}/ (meta.pickle.pbz2 and the files of "
            f"indexes {', '.join(map(str, SAMPLE_INDEXES))}); not found at {directory}: pass --nats-dir DIR or set "
            "NASH_SHARED_DATA to the folder holding nats-official-samples/"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="default: %(default)s")
    parser.add_argument("--nats-dir", type=Path, default=DEFAULT_NATS, help="default: %(default)s")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if not args.table.is_file():
        print(f"bench_oracle: error: no table file at {args.table}; pass --table FILE", file=sys.stderr)
        return 2
    missing = nats_comparison_missing(args.nats_dir)
    if missing and args.nats_dir != DEFAULT_NATS:  # asked for by name: a user error
        print(f"bench_oracle: error: --nats-dir {args.nats_dir}: {missing}", file=sys.stderr)
        return 2
    ours = bench_ours(args.table)
    if missing:
        print(f"bench_oracle: no nats_bench comparison: {missing}", file=sys.stderr)
        print(json.dumps({"ours": ours}, indent=1) if args.json else report(ours, None))
        return 0
    nats = bench_nats(args.nats_dir)
    same = all(abs(ours["values"][i] - nats["values"][i]) < 1e-9 for i in SAMPLE_INDEXES)
    if args.json:
        print(json.dumps({"ours": ours, "nats_bench": nats, "values_equal": same}, indent=1))
    else:
        print(report(ours, nats))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
