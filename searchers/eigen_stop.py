"""RobustDARTS' stop rule on the dominant Hessian eigenvalue, as their released code applies it.

Source: automl/RobustDARTS, `src/utils.py` (`EVLocalAvg.update`, `EVLocalAvg.early_stop`) and
`src/search/train_search.py` (when they are called); defaults from `src/search/args.py` and
`scripts/DARTS-ADA_search.sh` (Zela et al., ICLR 2020). With the measurements λ_0, λ_1, … taken
after epochs e_0 < e_1 < … (every `every` epochs from epoch 0):

- A_j is the mean of the last `window` measurements up to j (fewer at the start); the code files
  it under epoch e_{j−h}, h = ⌊window/2⌋: a local average centred on that epoch.
- After measurement m the candidate is c = m − h − delta. The rule fires when e_c ≥ `start_epoch`
  and A_m / A_{m−delta} > `factor`; the search then returns the cell of epoch e_c, the centre of
  the earlier window. (Defaults: window 5, delta 4, factor 1.3, start 10, every 2: the first
  possible stop returns epoch 10, decided after epoch 22.) It is never checked after the last epoch.
- One deliberate difference: a comparison with A_{m−delta} ≤ 0 is skipped (the code divides
  anyway, so a curvature growing more negative would "stop" the search).

Pure Python (no torch): the state is two lists, so it goes into checkpoints as plain values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from benchmarks.errors import NashError


@dataclass(frozen=True)
class EigenStopRule:
    every: int = 2  # --report_freq_hessian 2 (scripts/DARTS_search.sh, DARTS-ADA_search.sh)
    window: int = 5  # --window (src/search/args.py)
    delta: int = 4  # --delta: local averages between the two compared
    factor: float = 1.3  # --factor
    start_epoch: int = 10  # --es_start_epoch: the earliest epoch whose cell can be returned

    def __post_init__(self) -> None:
        for name in ("every", "window", "delta"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise NashError(f"eigenvalue stop rule: {name} must be an integer >= 1, got {value!r}")
        if isinstance(self.start_epoch, bool) or not isinstance(self.start_epoch, int) or self.start_epoch < 0:
            raise NashError(f"eigenvalue stop rule: start_epoch must be an integer >= 0, got {self.start_epoch!r}")
        if not self.factor > 0:
            raise NashError(f"eigenvalue stop rule: factor must be positive, got {self.factor!r}")

    def measures(self, epoch: int, total: int) -> bool:
        """The epochs the rule reads: 0, every, 2·every, … but not the last (the rule is never checked there)."""
        return epoch % self.every == 0 and epoch < total - 1


@dataclass(frozen=True)
class Trigger:
    trigger_epoch: int  # the epoch after which the rule fired
    stop_epoch: int  # the epoch whose cell the search returns (or rolls back to)
    ratio: float  # A_m / A_{m−delta}


def local_average(values: list[float], j: int, window: int) -> float:
    """Mean of values[max(0, j − window + 1) .. j]."""
    part = values[max(0, j - window + 1) : j + 1]
    return sum(part) / len(part)


class EigenvalueTrack:
    """The measurements the rule has seen in the current trajectory, and the rule itself."""

    def __init__(self, rule: EigenStopRule) -> None:
        self.rule = rule
        self.epochs: list[int] = []
        self.values: list[float] = []

    def observe(self, epoch: int, value: float) -> Trigger | None:
        """Record a measurement; the trigger if the rule fires on it (NaN or inf: not a measurement)."""
        if not math.isfinite(value):
            return None
        self.epochs.append(epoch)
        self.values.append(float(value))
        return self.check()

    def check(self) -> Trigger | None:
        rule, m = self.rule, len(self.values) - 1
        candidate = m - rule.window // 2 - rule.delta
        if candidate < 0 or self.epochs[candidate] < rule.start_epoch:
            return None
        previous = local_average(self.values, m - rule.delta, rule.window)
        if previous <= 0:
            return None
        ratio = local_average(self.values, m, rule.window) / previous
        if ratio > rule.factor:
            return Trigger(self.epochs[m], self.epochs[candidate], ratio)
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"epochs": list(self.epochs), "values": list(self.values)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epochs = [int(e) for e in state["epochs"]]
        self.values = [float(v) for v in state["values"]]
