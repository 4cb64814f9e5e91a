"""Report figures (matplotlib, Agg backend), each written as PNG and PDF.

One colour and marker per searcher everywhere (`searcher_colours`, `searcher_marker`); another setting
or sweep variant of the same searcher keeps the colour and changes the line style. Curves are the
mean over seeds with a ±1 std band (no band for one seed); legends sit outside the axes; titles name
the setting (profile, seeds, epochs). Every function returns the PNG paths it wrote ([] without data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# Names from run files are text: "$...$" in a searcher or run name is not mathtext (a malformed one would fail the
# figure, and the report with it). nash's own math passes parse_math=True where it draws it.
matplotlib.rcParams["text.parse_math"] = False
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from reports.collapse import GROUP, group_label  # noqa: E402
from reports.settings import EPOCHS_BUDGET, ensure_setting_columns  # noqa: E402

# Fixed, mutually distinct colours for the built-in searchers (CIELAB ΔE >= 25 between any two, with the
# first spares too; tests/reports/test_build.py), plus one marker each.
_FIXED = {
    "darts": "#1f77b4",  # blue
    "darts-v2": "#9467bd",  # purple
    "gdas": "#ff7f0e",  # orange
    "pcdarts": "#2ca02c",  # green
    "rome": "#d62728",  # red
    "darts-es": "#8c564b",  # brown
    "darts-ada": "#e377c2",  # pink
    "sdarts-rs": "#000000",  # black (not cyan: next to darts' blue it reads as the same hue)
    "darts-minus": "#bcbd22",  # olive
    "drnas": "#7f7f7f",  # grey
}
_SPARE = ("#e7ba52", "#637939", "#17becf", "#843c39", "#7b4173", "#393b79", "#a6cee3", "#ffd700")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
_STYLES = ("-", "--", ":", "-.")


def searcher_colours(searchers: Iterable[str]) -> dict[str, str]:
    """Known searchers keep their colour in every report; others (plug-ins) take spare colours in name order."""
    colours = dict(_FIXED)
    spare = iter(_SPARE * 4)
    for name in sorted(set(searchers) - set(_FIXED)):
        colours[name] = next(spare)
    return colours


def searcher_marker(searcher: str, colours: dict[str, str]) -> str:
    return _MARKERS[list(colours).index(searcher) % len(_MARKERS)] if searcher in colours else "o"


def describe_setting(runs: pd.DataFrame) -> str:
    """'quick profile, seeds 0–2, 5 epochs' for the runs of one figure."""
    profiles = sorted({str(p) for p in runs.get("profile", pd.Series(dtype=str)).dropna()})
    seeds = sorted({int(s) for s in pd.to_numeric(runs.get("seed", pd.Series(dtype=float)), errors="coerce").dropna()})
    budget = pd.to_numeric(runs.get(EPOCHS_BUDGET, pd.Series(dtype=float)), errors="coerce").dropna()
    if budget.empty and "epoch" in runs.columns:
        budget = pd.to_numeric(runs["epoch"], errors="coerce").dropna() + 1
    parts = [f"{'/'.join(profiles)} profile"] if profiles else []
    if seeds:
        parts.append(f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {_span(seeds)}")
    if len(budget):
        low, high = int(budget.min()), int(budget.max())
        parts.append(f"{high} epochs" if low == high else f"{low}–{high} epochs")
    return ", ".join(parts)


def _span(values: list[int]) -> str:
    contiguous = values == list(range(values[0], values[-1] + 1))
    return f"{values[0]}–{values[-1]}" if contiguous and len(values) > 2 else ", ".join(map(str, values))


def safe_stem(stem: str) -> str:
    """A file name from run-file names (benchmarks, run paths): letters, digits, `_`, `.`, `-` only."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._")[:150] or "figure"


def save(fig, folder: Path, stem: str) -> Path:
    """PNG and PDF of `fig`, named by `safe_stem(stem)`."""
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{safe_stem(stem)}.png"
    fig.savefig(png, dpi=120, bbox_inches="tight")
    fig.savefig(png.with_suffix(".pdf"), bbox_inches="tight")
    plt.close(fig)
    return png


def line_styles(stats: pd.DataFrame) -> dict[tuple, str]:
    """Per searcher, its first (variant, setting) is solid, the next dashed, ..."""
    styles: dict[tuple, str] = {}
    for _searcher, rows in stats.groupby("searcher", sort=True):
        for i, key in enumerate(sorted(set(zip(rows["variant"], rows["setting"], strict=True)))):
            styles[(_searcher, *key)] = _STYLES[i % len(_STYLES)]
    return styles


def draw_band(ax, line: pd.DataFrame, colour: str, style: str, marker: str, label: str) -> None:
    line = line.sort_values("epoch")
    ax.plot(line["epoch"], line["mean"], style, color=colour, marker=marker, markersize=3.5, label=label)
    spread = line["std"].fillna(0.0)
    if (line["seeds"] > 1).any():
        ax.fill_between(line["epoch"], line["mean"] - spread, line["mean"] + spread, color=colour, alpha=0.18)


def legend_outside(ax, **kwargs) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, borderaxespad=0, **kwargs)


