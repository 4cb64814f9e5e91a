"""Time `reports.runs.load_runs`, or a whole `nash report` (`--report`), on synthetic run folders shaped like
a real sweep's (4 searchers x 2 NB201 benchmarks, with the α trajectory and a searcher's own column).

python scripts/bench_load_runs.py --runs 2000 --epochs 50
python scripts/bench_load_runs.py --runs 12 --epochs 50 --report
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.build import write_report  # noqa: E402
from reports.runs import load_runs  # noqa: E402

SEARCHERS = ("darts", "gdas", "pcdarts", "rome")
BENCHMARKS = ("nb201-cifar10", "nb201-cifar100")  # the genotypes are NB201 strings
NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def nb201_string(rng: np.random.Generator) -> str:
    ops = rng.choice(NB201_OPS, size=6)
    nodes = [[0], [1, 2], [3, 4, 5]]
    return "+".join("|" + "|".join(f"{ops[k]}~{i}" for i, k in enumerate(node)) + "|" for node in nodes)


def arch_weights(rng: np.random.Generator) -> str:
    edges = ("1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2")
    rows = np.round(rng.dirichlet(np.ones(len(NB201_OPS)), size=len(edges)), 6).tolist()
    weights = {edge: dict(zip(NB201_OPS, row, strict=True)) for edge, row in zip(edges, rows, strict=True)}
    return json.dumps({"alpha": weights})


def write_run(folder: Path, index: int, epochs: int, rng: np.random.Generator) -> None:
    searcher, benchmark = SEARCHERS[index % 4], BENCHMARKS[(index // 4) % 2]
    seed = index // 8
    run_id = f"{benchmark}__{searcher}__quick__seed{seed}"
    run_dir = folder / f"sweep{index % 3}" / run_id
    run_dir.mkdir(parents=True)
    config = {
        "benchmark": benchmark, "searcher": searcher, "profile": "quick", "seed": seed,
        "network": {"channels": 8, "cells_per_stage": 1}, "train": {"lr": 0.025, "epochs": epochs, "batch_size": 64},
        "data": {"source": "embedded", "train_per_class": 500}, "searcher_options": {"k": 2}, "device": "cpu",
    }  # fmt: skip
    facts = {"run_id": run_id, "status": "done", "config": config, "search_seconds": 100.0, "device": "cpu",
             "git_commit": "0" * 40, "versions": {"python": "3.11"}}  # fmt: skip
    (run_dir / "run.json").write_text(json.dumps(facts))
    acc = rng.uniform(50, 94, epochs)
    frame = pd.DataFrame(
        {
            "run_id": run_id, "benchmark": benchmark, "searcher": searcher, "profile": "quick", "seed": seed,
            "epoch": np.arange(epochs), "genotype": [nb201_string(rng) for _ in range(epochs)],
            "skip_count": rng.integers(0, 7, epochs), "param_free_count": rng.integers(0, 7, epochs),
            "train_loss": rng.random(epochs), "train_acc": rng.random(epochs) * 100, "val_loss": rng.random(epochs),
            "val_acc": rng.random(epochs) * 100, "tau": np.nan, "lr_weights": 0.025, "lr_arch": 3e-4,
            "arch_entropy": rng.random(epochs), "oracle_cifar10valid_valid_200": acc - 3,
            "oracle_cifar10_test_200": acc, "oracle_cifar100_test_200": acc - 20,
            "oracle_imagenet16_test_200": acc - 45,
            "hessian_eigenvalue": rng.random(epochs), "supernet_kendall_tau": rng.uniform(-1, 1, epochs),
            "epoch_seconds": rng.random(epochs), "peak_mem_mb": 400.0, "device": "cpu",
            "arch_weights": [arch_weights(rng) for _ in range(epochs)], "plugin_share": rng.random(epochs),
        }
    )  # fmt: skip
    frame.to_parquet(run_dir / "epochs.parquet", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--report", action="store_true", help="time a whole report (write_report) instead")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        for index in range(args.runs):
            write_run(folder, index, args.epochs, rng)
        print(f"wrote {args.runs} runs x {args.epochs} epochs in {time.perf_counter() - started:.1f} s")
        started, cpu = time.perf_counter(), time.process_time()
        if args.report:
            report = write_report(folder, folder / "report")
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"nash report: {report.runs} runs x {args.epochs} epochs, {len(report.tables)} tables, "
                  f"{len(report.plots)} figures in {seconds:.1f} s ({cpu:.1f} s of CPU)")  # fmt: skip
            return
        frame = load_runs(folder)
        seconds = time.perf_counter() - started
    print(
        f"load_runs: {len(frame)} rows, {frame.shape[1]} columns, {args.runs} runs in {seconds:.2f} s "
        f"({len(frame) / seconds:,.0f} rows/s, {args.runs / seconds:,.0f} runs/s)"
    )


if __name__ == "__main__":
    main()
