"""The epoch loop: drive a searcher over a benchmark's supernet, one row per epoch."""

from __future__ import annotations

import math
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import Nb201Oracle, default_oracle
from benchmarks.registry import Benchmark, get_benchmark
from benchmarks.spaces import get_space
from harness.config import RunConfig
from harness.data import load_search_batches
from harness.environment import (
    device_name,
    git_commit,
    peak_memory_mb,
    reset_peak_memory,
    resolve_device,
    seed_everything,
    versions,
)
from harness.interrupt import raise_if_stop_requested
from harness.store import EPOCHS_FILE, RUN_FILE, prepare_run_dir, write_epochs, write_json
from searchers.base import StepStats
from searchers.registry import get_searcher


@dataclass
class RunResult:
    run_dir: Path
    rows: list[dict[str, Any]]
    summary: dict[str, Any]


def run_search(
    config: RunConfig,
    out: Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    oracle: Nb201Oracle | None = None,
    resume: bool = False,  # continue from the last epoch checkpoint (implemented on the `resume` branch)
) -> RunResult:
    """Run one search; on any failure run.json says `failed` with the error, and it re-raises."""
    benchmark = get_benchmark(config.benchmark)
    searcher_cls = get_searcher(config.searcher)
    searcher_cls.check_run(
        searcher_cls.options_type(**config.searcher_options),
        epochs=config.train.epochs,
        channels=config.network.channels,
    )
    run_dir = prepare_run_dir(Path(out), config.run_id, overwrite)
    facts: dict[str, Any] = {
        "run_id": config.run_id,
        "status": "running",
        "config": config.to_dict(),
        "versions": versions(),
        "git_commit": git_commit(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # The oracle column summaries show for this benchmark, and what it means.
        "headline": {
            "column": benchmark.headline.column,
            "label": f"{benchmark.headline.dataset} {benchmark.headline.split} acc "
            f"({benchmark.headline.epochs}ep, seed mean)",
        }
        if benchmark.headline
        else None,
    }
    write_json(run_dir / RUN_FILE, facts)
    started = time.perf_counter()
    try:
        if benchmark.oracle_metrics:  # benchmarks judged by training (backend "train") need no table
            oracle = oracle or default_oracle()
            if oracle.space != "tss":
                raise NashError(
                    f"{config.benchmark} is judged in the NAS-Bench-201 topology space, but the oracle "
                    f"{oracle.source} is a {oracle.space} table; pass a tss table with --oracle or NASH_ORACLE"
                )
            facts["oracle"] = {"source": str(oracle.source), "checksum_sha256": oracle.meta.get("checksum_sha256")}
        rows = _search(config, benchmark, run_dir, progress, oracle, facts)
    except BaseException as err:
        facts.update(status="failed" if isinstance(err, Exception) else "interrupted", error=f"{err}")
        facts["search_seconds"] = time.perf_counter() - started
        write_json(run_dir / RUN_FILE, facts)
        raise
    final = rows[-1]
    facts.update(
        status="done",
        search_seconds=time.perf_counter() - started,
        epochs_completed=len(rows),
        final={k: v for k, v in final.items() if k == "genotype" or k.startswith(("oracle_", "skip", "param"))},
    )
    write_json(run_dir / RUN_FILE, facts)
    return RunResult(run_dir, rows, facts)


def _search(config, benchmark: Benchmark, run_dir: Path, progress: bool, oracle, facts) -> list[dict[str, Any]]:
    device = resolve_device(config.device)
    facts["device"] = device_name(device)
    seed_everything(config.seed)
    batches = load_search_batches(config, device)
    space = get_space(benchmark.space)
    searcher_cls = get_searcher(config.searcher)
    options = searcher_cls.options_type(**config.searcher_options)
    network = searcher_cls.build_supernet(
        space,
        num_classes=benchmark.num_classes,
        options=options,
        **{name: getattr(config.network, name) for name in space.network_fields},
    ).to(device)
    searcher = searcher_cls(space, network, config.train, options)
    total = config.train.epochs
    rows: list[dict[str, Any]] = []
    bar = tqdm(
        total=total * batches.steps_per_epoch,
        desc=f"{config.searcher} on {config.benchmark}",
        unit="step",
        disable=not progress,
        leave=False,
    )
    for epoch in range(total):
        reset_peak_memory(device)
        epoch_start = time.perf_counter()
        searcher.new_epoch(epoch, total)
        network.train()
        sums = _EpochSums(device)
        for train_batch, val_batch in batches.epoch():
            sums.add(searcher.step(train_batch, val_batch))
            bar.update(1)
            raise_if_stop_requested()
        row = _epoch_row(config, epoch, searcher, sums, oracle, benchmark)
        row["epoch_seconds"] = time.perf_counter() - epoch_start
        row["peak_mem_mb"] = peak_memory_mb(device)
        row["device"] = device.type
        rows.append(row)
        write_epochs(run_dir / EPOCHS_FILE, rows)
        bar.set_postfix_str(f"epoch {epoch + 1}/{total} skip={row['skip_count']}")
    bar.close()
    return rows


class _EpochSums:
    """Accumulates step statistics on the device; read once per epoch (one host sync)."""

    def __init__(self, device: torch.device) -> None:
        self.values = torch.zeros(4, dtype=torch.float64, device=device)
        self.train_count = 0
        self.val_count = 0

    def add(self, stats: StepStats) -> None:
        parts = (stats.train_loss_sum, stats.train_correct, stats.val_loss_sum, stats.val_correct)
        self.values += torch.stack([p.to(torch.float64) for p in parts])
        self.train_count += stats.train_count
        self.val_count += stats.val_count

    def means(self) -> dict[str, float]:
        train_loss, train_correct, val_loss, val_correct = self.values.tolist()
        return {
            "train_loss": train_loss / max(self.train_count, 1),
            "train_acc": 100.0 * train_correct / max(self.train_count, 1),
            "val_loss": val_loss / max(self.val_count, 1),
            "val_acc": 100.0 * val_correct / max(self.val_count, 1),
        }


def _epoch_row(config: RunConfig, epoch: int, searcher, sums: _EpochSums, oracle, benchmark) -> dict[str, Any]:
    genotype = searcher.genotype()
    row: dict[str, Any] = {
        "run_id": config.run_id,
        "benchmark": config.benchmark,
        "searcher": config.searcher,
        "profile": config.profile,
        "seed": config.seed,
        "epoch": epoch,
        "genotype": genotype.to_string(),
        "skip_count": genotype.skip_count,
        "param_free_count": genotype.param_free_count,
        **sums.means(),
        "tau": math.nan,
        **searcher.epoch_facts(),
    }
    for metric in benchmark.oracle_metrics:
        row[metric.column] = oracle.query(genotype, dataset=metric.dataset, split=metric.split, epochs=metric.epochs)
    return row