def curves(
    stats: pd.DataFrame,
    folder: Path,
    stem: str,
    ylabel: str,
    title: str,
    colours: dict[str, str],
    marks: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    integer_y: bool = False,
) -> list[Path]:
    """One figure per benchmark: mean ± std over seeds of a per-epoch statistic (`reports.collapse.over_epochs`).

    `marks` (benchmark, searcher, epoch) draws a dotted vertical line per row, e.g. where early stop would stop;
    `runs` (one row per run) names the setting in the title.
    """
    written = []
    stats = ensure_setting_columns(stats)
    for benchmark, rows in stats.groupby("benchmark", sort=True):
        fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
        styles = line_styles(rows)
        for key, line in rows.groupby(GROUP, sort=True):
            searcher = key[1]
            label = f"{group_label(dict(zip(GROUP, key, strict=True)))} (n={int(line['seeds'].max())})"
            style = styles[(searcher, key[2], key[3])]
            draw_band(ax, line, colours[searcher], style, searcher_marker(searcher, colours), label)
        if marks is not None:
            for mark in marks[marks["benchmark"] == benchmark].dropna(subset=["epoch"]).itertuples():
                ax.axvline(mark.epoch, color=colours[mark.searcher], linestyle=":", linewidth=1)
        setting = describe_setting(runs[runs["benchmark"] == benchmark]) if runs is not None else ""
        ax.set(
            xlabel="search epoch", ylabel=ylabel, title=f"{title} — {benchmark}" + (f"\n{setting}" if setting else "")
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if integer_y:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        legend_outside(ax)
        written.append(save(fig, folder, f"{stem}_{benchmark}"))
    return written


def cost_bars(per_run: pd.DataFrame, folder: Path, colours: dict[str, str]) -> list[Path]:
    """Peak memory (MB) and search time per epoch (s) per method setting, seed mean with std bars (n ≥ 2 only).

    Per epoch, not in total: runs of different budgets (5 vs 20 epochs) compare there."""
    per_run = ensure_setting_columns(per_run)
    epochs = pd.to_numeric(per_run.get("epochs", pd.Series(dtype=float)), errors="coerce").where(lambda e: e > 0)
    per_epoch = pd.to_numeric(per_run.get("run.search_seconds", pd.Series(dtype=float)), errors="coerce") / epochs
    per_run = per_run.assign(search_seconds_per_epoch=per_epoch)
    measures = [("peak_mem_mb", "peak memory (MB)"), ("search_seconds_per_epoch", "search time per epoch (s)")]
    measures = [(c, label) for c, label in measures if c in per_run.columns and per_run[c].notna().any()]
    if not measures:
        return []
    fig, axes = plt.subplots(1, len(measures), figsize=(5 * len(measures) + 1.5, 4.2), squeeze=False,
                             layout="constrained")  # fmt: skip
    for ax, (column, label) in zip(axes[0], measures, strict=True):
        stats = per_run.assign(value=pd.to_numeric(per_run[column], errors="coerce")).groupby(GROUP)["value"]
        stats = stats.agg(mean="mean", std=lambda v: v.std(ddof=0), n="count").reset_index()
        stats.loc[stats["n"] < 2, "std"] = np.nan
        names = [f"{group_label(r)}\n{r['benchmark']}" for r in stats.to_dict("records")]
        ax.bar(range(len(stats)), stats["mean"], yerr=stats["std"], color=[colours[s] for s in stats["searcher"]],
               capsize=3, error_kw={"elinewidth": 1})  # fmt: skip
        ax.set_xticks(range(len(stats)), names, rotation=45, ha="right", fontsize=7)
        ax.set(ylabel=label, title=label.split(" (")[0])
        ax.grid(axis="y", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[s]) for s in sorted(set(per_run["searcher"]))]
    axes[0][-1].legend(handles, sorted(set(per_run["searcher"])), title="searcher", loc="upper left",
                       bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)  # fmt: skip
    fig.suptitle(f"Search cost — {describe_setting(per_run)}; bars: seed mean, whiskers: ±1 std (n ≥ 2)", fontsize=9)
    return [save(fig, folder, "cost")]


def rank_heatmap(ranks: pd.DataFrame, folder: Path) -> list[Path]:
    """Benchmarks × searchers, the rank in each cell (1 = best)."""
    if ranks.empty:
        return []
    fig, ax = plt.subplots(figsize=(1.2 * ranks.shape[1] + 2.5, 0.45 * ranks.shape[0] + 1.6), layout="constrained")
    image = ax.imshow(ranks.to_numpy(dtype=float), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(ranks.shape[1]), ranks.columns, rotation=30, ha="right")
    ax.set_yticks(range(ranks.shape[0]), ranks.index)
    values = ranks.to_numpy(dtype=float)
    middle = np.nanmean([np.nanmin(values), np.nanmax(values)])
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):  # dark text on the light (good) end of viridis_r, light text on the dark end
            colour = "black" if value <= middle else "white"
            ax.text(j, i, f"{value:g}", ha="center", va="center", color=colour, fontsize=9)
    ax.set(xlabel="method", ylabel="benchmark", title="rank per benchmark (1 = best)")
    colorbar = fig.colorbar(image, ax=ax, label="rank")
    colorbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return [save(fig, folder, "rank_heatmap")]
