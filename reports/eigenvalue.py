"""The RobustDARTS early-stop rule on the dominant Hessian eigenvalue (Zela et al., ICLR 2020).

Precisely, for one run (ALGORITHMS.md §3; their code's defaults):
- the measurements are the epochs whose `hessian_eigenvalue` is not NaN, in epoch order: (e_i, λ_i);
- the local average A_i is the mean of the last `window` (5) measurements up to and including i
  (fewer at the start of the run);
- at every measurement i with e_i >= `start_epoch` (10) and i >= `lag` (4), the search would stop when
  A_i / A_{i-lag} > `factor` (1.3), i.e. the eigenvalue's local average grew by more than 30 % over
  the last `lag` measurements; comparisons with A_{i-lag} <= 0 are skipped (no meaningful ratio);
- the first such i is the *trigger*; the search returns the cell of the epoch e_{i-lag} (`stop_epoch`),
  the last one before the growth, as RobustDARTS does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.settings import ensure_setting_columns

EIGEN_COLUMN = "hessian_eigenvalue"


@dataclass(frozen=True)
class EarlyStopRule:
    window: int = 5
    start_epoch: int = 10
    factor: float = 1.3
    lag: int = 4

    def describe(self) -> str:
        return (
            f"RobustDARTS early stop: local average of the last {self.window} eigenvalue measurements; from epoch "
            f"{self.start_epoch}, stop when it exceeds {self.factor} x its value {self.lag} measurements earlier; "
            f"the cell of that earlier epoch is returned"
        )


@dataclass(frozen=True)
class EarlyStop:
    trigger_epoch: float  # NaN: the rule never fired
    stop_epoch: float
    ratio: float  # A_i / A_{i-lag} at the trigger


def local_averages(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing means over up to `window` values."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def early_stop(epochs, eigenvalues, rule: EarlyStopRule = EarlyStopRule()) -> EarlyStop:
    """The rule on one run's (epoch, eigenvalue) pairs (any order; NaN = not measured that epoch)."""
    epoch_values = np.asarray(epochs, dtype=float)
    values = pd.to_numeric(pd.Series(np.asarray(eigenvalues)), errors="coerce").to_numpy(dtype=float)
    measured = ~np.isnan(values)
    order = np.argsort(epoch_values[measured], kind="stable")
    epoch_values, values = epoch_values[measured][order], values[measured][order]
    averages = local_averages(values, rule.window)
    for i in range(rule.lag, len(values)):
        previous = averages[i - rule.lag]
        if epoch_values[i] < rule.start_epoch or previous <= 0:
            continue
        ratio = averages[i] / previous
        if ratio > rule.factor:
            return EarlyStop(float(epoch_values[i]), float(epoch_values[i - rule.lag]), float(ratio))
    return EarlyStop(float("nan"), float("nan"), float("nan"))


def early_stops(epochs: pd.DataFrame, rule: EarlyStopRule = EarlyStopRule()) -> pd.DataFrame:
    """Per run with eigenvalue measurements: trigger epoch, stop epoch, ratio and the stop epoch's genotype."""
    if EIGEN_COLUMN not in epochs.columns:
        return pd.DataFrame()
    epochs = ensure_setting_columns(epochs)
    identity = ["run_path", "benchmark", "searcher", "variant", "setting", "seed"]
    narrow = epochs[[*identity, "epoch", "genotype", EIGEN_COLUMN]]  # groupby over the wide frame is slow
    measured_runs = narrow.loc[narrow[EIGEN_COLUMN].notna(), "run_path"].unique()
    lines = []
    for _run_path, rows in narrow[narrow["run_path"].isin(measured_runs)].groupby("run_path", sort=True):
        epoch_values, values = rows["epoch"].to_numpy(dtype=float), rows[EIGEN_COLUMN].to_numpy(dtype=float)
        stop = early_stop(epoch_values, values, rule)
        line = dict(zip(identity, rows[identity].iloc[0], strict=True))
        line.update(measurements=int((~np.isnan(values)).sum()), trigger_epoch=stop.trigger_epoch)
        line.update(stop_epoch=stop.stop_epoch, ratio=stop.ratio)
        match = np.flatnonzero(epoch_values == stop.stop_epoch)
        line["stop_genotype"] = rows["genotype"].iloc[match[0]] if len(match) else ""
        lines.append(line)
    return pd.DataFrame(lines)
