"""The evaluation protocol of a benchmark profile as a typed config, its schedules, and input checks."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from benchmarks.darts.genotype import Genotype
from benchmarks.darts.spaces import get_darts_space
from benchmarks.errors import NashError
from benchmarks.registry.profiles import Benchmark
from harness.config.checks import check_epochs
from searchers.base import cosine_lr


@dataclass(frozen=True)
class EvalProtocol:
    """How a genotype's network is trained from scratch (the keys of `Profile.evaluation`)."""

    network: str  # "cifar" or "imagenet"
    layers: int
    channels: int
    epochs: int
    batch_size: int
    lr: float
    lr_min: float
    lr_schedule: str  # "cosine" (per epoch, lr → lr_min) or "linear" (warm-up, then linear to lr_min)
    warmup_epochs: int
    momentum: float
    weight_decay: float
    grad_clip: float
    auxiliary_weight: float
    drop_path: float
    cutout: int
    label_smoothing: float
    train_per_class: int | None
    test_per_class: int | None
    resolution: int | None = None  # ImageNet: train crop / test centre-crop side (test resized to 256/224 of it)

    @classmethod
    def from_profile(cls, evaluation: dict[str, Any], **overrides: Any) -> EvalProtocol:
        values = {**evaluation, **overrides}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise NashError(f"unknown evaluation setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        protocol = cls(**values)
        protocol.check()
        return protocol

    def check(self) -> None:
        check_epochs(self.epochs)
        if self.network not in ("cifar", "imagenet"):
            raise NashError(f"evaluation network must be cifar or imagenet, got {self.network!r}")
        if self.lr_schedule not in ("cosine", "linear"):
            raise NashError(f"lr_schedule must be cosine or linear, got {self.lr_schedule!r}")
        if self.layers < 3 or self.channels < 2 or self.channels % 2:
            raise NashError(f"evaluation needs >= 3 cells and an even C, got {self.layers} cells, C={self.channels}")
        if self.resolution is not None and self.resolution < 32:
            raise NashError(f"resolution must be at least 32 px (the stem divides it by 8), got {self.resolution}")
        if not 0.0 <= self.drop_path < 1.0:
            raise NashError(f"drop_path must be in [0, 1), got {self.drop_path}")

    def lr_at(self, epoch: int) -> float:
        """Learning rate of epoch `epoch` (0-based), constant within the epoch."""
        if self.lr_schedule == "cosine":
            return cosine_lr(self.lr, self.lr_min, epoch, self.epochs)
        lr = self.lr_min + (self.lr - self.lr_min) * (1.0 - epoch / self.epochs)
        if epoch < self.warmup_epochs:
            lr *= (epoch + 1) / self.warmup_epochs
        return lr

    def drop_path_at(self, epoch: int) -> float:
        """Drop-path probability of epoch `epoch`: linear from 0 (first epoch), drop_path · e / epochs (DARTS)."""
        return self.drop_path * epoch / self.epochs

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def check_genotype_ops(benchmark: Benchmark, genotype: Genotype) -> None:
    """Refuse a genotype with an op its benchmark's space does not have on that edge."""
    get_darts_space(benchmark.space).check_genotype(genotype)


def eval_run_id(benchmark: str, profile: str, seed: int, genotype: Genotype) -> str:
    """`<benchmark>__eval-<genotype hash>__<profile>__seed<seed>`: one folder per (cell, protocol, seed)."""
    digest = hashlib.sha1(str(genotype).encode()).hexdigest()[:10]
    return f"{benchmark}__eval-{digest}__{profile}__seed{seed}"
