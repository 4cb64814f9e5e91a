"""The α trajectory in the report: per run, every edge's op weights over epochs; per benchmark, the mean
skip weight per method; and a table of where each run's α ended.

Reads the `arch_weights` column (`reports.arch_trajectory`); runs without it contribute nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from reports import plots
from reports.arch_trajectory import arch_trajectory
from reports.collapse import GROUP, group_label, over_epochs
from reports.render import Stat, Table
from reports.settings import ensure_setting_columns

SKIP = "skip_connect"
MAX_ALPHA_FIGURES = 24  # per-run α figures in a report (each ~2 s of CPU); beyond, one per method setting
SKIP_WEIGHT = "alpha_skip_weight"  # per run and epoch: softmax(α) of skip_connect, mean over the edges that have it
# Op colours fixed by name, so an op has one colour in every panel and report (others: the spare cycle).
_OP_COLOURS = {
    "none": "#7f7f7f",
    "skip_connect": "#d62728",
    "nor_conv_1x1": "#1f77b4",
    "nor_conv_3x3": "#2ca02c",
    "avg_pool_3x3": "#ff7f0e",
    "max_pool_3x3": "#8c564b",
    "sep_conv_3x3": "#9467bd",
    "sep_conv_5x5": "#17becf",
    "dil_conv_3x3": "#e377c2",
    "dil_conv_5x5": "#bcbd22",
    "noise": "#000000",
}
_SPARE = ("#393b79", "#637939", "#843c39", "#7b4173", "#e7ba52")


def alpha_weights(epochs: pd.DataFrame) -> pd.DataFrame:
    """The tidy α rows (`param == "alpha"`) of every run, keyed by run_path."""
    tidy = arch_trajectory(epochs, key="run_path")
    return tidy[tidy["param"] == "alpha"]


def with_skip_weight(counted: pd.DataFrame, alpha: pd.DataFrame) -> pd.DataFrame:
    """`counted` with SKIP_WEIGHT per run and epoch (NaN where no weights were stored)."""
    skip = alpha[alpha["option"] == SKIP].groupby(["run_path", "epoch"])["weight"].mean().rename(SKIP_WEIGHT)
    return counted.merge(skip.reset_index(), on=["run_path", "epoch"], how="left")


def arch_table(per_run: pd.DataFrame, alpha: pd.DataFrame) -> Table | None:
    """Per run: epochs stored; at the last one the mean skip weight, mean largest weight, edges led by skip."""
    if alpha.empty:
        return None
    epochs = alpha.groupby("run_path")["epoch"].nunique()
    last = alpha[alpha["epoch"] == alpha.groupby("run_path")["epoch"].transform("max")]
    finished, lines = set(per_run["run_path"]), []
    for run, rows in last.groupby("run_path", sort=False):
        if run not in finished:
            continue
        leaders = rows.sort_values("weight").groupby("group", sort=False).tail(1)
        skip = rows.loc[rows["option"] == SKIP, "weight"]
        lines.append({
            "run": run,
            "epochs": int(epochs[run]),
            "mean skip weight": Stat(skip.mean(), n=1, digits=3) if len(skip) else None,
            "mean largest weight": Stat(leaders["weight"].mean(), n=1, digits=3),
            "edges led by skip": f"{int((leaders['option'] == SKIP).sum())} of {len(leaders)}",
        })  # fmt: skip
    notes = [
        "softmax(α) after each run's last epoch (epochs.parquet `arch_weights`; uniform over 5 NB201 ops is 0.200). "
        "Figures: every edge's op weights over epochs per run, and the mean skip weight per method."
    ]
    return Table("arch_weights", "Where α ended", pd.DataFrame(lines), notes)


def alpha_runs(alpha: pd.DataFrame, per_run: pd.DataFrame, limit: int = MAX_ALPHA_FIGURES) -> tuple[list[str], str]:
    """The finished runs whose α gets a figure: all up to `limit`, else the lowest seed of each method setting
    (a figure per seed of a 100-run sweep is minutes of drawing and a page nobody reads); and a note saying so."""
    stored = per_run[per_run["run_path"].isin(set(alpha["run_path"]))]
    if len(stored) <= limit:
        return sorted(stored["run_path"]), ""
    firsts = ensure_setting_columns(stored).sort_values("seed").groupby(GROUP, sort=True).head(1)
    chosen = sorted(firsts["run_path"])[:limit]
    return chosen, (f"α per edge drawn for {len(chosen)} of {len(stored)} runs: the lowest seed of each method "
                    "setting (every run's α is in its epochs.parquet and in the table 'Where α ended')")  # fmt: skip


def alpha_figures(alpha: pd.DataFrame, per_run: pd.DataFrame, folder: Path, runs: list[str]) -> list[Path]:
    """One figure per run of `runs`: a panel per edge, a line per op (softmax(α) against the search epoch)."""
    written, stems = [], set()
    facts = per_run.set_index("run_path")
    for run, rows in alpha[alpha["run_path"].isin(runs)].groupby("run_path", sort=True):
        edges = list(dict.fromkeys(rows["group"]))
        ops = list(dict.fromkeys(rows["option"]))
        colours = _op_colours(ops)
        columns = 3 if len(edges) <= 6 else 7
        fig, axes = plt.subplots(math.ceil(len(edges) / columns), columns, squeeze=False, sharex=True, sharey=True,
                                 figsize=(2.4 * columns + 1.6, 1.9 * math.ceil(len(edges) / columns) + 0.6),
                                 layout="constrained")  # fmt: skip
        for ax, edge in zip(axes.flat, edges, strict=False):
            for op, line in rows[rows["group"] == edge].groupby("option", sort=False):
                line = line.sort_values("epoch")
                ax.plot(line["epoch"], line["weight"], color=colours[op], linewidth=1.4 if op == SKIP else 1.0,
                        label=op)  # fmt: skip
            ax.set_title(edge, fontsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
        for ax in axes.flat[len(edges) :]:
            ax.set_visible(False)
        handles = [plt.Line2D([], [], color=colours[op]) for op in ops]
        fig.legend(handles, ops, loc="outside right upper", fontsize=8, frameon=False)
        fig.supxlabel("search epoch", fontsize=9)
        fig.supylabel("softmax(α)", fontsize=9)
        fig.suptitle(f"α per edge — {_describe(run, facts)}", fontsize=9)
        stem = plots.safe_stem(f"alpha_{run}")
        stem = stem if stem not in stems else f"{stem}_{len(stems)}"  # two paths that sanitise alike (plots.save)
        stems.add(stem)
        written.append(plots.save(fig, folder, stem))
    return written


def skip_weight_curves(counted: pd.DataFrame, per_run: pd.DataFrame, folder: Path, colours) -> list[Path]:
    """Per benchmark: the mean skip weight over epochs, mean ± std over seeds per method."""
    if SKIP_WEIGHT not in counted.columns or counted[SKIP_WEIGHT].isna().all():
        return []
    stats = over_epochs(counted, SKIP_WEIGHT)
    return plots.curves(stats, folder, "alpha_skip", "mean softmax(α) of skip_connect", "skip weight", colours,
                        runs=per_run)  # fmt: skip


def _op_colours(ops: list[str]) -> dict[str, str]:
    spare = iter(_SPARE * (len(ops) // len(_SPARE) + 1))
    return {op: _OP_COLOURS.get(op) or next(spare) for op in ops}


def _describe(run: str, facts: pd.DataFrame) -> str:
    if run not in facts.index:
        return run
    row = facts.loc[run]
    return f"{row.get('searcher')} on {row.get('benchmark')}, {row.get('profile')} profile, seed {row.get('seed')}"


SUPERNET_COLUMNS = (("train_acc", "train accuracy (%)"), ("val_acc", "val accuracy (%)"),
                    ("train_loss", "train loss"), ("val_loss", "val loss"))  # fmt: skip


def supernet_figures(counted: pd.DataFrame, per_run: pd.DataFrame, folder: Path, colours) -> list[Path]:
    """Per benchmark: the supernet's train/val accuracy and loss over epochs, mean ± std over seeds per method."""
    present = [(c, label) for c, label in SUPERNET_COLUMNS if c in counted.columns and counted[c].notna().any()]
    if not present:
        return []
    stats = {c: ensure_setting_columns(over_epochs(counted, c)) for c, _ in present}
    written = []
    for benchmark in sorted(counted["benchmark"].unique()):
        fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True, squeeze=False, layout="constrained")
        for ax, (column, label) in zip(axes.flat, present, strict=False):
            rows = stats[column][stats[column]["benchmark"] == benchmark]
            styles = plots.line_styles(rows)
            for key, line in rows.groupby(GROUP, sort=True):
                name = f"{group_label(dict(zip(GROUP, key, strict=True)))} (n={int(line['seeds'].max())})"
                marker = plots.searcher_marker(key[1], colours)
                plots.draw_band(ax, line, colours[key[1]], styles[(key[1], key[2], key[3])], marker, name)
            ax.set(ylabel=label)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
        for ax in axes[-1]:
            ax.set_xlabel("search epoch")
        plots.legend_outside(axes[0][-1])
        setting = plots.describe_setting(per_run[per_run["benchmark"] == benchmark])
        fig.suptitle(f"Supernet during the search — {benchmark}, {setting}", fontsize=10)
        written.append(plots.save(fig, folder, f"supernet_{benchmark}"))
    return written
