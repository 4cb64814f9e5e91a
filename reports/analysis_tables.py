"""Tables of the analysis itself: collapse, early stop, rankings, supernet τ, cost."""

from __future__ import annotations

import pandas as pd

from reports.collapse import GROUP, CollapseRule, group_collapse, mean_std, method_label
from reports.eigenvalue import EarlyStopRule
from reports.paper_tables import numbers
from reports.published import load_published
from reports.render import Table, fmt


def collapse_table(per_run: pd.DataFrame, rule: CollapseRule) -> Table:
    lines = []
    for row in group_collapse(per_run).to_dict("records"):
        darts = pd.notna(row["skip_reduce_mean"])
        lines.append(
            {
                "benchmark": row["benchmark"],
                "method": method_label(row["searcher"], row["variant"]),
                "seeds": str(row["seeds"]),
                "skips (normal)": fmt(row["skip_normal_mean"], row["skip_normal_std"], 1),
                "#pf (normal)": fmt(row["param_free_normal_mean"], row["param_free_normal_std"], 1),
                "skips (reduce)": fmt(row["skip_reduce_mean"], row["skip_reduce_std"], 1) if darts else "",
                "#pf (reduce)": fmt(row["param_free_reduce_mean"], row["param_free_reduce_std"], 1) if darts else "",
                "collapse rate": f"{row['collapse_rate']:.0%}",
                "collapse epoch": fmt(row["collapse_epoch_mean"], None, 1),
                "final acc %": fmt(row["final_acc_mean"], row["final_acc_std"]),
                "test error %": fmt(row["test_error_mean"], row["test_error_std"]),
            }
        )
    notes = [
        f"Rule: {rule.describe()}.",
        "Counts of the final derived cell, mean ± std (population) over seeds; NB201 has one cell (normal). "
        "Collapse epoch: mean over the collapsed seeds. Final acc: the run's headline oracle value.",
    ]
    return Table("collapse", "Collapse statistics per benchmark and searcher", pd.DataFrame(lines), notes)


INLINE_ROWS = 60


def run_collapse_table(per_run: pd.DataFrame) -> Table:
    """One line per run: final counts, collapse epoch, final metric and cell."""
    frame = pd.DataFrame(
        {
            "benchmark": per_run["benchmark"],
            "method": [method_label(s, v) for s, v in zip(per_run["searcher"], per_run["variant"], strict=True)],
            "seed": per_run["seed"].astype(str),
            "epochs": per_run["epochs"].astype(str),
            "skips (normal)": per_run["skip_normal"].astype(str),
            "#pf (normal)": per_run["param_free_normal"].astype(str),
            "#pf (reduce)": per_run["param_free_reduce"].map(lambda v: fmt(v, None, 0)),
            "collapse epoch": per_run["collapse_epoch"].map(lambda v: fmt(v, None, 0) or "-"),
            "final acc %": per_run["final_acc"].map(fmt),
            "test error %": pd.to_numeric(per_run["test_error"], errors="coerce").map(fmt),
            "final cell": per_run["final_genotype"],
        }
    ).sort_values(["benchmark", "method", "seed"], ignore_index=True)
    note = "Per run, under the rule above; collapse epoch '-' = the final cell is not collapsed."
    return Table("collapse_runs", "Collapse per run", frame, [note], inline=len(frame) <= INLINE_ROWS)


def early_stop_table(stops: pd.DataFrame, rule: EarlyStopRule) -> Table:
    frame = pd.DataFrame(
        {
            "benchmark": stops["benchmark"],
            "method": [method_label(s, v) for s, v in zip(stops["searcher"], stops["variant"], strict=True)],
            "seed": stops["seed"].astype(str),
            "measurements": stops["measurements"].astype(str),
            "trigger epoch": stops["trigger_epoch"].map(lambda v: fmt(v, None, 0) or "never"),
            "stop epoch": stops["stop_epoch"].map(lambda v: fmt(v, None, 0) or "-"),
            "ratio": stops["ratio"].map(lambda v: fmt(v, None, 2)),
            "cell returned": stops["stop_genotype"],
        }
    )
    return Table("early_stop", "Dominant Hessian eigenvalue: where RobustDARTS would stop", frame, [rule.describe()])


