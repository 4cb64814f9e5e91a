"""A results folder written by hand in the store's format: searches, an evaluation, damaged runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tests.reports.handmade import NB201_GOOD, NB201_SKIPS, darts_string

HEADLINE = {"column": "oracle_cifar10_test_200", "label": "cifar10 test acc (200ep, seed mean)"}


def write_search(folder: Path, benchmark: str, searcher: str, seed: int, genotypes: list[str], *,
                 options: dict | None = None, evaluation: dict | None = None, status: str = "done",
                 **columns) -> Path:  # fmt: skip
    run_id = f"{benchmark}__{searcher}__quick__seed{seed}"
    run_dir = folder / run_id
    run_dir.mkdir(parents=True)
    config = {"benchmark": benchmark, "searcher": searcher, "profile": "quick", "seed": seed,
              "network": {"channels": 8}, "train": {"epochs": len(genotypes), "lr": 0.025},
              "data": {"source": "embedded"}, "searcher_options": options or {}, "device": "cpu"}  # fmt: skip
    facts = {"run_id": run_id, "status": status, "config": config, "search_seconds": 60.0 * (seed + 1),
             "device": "cpu (1 threads)", "git_commit": "abc", "versions": {"torch": "2.13.0"},
             "final": {"genotype": genotypes[-1]}}  # fmt: skip
    if benchmark.startswith("nb201"):
        facts["headline"] = HEADLINE
    if evaluation:
        facts["evaluation"] = evaluation
    (run_dir / "run.json").write_text(json.dumps(facts))
    rows = pd.DataFrame({"run_id": run_id, "benchmark": benchmark, "searcher": searcher, "profile": "quick",
                         "seed": seed, "epoch": np.arange(len(genotypes)), "genotype": genotypes,
                         "peak_mem_mb": 100.0 + seed, "epoch_seconds": 1.0, **columns})  # fmt: skip
    rows.to_parquet(run_dir / "epochs.parquet", index=False)
    return run_dir


def write_results(folder: Path) -> Path:
    """nb201: darts collapses (2 seeds), gdas does not (eigenvalues, τ, a ranking file); s2: darts and rome,
    one evaluated through run.json, one through an evaluation run folder; plus two damaged runs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep.json").write_text(json.dumps({"cells": []}))
    for seed in (0, 1):
        write_search(
            folder,
            "nb201-cifar10",
            "darts",
            seed,
            [NB201_GOOD, NB201_SKIPS, NB201_SKIPS],
            oracle_cifar10_test_200=[93.0, 54.3, 54.3],
            oracle_cifar10valid_valid_200=[90.0, 39.77, 39.77],
        )
    gdas = write_search(folder / "sweep-a", "nb201-cifar10", "gdas", 0, [NB201_GOOD] * 3,
                        oracle_cifar10_test_200=[93.0, 93.5, 94.0], oracle_cifar10valid_valid_200=[89.0, 89.5, 90.0],
                        hessian_eigenvalue=[0.1, np.nan, 0.2], supernet_kendall_tau=[np.nan, 0.3, 0.5])  # fmt: skip
    pd.DataFrame({"epoch": [2] * 3, "arch": [1, 2, 3], "supernet_acc": [50.0, 60, 70], "oracle_acc": [80.0, 90, 85]}
                 ).to_parquet(gdas / "ranking.parquet")  # fmt: skip
    rome = {"k": 2, "topology": True, "accumulate_weights": True, "accumulate_arch": True}
    write_search(folder, "s2-cifar10", "rome", 0, [darts_string(1), darts_string(2)], options=rome,
                 evaluation={"run_id": "e1", "seconds": 30.0, "peak_mem_mb": 50.0, "test_error": 3.0,
                             "params": 2.0e6, "flops": 1e8})  # fmt: skip
    write_search(folder, "s2-cifar10", "darts", 0, [darts_string(2), darts_string(5, reduce_pools=3)])
    evaluation = folder / "eval__s2-cifar10__darts"
    evaluation.mkdir()
    (evaluation / "run.json").write_text(json.dumps({
        "run_id": "eval-darts", "kind": "evaluation", "status": "done", "benchmark": "s2-cifar10", "profile": "quick",
        "seed": 0, "genotype": darts_string(5, reduce_pools=3), "network": {"params": 1.0e6, "flops": 5e7},
        "final": {"test_error": 6.0, "seconds": 20.0, "peak_mem_mb": 40.0}}))  # fmt: skip
    bad_json = folder / "broken-json"
    bad_json.mkdir()
    (bad_json / "run.json").write_text('{"run_id": "x", "status": ')
    truncated = write_search(folder, "nb201-cifar10", "pcdarts", 0, [NB201_GOOD], oracle_cifar10_test_200=[93.0])
    data = (truncated / "epochs.parquet").read_bytes()
    (truncated / "epochs.parquet").write_bytes(data[: len(data) // 2])
    return folder
