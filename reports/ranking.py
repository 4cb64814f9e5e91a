"""Kendall τ (scipy.stats.kendalltau, τ-b): supernet ranking quality and method rankings (ALGORITHMS.md §3).

Method rankings: a method is a searcher, or a searcher with a sweep preset's variant ("rome [td]") and,
when the folder holds several settings of it, its setting ("darts (quick, 5 ep)");
the final metric of a (benchmark, method) is its seed mean of the run's headline
oracle accuracy (NB201, higher is better) or of the evaluation test error (DARTS family, lower is
better). Searchers are ranked per benchmark (1 = best, ties share their average rank).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from reports.collapse import group_label
from reports.settings import ensure_setting_columns

TAU_COLUMN = "supernet_kendall_tau"


def supernet_tau(epochs: pd.DataFrame, rankings: pd.DataFrame) -> pd.DataFrame:
    """τ per run and epoch: the `supernet_kendall_tau` column, else computed from ranking.parquet rows."""
    frames = []
    identity = ["run_path", "benchmark", "searcher", "variant", "setting", "seed"]
    epochs, rankings = ensure_setting_columns(epochs), ensure_setting_columns(rankings)
    if TAU_COLUMN in epochs.columns:
        measured = epochs.dropna(subset=[TAU_COLUMN])
        frames.append(measured[[*identity, "epoch", TAU_COLUMN]])
    if not rankings.empty and {"supernet_acc", "oracle_acc"} <= set(rankings.columns):
        lines = []
        for (_run_path, epoch), rows in rankings.groupby(["run_path", "epoch"], sort=True):
            first = rows.iloc[0]
            line = {k: first[k] for k in identity}
            line.update(epoch=epoch, **{TAU_COLUMN: kendalltau(rows["supernet_acc"], rows["oracle_acc"]).statistic})
            lines.append(line)
        computed = pd.DataFrame(lines)
        if frames:  # the column wins where both exist
            known = set(zip(frames[0]["run_path"], frames[0]["epoch"], strict=True))
            keep = [(p, e) not in known for p, e in zip(computed["run_path"], computed["epoch"], strict=True)]
            computed = computed[keep]
        frames.append(computed)
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).sort_values(["run_path", "epoch"], ignore_index=True)


def final_metrics(per_run: pd.DataFrame) -> pd.DataFrame:
    """Seed-mean final metric per (benchmark, method); the method is in column `searcher`."""
    lines = []
    per_run = ensure_setting_columns(per_run)
    per_run = per_run.assign(method=[group_label(r) for r in per_run.to_dict("records")])
    for (benchmark, searcher), runs in per_run.groupby(["benchmark", "method"], sort=True):
        accuracy = pd.to_numeric(runs["final_acc"], errors="coerce").dropna()
        error = pd.to_numeric(runs["test_error"], errors="coerce").dropna()
        if len(accuracy):
            lines.append((benchmark, searcher, float(accuracy.mean()), "oracle accuracy %", True))
        elif len(error):
            lines.append((benchmark, searcher, float(error.mean()), "test error %", False))
    return pd.DataFrame(lines, columns=["benchmark", "searcher", "value", "metric", "higher_is_better"])


def method_ranks(metrics: pd.DataFrame) -> pd.DataFrame:
    """Benchmark × searcher matrix of ranks (1 = best; ties averaged; NaN where a searcher has no result)."""
    if metrics.empty:
        return pd.DataFrame()
    ranks = []
    for _benchmark, rows in metrics.groupby("benchmark", sort=True):
        ascending = not bool(rows["higher_is_better"].iloc[0])
        ranks.append(rows.assign(rank=rows["value"].rank(ascending=ascending, method="average")))
    return pd.concat(ranks).pivot(index="benchmark", columns="searcher", values="rank")


def mean_ranks(ranks: pd.DataFrame) -> pd.DataFrame:
    """Mean rank of each searcher over the benchmarks where it has a result, best first."""
    if ranks.empty:
        return pd.DataFrame(columns=["searcher", "mean_rank", "benchmarks"])
    frame = pd.DataFrame({"mean_rank": ranks.mean(axis=0), "benchmarks": ranks.notna().sum(axis=0)})
    return frame.rename_axis("searcher").reset_index().sort_values(["mean_rank", "searcher"], ignore_index=True)


def benchmark_tau(ranks: pd.DataFrame) -> pd.DataFrame:
    """τ between every pair of benchmarks' rankings over the searchers both have (NaN below 2 shared)."""
    names = list(ranks.index)
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for a, b in itertools.combinations(names, 2):
        shared = ranks.loc[[a, b]].dropna(axis=1)
        tau = kendalltau(shared.loc[a], shared.loc[b]).statistic if shared.shape[1] >= 2 else np.nan
        matrix.loc[a, b] = matrix.loc[b, a] = tau
    return matrix
