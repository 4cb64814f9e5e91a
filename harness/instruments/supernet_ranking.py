"""One-shot ranking quality: how well the supernet's inherited weights rank NAS-Bench-201 cells.

A fixed sample of cells (chosen by a fixed seed and the sample size only, so every searcher and
every run seed sees the same cells) is evaluated with the supernet's weights, one op per edge
(the searcher's `fixed_arch_mixer`), on fixed arch batches. Kendall τ between those accuracies
and the oracle's headline accuracy is the per-epoch `supernet_kendall_tau`; the per-cell values go
to `<run dir>/ranking.parquet` (columns epoch, arch, supernet_acc, oracle_acc).

BatchNorm uses batch statistics: the running statistics of a supernet were accumulated over
mixtures (DARTS) or random paths (GDAS), not over the one sub-network evaluated, so they would
judge every cell by someone else's activations (the usual one-shot practice is batch statistics or
re-calibration). No gradients are taken and every buffer is restored afterwards, so ranking
changes nothing in the search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import kendalltau

from benchmarks.errors import NashError, error_reason
from benchmarks.nb201.oracle import Nb201Oracle
from benchmarks.registry.profiles import Benchmark
from harness.system.store import atomic_write, read_parquet_file

RANKING_FILE = "ranking.parquet"
RANKING_COLUMNS = ("epoch", "arch", "supernet_acc", "oracle_acc")
RANK_SAMPLE_SEED = 201  # fixed for every run: the sample depends only on this and the sample size

Batch = tuple[torch.Tensor, torch.Tensor]


def check_ranking_supported(benchmark: Benchmark) -> None:
    """One-shot ranking needs the NB201 space and an oracle headline metric; say so before any training."""
    if benchmark.space != "nb201" or benchmark.headline is None:
        raise NashError(
            f"--rank-every / analysis.rank_every ranks NAS-Bench-201 cells against their table, but {benchmark.name} "
            f"searches the {benchmark.space} space, which has none; drop it (the eigenvalue works everywhere)"
        )


def sample_cells(oracle: Nb201Oracle, count: int, seed: int = RANK_SAMPLE_SEED) -> list[int]:
    """`count` distinct official indexes of the table, sorted; the same for a given (seed, count, table)."""
    if count > len(oracle):
        raise NashError(f"analysis.rank_sample={count} exceeds the {len(oracle)} cells of the oracle table")
    chosen = np.random.default_rng(seed).choice(len(oracle), size=count, replace=False)
    return sorted(int(i) for i in chosen)


@torch.no_grad()
def supernet_accuracy(network: torch.nn.Module, mixer, batches: Sequence[Batch]) -> float:
    """Top-1 accuracy (%) of the network under `mixer` over `batches` (no gradients, current BN mode)."""
    correct, total = 0, 0
    for x, y in batches:
        correct += int((network(x, mixer).argmax(dim=1) == y).sum())
        total += int(y.shape[0])
    return 100.0 * correct / total


class SupernetRanking:
    """The fixed cell sample, their ground truth, and the rows measured so far in this run."""

    def __init__(
        self, benchmark: Benchmark, oracle: Nb201Oracle, sample: int, path: Path, start_epoch: int = 0
    ) -> None:
        check_ranking_supported(benchmark)
        headline = benchmark.headline
        self.indices = sample_cells(oracle, sample)
        self.archs = [oracle.arch_of(i) for i in self.indices]
        self.truth = oracle.query_many(
            self.indices, dataset=headline.dataset, split=headline.split, epochs=headline.epochs
        ).tolist()
        self.path = path
        self.rows: list[dict[str, Any]] = []
        if start_epoch and path.exists():  # a resumed run keeps the rows of the epochs it does not redo
            try:
                kept = read_parquet_file(path)  # a regular file under the size limit: a FIFO must not hang
                self.rows = kept[kept["epoch"] < start_epoch].to_dict("records")
            except Exception as err:  # noqa: BLE001 - pyarrow raises many types for a damaged file
                raise NashError(
                    f"cannot read {path} ({error_reason(err)[:120]}); move it aside (mv {path} {path}.damaged) and "
                    f"resume again: the new file starts at epoch {start_epoch} (supernet_kendall_tau keeps the rest)"
                ) from None
        else:
            path.unlink(missing_ok=True)  # a fresh run: no rows of an overwritten one

    def measure(self, epoch: int, searcher, batches: Sequence[Batch]) -> float:
        """Evaluate every sampled cell, append its rows, rewrite ranking.parquet; return Kendall τ."""
        network = searcher.network
        accuracies = [
            supernet_accuracy(network, searcher.fixed_arch_mixer(list(arch.op_indices)), batches) for arch in self.archs
        ]
        for arch, acc, truth in zip(self.archs, accuracies, self.truth, strict=True):
            self.rows.append({"epoch": epoch, "arch": arch.to_string(), "supernet_acc": acc, "oracle_acc": truth})
        self._write()
        return kendall_tau(accuracies, self.truth)

    def discard_after(self, epoch: int) -> None:
        """Drop the rows of epochs after `epoch` (a searcher rolled back or stopped there)."""
        kept = [row for row in self.rows if row["epoch"] <= epoch]
        if len(kept) != len(self.rows):
            self.rows = kept
            self._write()

    def _write(self) -> None:
        frame = pd.DataFrame(self.rows, columns=list(RANKING_COLUMNS))
        atomic_write(self.path, lambda handle: frame.to_parquet(handle, index=False))


def kendall_tau(supernet: Sequence[float], truth: Sequence[float]) -> float:
    """Kendall τ-b (ties handled); NaN when undefined (e.g. every cell scored the same)."""
    tau = kendalltau(supernet, truth, nan_policy="omit").statistic
    return float(tau) if tau is not None and not math.isnan(tau) else math.nan
