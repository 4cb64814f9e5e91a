"""Measurements taken during a search without changing it: the Hessian eigenvalue and one-shot τ.

The runner calls `SearchInstruments.measure` after each epoch's row is built. Both measurements
use arch batches drawn once, by their own seeded generators (the run's batch streams are saved
and restored around the draw), run the network in train mode (batch statistics, as the arch step
does) and restore every BN buffer and the global torch RNG afterwards, so a run's own columns and
genotype trajectory are identical with or without them (tests check this).

Columns: `hessian_eigenvalue` (dominant signed eigenvalue of L_val w.r.t. all arch parameters, the
RobustDARTS indicator) and `supernet_kendall_tau`, NaN on epochs not measured. The eigenvalue is also
measured on the epochs the searcher itself asks for (`Searcher.wants_eigenvalue`, RobustDARTS' stop rule),
and there `hessian_max_eigenvalue`, the largest algebraic eigenvalue, is added: what that rule reads.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from benchmarks.batches.loader import PairedBatches
from benchmarks.registry.profiles import Benchmark
from harness.config.run_config import AnalysisConfig, RunConfig
from harness.instruments.hessian import DominantEigen, dominant_eigenvalue
from harness.instruments.supernet_ranking import RANKING_FILE, SupernetRanking, check_ranking_supported

FIXED_BATCH_SEED = 7_201  # the fixed arch batches: the same for every run of a benchmark and data config
EIGEN_START_SEED = 0  # the power iteration's start vector
MAX_EIGEN_COLUMN = "hessian_max_eigenvalue"  # on the epochs a searcher asks for (Searcher.wants_eigenvalue)


def check_analysis(config: RunConfig, benchmark: Benchmark) -> None:
    """Refuse, before anything is written, measurements the benchmark cannot support."""
    if config.analysis.rank_every:
        check_ranking_supported(benchmark)


def is_measured(epoch: int, total: int, every: int) -> bool:
    """After epochs every-1, 2·every-1, ... (0-based) and after the last one; never when every is 0."""
    return every > 0 and ((epoch + 1) % every == 0 or epoch == total - 1)


def fixed_arch_batches(batches: PairedBatches, count: int, seed: int = FIXED_BATCH_SEED) -> list:
    """The first `count` arch batches of a stream seeded with `seed`; the run's own stream is left as it was."""
    saved = batches.state_dict()
    order = torch.Generator(device="cpu").manual_seed(seed)
    augment = torch.Generator(device=batches.device).manual_seed(seed + 1)
    batches.load_state_dict({"order_rng": order.get_state(), "augment_rng": augment.get_state(), "epochs_drawn": 0})
    drawn = []
    try:
        while len(drawn) < count:  # a small arch half may need more than one pass
            for _train, val in batches.epoch():
                drawn.append(val)
                if len(drawn) == count:
                    break
    finally:
        batches.load_state_dict(saved)
    return drawn


@contextlib.contextmanager
def untouched(network: nn.Module, device: torch.device) -> Iterator[None]:
    """Train mode inside; afterwards every buffer (BN statistics), the mode and the torch RNG as before."""
    buffers = {name: buffer.detach().clone() for name, buffer in network.named_buffers()}
    was_training = network.training
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        network.train()
        try:
            yield
        finally:
            with torch.no_grad():
                for name, buffer in network.named_buffers():
                    buffer.copy_(buffers[name])
            network.train(was_training)


@contextlib.contextmanager
def eager(network: nn.Module) -> Iterator[None]:
    """The supernet's forward uncompiled inside: compiled graphs allow a single backward, and the
    Hessian-vector products differentiate twice (`perf.compile` with the eigenvalue)."""
    compiled = getattr(network, "compile_steps", False)
    network.compile_steps = False
    try:
        yield
    finally:
        network.compile_steps = compiled


class SearchInstruments:
    """Per-epoch eigenvalue and ranking columns for one run (NaN where not measured or turned off)."""

    def __init__(
        self,
        analysis: AnalysisConfig,
        benchmark: Benchmark,
        searcher,
        batches: PairedBatches,
        oracle,
        run_dir: Path,
        start_epoch: int = 0,
    ) -> None:
        """`start_epoch` > 0 (a resumed run) keeps ranking.parquet's rows of the earlier epochs."""
        self.analysis = analysis
        self.searcher = searcher
        self.source = batches  # for the fixed batches of a searcher that asks for eigenvalues itself
        self.device = next(searcher.network.parameters()).device
        count = max(
            analysis.eigenvalue_batches if analysis.eigenvalue_every else 0,
            analysis.rank_batches if analysis.rank_every else 0,
        )
        self.batches = fixed_arch_batches(batches, count) if count else []
        self.ranking = (
            SupernetRanking(benchmark, oracle, analysis.rank_sample, run_dir / RANKING_FILE, start_epoch)
            if analysis.rank_every
            else None
        )

    def measure(self, epoch: int, total: int) -> dict[str, float]:
        """The two columns, plus `analysis_seconds` (their cost, outside epoch_seconds) when any is on."""
        started = time.perf_counter()
        row = {"hessian_eigenvalue": math.nan, "supernet_kendall_tau": math.nan}
        wanted = self.searcher.wants_eigenvalue(epoch, total)
        if not (self.analysis.eigenvalue_every or self.analysis.rank_every or wanted):
            return row
        if wanted or is_measured(epoch, total, self.analysis.eigenvalue_every):
            result = self.eigenvalue(largest=wanted)
            row["hessian_eigenvalue"] = result.value
            if wanted:  # the searcher's rule reads the largest algebraic eigenvalue, as RobustDARTS' does
                row[MAX_EIGEN_COLUMN] = result.largest
        if self.ranking is not None and is_measured(epoch, total, self.analysis.rank_every):
            with untouched(self.searcher.network, self.device):
                row["supernet_kendall_tau"] = self.ranking.measure(
                    epoch, self.searcher, self.batches[: self.analysis.rank_batches]
                )
        row["analysis_seconds"] = time.perf_counter() - started
        return row

    def discard_after(self, epoch: int) -> None:
        """Forget the measurements of epochs after `epoch` (the searcher rolled back or stopped there)."""
        if self.ranking is not None:
            self.ranking.discard_after(epoch)

    def eigenvalue(self, largest: bool = False) -> DominantEigen:
        """Dominant eigenvalue of the mean arch loss over the fixed batches, w.r.t. all arch parameters.

        `largest=True` also gives the largest algebraic one (`harness.instruments.hessian.dominant_eigenvalue`).
        """
        if len(self.batches) < self.analysis.eigenvalue_batches:  # drawn now: asked for by the searcher only
            self.batches = fixed_arch_batches(self.source, self.analysis.eigenvalue_batches)
        batches = self.batches[: self.analysis.eigenvalue_batches]

        def loss():
            return sum(self.searcher.arch_loss(batch) for batch in batches) / len(batches)

        with untouched(self.searcher.network, self.device), eager(self.searcher.network):
            result = dominant_eigenvalue(
                loss,
                self.searcher.arch_parameters(),
                iterations=self.analysis.eigenvalue_iterations,
                generator=torch.Generator().manual_seed(EIGEN_START_SEED),
                largest=largest,
            )
        return result