def rank_tables(ranks: pd.DataFrame, means: pd.DataFrame, taus: pd.DataFrame, metrics: pd.DataFrame) -> list[Table]:
    shown = ranks.map(lambda v: fmt(v, None, 1)).reset_index()
    direction = metrics.groupby("benchmark")["metric"].first()
    shown.insert(1, "ranked by", shown["benchmark"].map(direction))
    rank_note = "Rank 1 = best seed-mean final metric (oracle accuracy: higher; test error: lower); ties averaged."
    mean_frame = pd.DataFrame(
        {
            "searcher": means["searcher"],
            "mean rank": means["mean_rank"].map(lambda v: fmt(v, None, 2)),
            "benchmarks": means["benchmarks"].astype(str),
        }
    )
    tau_frame = taus.map(lambda v: fmt(v, None, 2)).reset_index().rename(columns={"index": "benchmark"})
    tau_note = "Kendall τ-b between two benchmarks' rankings over the searchers both have (empty below 2)."
    return [
        Table("method_ranks", "Method ranking per benchmark", shown, [rank_note]),
        Table("mean_ranks", "Mean rank over the benchmarks", mean_frame, [rank_note]),
        Table("benchmark_tau", "Kendall τ between the benchmarks' rankings", tau_frame, [tau_note]),
    ]


def supernet_tau_table(taus: pd.DataFrame) -> Table:
    lines = []
    for key, rows in taus.groupby([*GROUP, "epoch"], sort=True):
        mean, std = mean_std(rows["supernet_kendall_tau"])
        benchmark, searcher, variant, epoch = key
        lines.append(
            {"benchmark": benchmark, "method": method_label(searcher, variant), "epoch": str(int(epoch)),
             "seeds": str(len(rows)), "τ": fmt(mean, std)}
        )  # fmt: skip
    note = "Kendall τ between the supernet's accuracy (inherited weights) and the oracle's of a fixed cell sample."
    return Table("supernet_tau", "One-shot ranking quality per searcher and epoch", pd.DataFrame(lines), [note])


def cost_table(per_run: pd.DataFrame, with_published: bool = False) -> Table:
    lines = []
    for (benchmark, searcher, variant), group in per_run.groupby(GROUP, sort=True):
        devices = sorted({str(d) for d in group.get("run.device", pd.Series(dtype=str)).dropna()})
        lines.append(
            {
                "benchmark": benchmark,
                "method": method_label(searcher, variant),
                "seeds": str(len(group)),
                "search s": fmt(*mean_std(numbers(group, "run.search_seconds")), 1),
                "search peak MB": fmt(*mean_std(numbers(group, "peak_mem_mb")), 0),
                "eval s": fmt(*mean_std(numbers(group, "eval.seconds")), 1),
                "eval peak MB": fmt(*mean_std(numbers(group, "eval.peak_mem_mb")), 0),
                "device": ", ".join(devices),
            }
        )
    notes = ["Search and evaluation cost kept apart: wall-clock seconds and peak memory (MB; the device's allocator)."]
    if with_published:
        memory = load_published("rome_memory")
        items = [
            f"{r['method']} {r['peak_mem_gb']} GB" + (f" ({r['note']})" if r["note"] else "")
            for _, r in memory.iterrows()
        ]
        notes.append(f"Published peak GPU memory ({memory['source'].iloc[0]}): {', '.join(items)}.")
        cost = load_published("nb201_search_cost")
        items = [f"{r['method']} {r['seconds']} s ({r['epochs']} epochs)" for _, r in cost.iterrows()]
        notes.append(f"Published NB201 search cost, CIFAR-10, {cost['note'].iloc[0]} ({cost['source'].iloc[0]}): "
                     f"{', '.join(items)}.")  # fmt: skip
    return Table("cost", "Cost per searcher", pd.DataFrame(lines), notes)
