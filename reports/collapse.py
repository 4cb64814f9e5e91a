"""Collapse statistics (ALGORITHMS.md §3) over the per-epoch rows of `reports.runs.load_runs`.

Counts come from the genotype string of every epoch, so the reduction cell of the DARTS-family
spaces is counted too (the epoch rows' own `skip_count` / `param_free_count` are normal-cell only).
Spread over seeds is the population std (ddof=0): the ROME paper's "#pf" column uses it
(1.3±0.4 is {1, 1, 2}; the sample std would be 0.6); a single value has no spread (NaN, not 0).
Runs are grouped per (benchmark, searcher, variant, setting): seeds of one experiment only
(`reports.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.errors import NashError
from reports.genotypes import CellOps, parse_cell_ops
from reports.render import Stat
from reports.settings import EPOCHS_BUDGET, SETTING, ensure_setting_columns

GROUP = ["benchmark", "searcher", "variant", SETTING]
RUN_IDENTITY = ["run_path", "run_id", "benchmark", "searcher", "profile", "seed", "variant", SETTING, EPOCHS_BUDGET]
COUNT_COLUMNS = ["skip_normal", "param_free_normal", "skip_reduce", "param_free_reduce"]


@dataclass(frozen=True)
class CollapseRule:
    """When a derived cell counts as collapsed.

    DARTS-family spaces: the normal cell holds at least `darts_threshold` ops of kind `measure`
    ("skip": skip_connect; "param_free": skip, pools, none, noise). NB201: at least `nb201_threshold`
    of its 6 ops are parameter-free (None = all of them, the all-skip/none cell).
    """

    measure: str = "skip"
    darts_threshold: int = 3
    nb201_threshold: int | None = None

    def __post_init__(self) -> None:
        if self.measure not in ("skip", "param_free"):
            raise NashError(f"collapse measure must be 'skip' or 'param_free', got {self.measure!r}")
        if self.darts_threshold < 1 or (self.nb201_threshold is not None and not 1 <= self.nb201_threshold <= 6):
            raise NashError("collapse thresholds must be >= 1 (and at most 6 on NB201, whose cell has 6 ops)")

    def holds(self, ops: CellOps) -> bool:
        if ops.space == "nb201":
            needed = len(ops.normal) if self.nb201_threshold is None else self.nb201_threshold
            return ops.param_free() >= needed
        count = ops.skips() if self.measure == "skip" else ops.param_free()
        return count >= self.darts_threshold

    def describe(self) -> str:
        kind = "skip_connect" if self.measure == "skip" else "parameter-free"
        nb201 = "all 6 ops" if self.nb201_threshold is None else f">= {self.nb201_threshold} of 6 ops"
        return (
            f"collapsed = DARTS-family normal cell with >= {self.darts_threshold} {kind} ops of 8; "
            f"NB201 cell with {nb201} parameter-free (skip/pool/none); "
            "epoch of collapse = first epoch from which the rule holds to the last epoch"
        )


def with_cell_counts(epochs: pd.DataFrame, rule: CollapseRule) -> pd.DataFrame:
    """Add skip / parameter-free counts per cell, `space`, `collapsed` and `headline_acc` to the epoch rows."""
    parsed = {text: parse_cell_ops(text) for text in epochs["genotype"].unique()}
    out = ensure_setting_columns(epochs)
    ops = out["genotype"].map(parsed)
    out["space"] = ops.map(lambda o: o.space)
    out["skip_normal"] = ops.map(lambda o: o.skips("normal"))
    out["param_free_normal"] = ops.map(lambda o: o.param_free("normal"))
    darts = out["space"] == "darts"
    out["skip_reduce"] = ops.map(lambda o: o.skips("reduce")).where(darts, np.nan)
    out["param_free_reduce"] = ops.map(lambda o: o.param_free("reduce")).where(darts, np.nan)
    out["collapsed"] = ops.map(rule.holds).astype(bool)
    out["headline_acc"] = headline_values(out)
    return out


def headline_values(rows: pd.DataFrame) -> pd.Series:
    """Each row's value of its run's headline oracle column (`run.headline.column`); NaN without one."""
    values = pd.Series(np.nan, index=rows.index, dtype=float)
    if "run.headline.column" not in rows.columns:
        return values
    for column, index in rows.groupby("run.headline.column").groups.items():
        if column in rows.columns:
            values.loc[index] = pd.to_numeric(rows.loc[index, column], errors="coerce")
    return values


def collapse_epoch(epochs: pd.Series, collapsed: pd.Series) -> float:
    """First epoch from which `collapsed` holds through the last epoch; NaN when the last epoch is not collapsed."""
    order = np.argsort(epochs.to_numpy(), kind="stable")
    flags = collapsed.to_numpy()[order]
    if not len(flags) or not flags[-1]:
        return float("nan")
    last_false = np.flatnonzero(~flags)
    start = 0 if not len(last_false) else last_false[-1] + 1
    return float(epochs.to_numpy()[order][start])


def run_collapse(counted: pd.DataFrame) -> pd.DataFrame:
    """One row per run: final counts, whether the final cell is collapsed, epoch of collapse, final accuracy."""
    counted = ensure_setting_columns(counted)
    keep = [c for c in RUN_IDENTITY if c in counted.columns]
    keep += ["space", "epoch", "genotype", *COUNT_COLUMNS, "collapsed", "headline_acc"]
    keep += [c for c in counted.columns if c.startswith("oracle_") or c in ("eval.test_error", "peak_mem_mb")]
    lines = []
    for _run_path, rows in counted[keep].groupby("run_path", sort=True):  # narrow first: wide groupbys are slow
        rows = rows.sort_values("epoch")
        last = rows.iloc[-1]
        line = {name: last.get(name) for name in RUN_IDENTITY if name in rows.columns}
        line.update({"space": last["space"], "epochs": len(rows), "final_genotype": last["genotype"]})
        line.update({name: last[name] for name in COUNT_COLUMNS})
        line["collapsed"] = bool(last["collapsed"])
        line["collapse_epoch"] = collapse_epoch(rows["epoch"], rows["collapsed"])
        line["final_acc"] = last["headline_acc"]
        line["test_error"] = last.get("eval.test_error", np.nan)
        line.update({name: last[name] for name in rows.columns if name.startswith("oracle_")})
        line["peak_mem_mb"] = rows["peak_mem_mb"].max() if "peak_mem_mb" in rows.columns else np.nan
        lines.append(line)
    return pd.DataFrame(lines)


def method_label(searcher: str, variant: str, setting: str = "") -> str:
    """How tables name a searcher; a sweep preset's variant (e.g. a ROME ablation cell) is its own method,
    and so is another setting of the same searcher in the folder ("darts (quick, 5 ep)")."""
    name = f"{searcher} [{variant}]" if variant else searcher
    return f"{name} ({setting})" if setting else name


def group_label(row) -> str:
    """method_label of a row (mapping or namedtuple) with searcher, variant and optionally setting."""
    get = row.get if hasattr(row, "get") else lambda k, d="": getattr(row, k, d)
    return method_label(get("searcher"), get("variant", "") or "", get(SETTING, "") or "")


def mean_std(values: pd.Series) -> tuple[float, float]:
    """Mean and population std (ddof=0) of the non-missing values; NaN std for one value, NaN, NaN for none."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=0)) if len(values) > 1 else float("nan")


