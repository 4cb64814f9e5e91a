"""Tables of the analysis itself: collapse, early stop, rankings, supernet τ, cost."""

from __future__ import annotations

import math

import pandas as pd

from reports.collapse import GROUP, CollapseRule, group_collapse, group_label, stat
from reports.eigenvalue import EarlyStopRule
from reports.paper_tables import numbers, setting_columns
from reports.published import load_published
from reports.render import Stat, Table
from reports.settings import ensure_setting_columns


def _int(value) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


def collapse_table(per_run: pd.DataFrame, rule: CollapseRule) -> Table:
    lines = []
    for row in group_collapse(per_run).to_dict("records"):
        darts = pd.notna(row["skip_reduce_mean"])
        n = row["seeds"]

        def cell(name: str, digits: int, n: int = n, row: dict = row) -> Stat:
            return Stat(row[f"{name}_mean"], row[f"{name}_std"], n, digits)

        lines.append(
            {
                "benchmark": row["benchmark"],
                "method": group_label(row),
                "profile": row["profile"],
                "epochs": _int(row["epochs"]),
                "seeds": n,
                "skips (normal)": cell("skip_normal", 1),
                "#pf (normal)": cell("param_free_normal", 1),
                "skips (reduce)": cell("skip_reduce", 1) if darts else None,
                "#pf (reduce)": cell("param_free_reduce", 1) if darts else None,
                "collapse rate %": Stat(100 * row["collapse_rate"], digits=0),
                "collapse epoch": Stat(row["collapse_epoch_mean"], digits=_epoch_digits(row["collapse_epoch_mean"])),
                "final acc %": Stat(row["final_acc_mean"], row["final_acc_std"], row["final_acc_n"]),
                "test error %": Stat(row["test_error_mean"], row["test_error_std"], row["test_error_n"]),
            }
        )
    notes = [
        f"Rule: {rule.describe()}.",
        "Counts of the final derived cell, mean ± std (population) over the seeds of one setting; NB201 has one "
        "cell (normal). Collapse epoch: mean over the collapsed seeds. Final acc: the run's headline oracle value.",
    ]
    return Table("collapse", "Collapse statistics per benchmark and searcher", pd.DataFrame(lines), notes)


INLINE_ROWS = 60


def run_collapse_table(per_run: pd.DataFrame) -> Table:
    """One line per run: final counts, collapse epoch, final metric and cell."""
    per_run = ensure_setting_columns(per_run)
    frame = pd.DataFrame(
        {
            "benchmark": per_run["benchmark"],
            "method": [group_label(r) for r in per_run.to_dict("records")],
            "seed": per_run["seed"].map(_int),
            "epochs": per_run["epochs"].map(_int),
            "skips (normal)": per_run["skip_normal"].map(_int),
            "#pf (normal)": per_run["param_free_normal"].map(_int),
            "#pf (reduce)": per_run["param_free_reduce"].map(_int),
            "collapse epoch": per_run["collapse_epoch"].map(_int),
            "final acc %": per_run["final_acc"].map(lambda v: Stat(v)),
            "test error %": pd.to_numeric(per_run["test_error"], errors="coerce").map(lambda v: Stat(v)),
            "final cell": per_run["final_genotype"],
        }
    ).sort_values(["benchmark", "method", "seed"], ignore_index=True)
    note = "Per run, under the rule above; collapse epoch empty = the final cell is not collapsed."
    return Table("collapse_runs", "Collapse per run", frame, [note], inline=len(frame) <= INLINE_ROWS)


def early_stop_table(stops: pd.DataFrame, rule: EarlyStopRule) -> Table:
    stops = ensure_setting_columns(stops)
    frame = pd.DataFrame(
        {
            "benchmark": stops["benchmark"],
            "method": [group_label(r) for r in stops.to_dict("records")],
            "seed": stops["seed"].map(_int),
            "measurements": stops["measurements"].map(_int),
            "trigger epoch": stops["trigger_epoch"].map(_int),
            "stop epoch": stops["stop_epoch"].map(_int),
            "ratio": stops["ratio"].map(lambda v: Stat(v)),
            "cell returned": stops["stop_genotype"],
        }
    )
    notes = [rule.describe(), "Trigger epoch empty: the rule never fired (the search would run to its end)."]
    return Table("early_stop", "Dominant Hessian eigenvalue: where RobustDARTS would stop", frame, notes)


