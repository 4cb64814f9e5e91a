"""The valid range of every config value, checked before a run or a sweep writes anything.

`--set train.lr=nan` parses (NaN is a float, and TOML has `nan` and `inf` literals), and a search
with it runs to the end and derives an all-`none` cell that a report would count as collapse. So
each field has a range here; `check_field` names the field, the value and the range in one line.
A float anywhere in the config (searcher options included) must be finite unless its range says
otherwise (`train.grad_clip = inf` is "no clipping").
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

from benchmarks.batches.arch_sampling import ARCH_SAMPLINGS
from benchmarks.errors import NashError

SEED_LIMIT = 2**32  # NumPy's global seeding (np.random.seed) takes 0 .. 2**32-1
# The longest published protocol is DARTS's 600-epoch evaluation (NB201: 200); 10,000 leaves room for long
# studies, and anything beyond is a typo (an extra zero or two) that would plan a run of months.
MAX_EPOCHS = 10_000


@dataclasses.dataclass(frozen=True)
class Range:
    text: str  # the valid range, as the message says it
    holds: Callable[[Any], bool]
    allow_infinite: bool = False


def _at_least(low: float, *, infinite: bool = False) -> Range:
    return Range(f">= {low}" + (" (inf allowed)" if infinite else ""), lambda v: v >= low, infinite)


def _between(low: float, high: float, *, high_open: bool) -> Range:
    if high_open:
        return Range(f"in [{low}, {high})", lambda v: low <= v < high)
    return Range(f"in [{low}, {high}]", lambda v: low <= v <= high)


_ANY_SEED = Range(f"an integer in 0 .. 2**32-1 ({SEED_LIMIT - 1})", lambda v: 0 <= v < SEED_LIMIT)
_DEVICE = re.compile(r"auto|cpu|mps|(cuda|xpu)(:\d+)?")

RANGES: dict[tuple[str, str], Range] = {
    ("train", "epochs"): Range(f"an integer in 1 .. {MAX_EPOCHS:,}", lambda v: type(v) is int and 1 <= v <= MAX_EPOCHS),
    ("train", "batch_size"): _at_least(1),
    ("train", "lr"): _at_least(0),
    ("train", "lr_min"): _at_least(0),
    ("train", "momentum"): _between(0, 1, high_open=False),
    ("train", "weight_decay"): _at_least(0),
    ("train", "grad_clip"): Range("> 0 (inf: no clipping)", lambda v: v > 0, allow_infinite=True),
    ("train", "arch_lr"): _at_least(0),
    ("train", "arch_beta1"): _between(0, 1, high_open=True),  # torch.optim.Adam's own bounds
    ("train", "arch_beta2"): _between(0, 1, high_open=True),
    ("train", "arch_weight_decay"): _at_least(0),
    ("network", "channels"): _at_least(1),
    ("network", "cells_per_stage"): _at_least(1),
    ("network", "layers"): _at_least(3),  # DARTS-family: reductions at layers//3 and 2·layers//3 must differ
    ("network", "stem_multiplier"): _at_least(1),
    ("network", "stem"): Range("cifar or imagenet", lambda v: v in ("cifar", "imagenet")),
    ("data", "train_per_class"): _at_least(1),
    ("data", "arch_per_class"): _at_least(1),
    ("data", "split_seed"): _ANY_SEED,
    ("data", "arch_sampling"): Range(
        f"one of {', '.join(ARCH_SAMPLINGS)} (unset: the space's reference)", lambda v: v in ARCH_SAMPLINGS
    ),
}


def check_epochs(epochs: Any, name: str = "--epochs") -> None:
    """Epochs are whole and at most MAX_EPOCHS, wherever they are given (flag, file, preset, protocol)."""
    if type(epochs) is not int or not 1 <= epochs <= MAX_EPOCHS:
        raise NashError(f"{name} must be an integer in 1 .. {MAX_EPOCHS:,}, got {epochs!r}")


def check_seed(seed: Any, name: str = "--seed") -> None:
    if type(seed) is not int or not _ANY_SEED.holds(seed):
        raise NashError(f"{name} must be {_ANY_SEED.text}, got {seed!r}")


def check_field(section: str, name: str, value: Any, where: str | None = None) -> None:
    """One-line NashError when `section.name = value` is outside its range (None: an optional field's off)."""
    if value is None:
        return
    rule = RANGES.get((section, name))
    label = f"{where}: " if where else ""
    if isinstance(value, float) and not math.isfinite(value) and not (rule and rule.allow_infinite and value > 0):
        valid = f"; valid: {rule.text}" if rule else ""
        raise NashError(f"{label}{section}.{name} must be a finite number, got {value}{valid}")
    if rule is not None and not rule.holds(value):
        raise NashError(f"{label}{section}.{name} must be {rule.text}, got {value!r}")


def check_config(config) -> None:
    """Every field of a RunConfig in range, and the combinations torch itself would refuse mid-run."""
    check_seed(config.seed)
    if not isinstance(config.device, str) or not _DEVICE.fullmatch(config.device):
        raise NashError(f"device must be auto, cpu, cuda or cuda:N, got {config.device!r}")
    for section in ("network", "train", "data", "analysis", "perf"):
        values = getattr(config, section)
        for item in dataclasses.fields(values):
            check_field(section, item.name, getattr(values, item.name))
    for name, value in config.searcher_options.items():
        check_field("searcher", name, value)
    train = config.train
    if train.nesterov and train.momentum == 0:
        raise NashError("train.nesterov=true needs train.momentum > 0 (torch's SGD refuses it); set one of them")