def stat(values: pd.Series, digits: int = 2, marked: bool = False) -> Stat:
    """Mean ± population std over the non-missing values, with their count."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    mean, std = mean_std(numbers)
    return Stat(mean, std, len(numbers), digits, marked)


def group_collapse(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per (benchmark, searcher, variant) over seeds: counts mean ± std, collapse rate and mean collapse epoch."""
    lines = []
    per_run = ensure_setting_columns(per_run)
    for key, runs in per_run.groupby(GROUP, sort=True):
        line = dict(zip(GROUP, key, strict=True))
        line["seeds"] = len(runs)
        line["profile"] = ", ".join(sorted({str(p) for p in runs.get("profile", pd.Series(dtype=str)).dropna()}))
        line["epochs"] = _budget(runs)
        for name in (*COUNT_COLUMNS, "final_acc", "test_error"):
            line[f"{name}_mean"], line[f"{name}_std"] = mean_std(runs[name])
            line[f"{name}_n"] = int(pd.to_numeric(runs[name], errors="coerce").notna().sum())
        line["collapse_rate"] = float(runs["collapsed"].mean())
        line["collapse_epoch_mean"] = mean_std(runs["collapse_epoch"])[0]
        lines.append(line)
    return pd.DataFrame(lines)


def _budget(runs: pd.DataFrame) -> float:
    """The search epochs of a group's runs (their config; else the epochs they ran)."""
    budget = pd.to_numeric(runs.get(EPOCHS_BUDGET, pd.Series(dtype=float)), errors="coerce").dropna()
    if budget.empty and "epochs" in runs.columns:
        budget = pd.to_numeric(runs["epochs"], errors="coerce").dropna()
    return float(budget.max()) if len(budget) else float("nan")


def over_epochs(counted: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and std (ddof=0; NaN for one seed) of `column` per (benchmark, method setting, epoch) over seeds."""
    frame = ensure_setting_columns(counted).dropna(subset=[column])
    if frame.empty:
        return pd.DataFrame(columns=[*GROUP, "epoch", "mean", "std", "seeds"])
    grouped = frame.groupby([*GROUP, "epoch"])[column]
    stats = grouped.agg(mean="mean", std=lambda v: v.std(ddof=0), seeds="count").reset_index()
    stats.loc[stats["seeds"] < 2, "std"] = float("nan")
    return stats