def _epoch_digits(mean: float) -> int:
    """Epochs are whole numbers: a mean over seeds shows a decimal only when it has one."""
    return 0 if mean != mean or float(mean).is_integer() else 1


def rank_tables(ranks: pd.DataFrame, means: pd.DataFrame, taus: pd.DataFrame, metrics: pd.DataFrame) -> list[Table]:
    shown = ranks.map(lambda v: Stat(v, digits=1)).rename_axis(index=None, columns=None)
    shown.insert(0, "benchmark", list(ranks.index))
    direction = metrics.groupby("benchmark")["metric"].first()
    shown.insert(1, "ranked by", shown["benchmark"].map(direction))
    rank_note = "Rank 1 = best seed-mean final metric (oracle accuracy: higher; test error: lower); ties averaged."
    mean_frame = pd.DataFrame(
        {
            "searcher": means["searcher"],
            "mean rank": means["mean_rank"].map(lambda v: Stat(v)),
            "benchmarks": means["benchmarks"].map(_int),
        }
    )
    tau_frame = taus.map(lambda v: Stat(v)).rename_axis(index=None, columns=None)
    tau_frame.insert(0, "benchmark", list(taus.index))
    tau_note = "Kendall τ-b between two benchmarks' rankings over the searchers both have (empty below 2)."
    tables = [
        Table("method_ranks", "Method ranking per benchmark", shown.reset_index(drop=True), [rank_note]),
        Table("mean_ranks", "Mean rank over the benchmarks", mean_frame, [rank_note]),
    ]
    if len(taus) >= 2:  # one benchmark: a 1x1 table of 1.00 says nothing
        title = "Kendall τ between the benchmarks' rankings"
        tables.append(Table("benchmark_tau", title, tau_frame.reset_index(drop=True), [tau_note]))
    return tables


def supernet_tau_table(taus: pd.DataFrame) -> Table:
    lines = []
    for key, rows in ensure_setting_columns(taus).groupby([*GROUP, "epoch"], sort=True):
        line = {"benchmark": key[0], "method": group_label(dict(zip(GROUP, key, strict=False)))}
        line.update({"epoch": int(key[-1]), "seeds": len(rows), "τ": stat(rows["supernet_kendall_tau"])})
        lines.append(line)
    note = "Kendall τ between the supernet's accuracy (inherited weights) and the oracle's of a fixed cell sample."
    return Table("supernet_tau", "One-shot ranking quality per searcher and epoch", pd.DataFrame(lines), [note])


def cost_table(per_run: pd.DataFrame, with_published: bool = False) -> Table:
    lines = []
    for _key, group in ensure_setting_columns(per_run).groupby(GROUP, sort=True):
        devices = sorted({str(d) for d in group.get("run.device", pd.Series(dtype=str)).dropna()})
        seconds = numbers(group, "run.search_seconds")
        ran = numbers(group, "epochs").where(lambda e: e > 0)
        lines.append(
            {
                "benchmark": group["benchmark"].iloc[0],
                "method": group_label(group.iloc[0]),
                **setting_columns(group),
                "search s": stat(seconds, 1),
                "search s / epoch": stat(seconds / ran, 1),
                "search peak MB": stat(numbers(group, "peak_mem_mb"), 0),
                "eval s": stat(numbers(group, "eval.seconds"), 1),
                "eval peak MB": stat(numbers(group, "eval.peak_mem_mb"), 0),
                "device": ", ".join(devices),
            }
        )
    notes = [
        "Search and evaluation cost kept apart: wall-clock seconds (per epoch too: runs of different budgets "
        "compare there) and the run's own peak memory in MB (docs/RESULTS.md, `peak_mem_mb`: CUDA allocator peak; "
        "CPU: peak resident set size of the process while the run's epochs ran)."
    ]
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
