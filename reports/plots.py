"""Report figures (matplotlib, Agg backend), each written as PNG and PDF.

One colour per searcher everywhere (`searcher_colours`); curves are the mean over seeds with a
±1 std band. Every function returns the PNG paths it wrote ([] when it had no data).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from reports.collapse import GROUP, method_label  # noqa: E402

_FIXED = {"darts": "tab:blue", "darts-v2": "tab:cyan", "gdas": "tab:orange", "pcdarts": "tab:green", "rome": "tab:red"}
_SPARE = ("tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive")


def searcher_colours(searchers: Iterable[str]) -> dict[str, str]:
    """Known searchers keep their colour in every report; others take spare colours in name order."""
    colours = dict(_FIXED)
    spare = iter(_SPARE * 4)
    for name in sorted(set(searchers) - set(_FIXED)):
        colours[name] = next(spare)
    return colours


def _save(fig, folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    png = folder / f"{stem}.png"
    fig.savefig(png, dpi=120)
    fig.savefig(folder / f"{stem}.pdf")
    plt.close(fig)
    return png


def _line_style(variant: str) -> str:
    return "-" if not variant else "--"


def curves(
    stats: pd.DataFrame,
    folder: Path,
    stem: str,
    ylabel: str,
    title: str,
    colours: dict[str, str],
    marks: pd.DataFrame | None = None,
) -> list[Path]:
    """One figure per benchmark: mean ± std over seeds of a per-epoch statistic (`reports.collapse.over_epochs`).

    `marks` (benchmark, searcher, epoch) draws a dotted vertical line per row, e.g. where early stop would stop.
    """
    written = []
    for benchmark, rows in stats.groupby("benchmark", sort=True):
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for (searcher, variant), line in rows.groupby(["searcher", "variant"], sort=True):
            line = line.sort_values("epoch")
            colour = colours[searcher]
            ax.plot(line["epoch"], line["mean"], _line_style(variant), color=colour, marker="o", markersize=3,
                    label=f"{method_label(searcher, variant)} (n={int(line['seeds'].max())})")  # fmt: skip
            ax.fill_between(
                line["epoch"], line["mean"] - line["std"], line["mean"] + line["std"], color=colour, alpha=0.2
            )
        if marks is not None:
            for mark in marks[marks["benchmark"] == benchmark].dropna(subset=["epoch"]).itertuples():
                ax.axvline(mark.epoch, color=colours[mark.searcher], linestyle=":", linewidth=1)
        ax.set(xlabel="search epoch", ylabel=ylabel, title=f"{title} — {benchmark}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        written.append(_save(fig, folder, f"{stem}_{benchmark}"))
    return written


def cost_bars(per_run: pd.DataFrame, folder: Path, colours: dict[str, str]) -> list[Path]:
    """Peak memory (MB) and search time (s) per searcher, mean over seeds with std error bars, per benchmark."""
    measures = [("peak_mem_mb", "peak memory (MB)"), ("run.search_seconds", "search time (s)")]
    measures = [(c, label) for c, label in measures if c in per_run.columns and per_run[c].notna().any()]
    if not measures:
        return []
    fig, axes = plt.subplots(1, len(measures), figsize=(5 * len(measures), 3.8), squeeze=False)
    for ax, (column, label) in zip(axes[0], measures, strict=True):
        stats = per_run.assign(value=pd.to_numeric(per_run[column], errors="coerce")).groupby([*GROUP])["value"]
        stats = stats.agg(mean="mean", std=lambda v: v.std(ddof=0)).reset_index()
        names = [
            f"{method_label(s, v)}\n{b}" for b, s, v in zip(stats.benchmark, stats.searcher, stats.variant, strict=True)
        ]
        ax.bar(range(len(stats)), stats["mean"], yerr=stats["std"].fillna(0),
               color=[colours[s] for s in stats["searcher"]], capsize=3)  # fmt: skip
        ax.set_xticks(range(len(stats)), names, rotation=45, ha="right", fontsize=7)
        ax.set(ylabel=label, title=label.split(" (")[0])
        ax.grid(axis="y", alpha=0.3)
    searchers = sorted(set(per_run["searcher"]))
    axes[0][-1].legend(handles=[Patch(color=colours[s], label=s) for s in searchers], fontsize=8, title="searcher")
    return [_save(fig, folder, "cost")]


def rank_heatmap(ranks: pd.DataFrame, folder: Path) -> list[Path]:
    """Benchmarks × searchers, the rank in each cell (1 = best)."""
    if ranks.empty:
        return []
    fig, ax = plt.subplots(figsize=(1.2 * ranks.shape[1] + 2.5, 0.45 * ranks.shape[0] + 1.6))
    image = ax.imshow(ranks.to_numpy(dtype=float), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(ranks.shape[1]), ranks.columns)
    ax.set_yticks(range(ranks.shape[0]), ranks.index)
    values = ranks.to_numpy(dtype=float)
    middle = np.nanmean([np.nanmin(values), np.nanmax(values)])
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):  # dark text on the light (good) end of viridis_r, light text on the dark end
            colour = "black" if value <= middle else "white"
            ax.text(j, i, f"{value:g}", ha="center", va="center", color=colour, fontsize=9)
    ax.set(xlabel="searcher", ylabel="benchmark", title="rank per benchmark (1 = best)")
    fig.colorbar(image, ax=ax, label="rank")
    return [_save(fig, folder, "rank_heatmap")]
