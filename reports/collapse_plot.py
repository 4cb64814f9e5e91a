"""The collapse figure: per benchmark, does each searcher's derived cell fill up with parameter-free ops?

Top panel: the share of parameter-free ops (skip, pools, none, noise) in the derived (normal) cell per
search epoch, mean and ±1 std band over seeds, one colour per searcher; the collapse rule's threshold
as a grey dashed line. When the rule counts skip_connect ops (DARTS family, default), the skip share is
drawn dashed in the same colour and the threshold applies to it. The right axis reads the same line as
a count of ops. Bottom panel (benchmarks with a tabular oracle): the oracle accuracy of the derived
cell, named by dataset, split and training epochs, with the best and the all-skip cell's values
as dotted lines on NB201 CIFAR-10. The title names benchmark, profile, seeds, epochs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reports.collapse import GROUP, CollapseRule, group_label, over_epochs
from reports.plots import MaxNLocator, describe_setting, draw_band, line_styles, plt, save, searcher_marker
from reports.settings import ensure_setting_columns

OPS_PER_CELL = {"nb201": 6, "darts": 8}  # edges of the NB201 cell; ops kept in a DARTS-family cell
# Landmarks of an oracle column (NB201 table, 200 epochs, seed mean; BENCHMARKS.md §4.1), drawn in the
# accuracy panel so a reader sees at once how far a derived cell is from the best and from collapse.
ORACLE_LANDMARKS = {
    "oracle_cifar10_test_200": ((94.37, "best cell in the space"), (54.30, "all-skip cell (DARTS's published result)")),
}


def _rule_line(rule: CollapseRule, space: str) -> tuple[str, int]:
    """(measure, threshold count) of the rule in this space."""
    if space == "nb201":
        return "param_free", rule.nb201_threshold or OPS_PER_CELL["nb201"]
    return rule.measure, rule.darts_threshold


def collapse_figures(counted: pd.DataFrame, rule: CollapseRule, folder: Path, colours: dict[str, str]) -> list[Path]:
    """One figure per benchmark (see the module doc); `counted` = `with_cell_counts` rows of every run."""
    written = []
    counted = ensure_setting_columns(counted)
    for benchmark, rows in counted.groupby("benchmark", sort=True):
        space = str(rows["space"].iloc[0])
        ops = OPS_PER_CELL.get(space, 8)
        rows = rows.assign(pf_share=100 * rows["param_free_normal"] / ops, skip_share=100 * rows["skip_normal"] / ops)
        accuracy = over_epochs(rows, "headline_acc")
        panels = 2 if not accuracy.empty else 1
        fig, axes = plt.subplots(panels, 1, figsize=(8.0, 2.8 * panels + 0.6), sharex=True, squeeze=False,
                                 layout="constrained")  # fmt: skip
        top = axes[0][0]
        measure, threshold = _rule_line(rule, space)
        shares = over_epochs(rows, "pf_share")
        styles = line_styles(shares)
        for key, line in shares.groupby(GROUP, sort=True):
            searcher, style = key[1], styles[(key[1], key[2], key[3])]
            label = f"{group_label(dict(zip(GROUP, key, strict=True)))} (n={int(line['seeds'].max())})"
            draw_band(top, line, colours[searcher], style, searcher_marker(searcher, colours), label)
        # Where skip is the space's only parameter-free op (S2) the skip share is the parameter-free line itself.
        if measure == "skip" and not (rows["skip_normal"] == rows["param_free_normal"]).all():
            skips = over_epochs(rows, "skip_share")
            for key, line in skips.groupby(GROUP, sort=True):
                line = line.sort_values("epoch")
                top.plot(line["epoch"], line["mean"], "--", color=colours[key[1]], linewidth=1, alpha=0.8)
            top.plot([], [], "--", color="black", linewidth=1, label="dashed: skip_connect share")
        kind = "parameter-free" if measure == "param_free" else "skip_connect"
        top.axhline(100 * threshold / ops, color="0.4", linestyle=(0, (6, 3)), linewidth=1.2,
                    label=f"collapse rule: ≥ {threshold} of {ops} {kind}")  # fmt: skip
        top.set_ylim(-3, 110)  # room above 100 %: the NB201 rule line (6 of 6) is not the plot's edge
        top.set_ylabel(f"parameter-free ops in the\n{'cell' if space == 'nb201' else 'normal cell'} (% of {ops})")
        right = top.secondary_yaxis("right", functions=(lambda s, n=ops: s * n / 100, lambda c, n=ops: c * 100 / n))
        right.set_ylabel("ops (count)")
        right.yaxis.set_major_locator(MaxNLocator(integer=True))
        top.grid(alpha=0.3)
        top.plot([], [], " ", label="band: ±1 std over seeds")
        top.legend(loc="upper left", bbox_to_anchor=(1.12, 1.0), fontsize=8, frameon=False, borderaxespad=0)
        if panels == 2:
            bottom = axes[1][0]
            for key, line in accuracy.groupby(GROUP, sort=True):
                searcher = key[1]
                style = styles.get((searcher, key[2], key[3]), "-")
                draw_band(bottom, line, colours[searcher], style, searcher_marker(searcher, colours), "_nolegend_")
            for value, name in _landmarks(rows):
                bottom.axhline(value, color="0.3", linestyle=":", linewidth=1)
                bottom.annotate(f"{name}: {value:.2f}", (0, value), xycoords=("axes fraction", "data"),
                                xytext=(3, 2), textcoords="offset points", fontsize=7, color="0.3")  # fmt: skip
            label = _headline_label(rows)
            bottom.set_ylabel(f"oracle accuracy (%)\n{label}" if label else "oracle accuracy (%)")
            bottom.grid(alpha=0.3)
        axes[-1][0].set_xlabel("search epoch")
        axes[-1][0].xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle(f"Collapse on {benchmark} — {describe_setting(rows)}", fontsize=10)
        written.append(save(fig, folder, f"collapse_{benchmark}"))
    return written


def _landmarks(rows: pd.DataFrame) -> tuple[tuple[float, str], ...]:
    """The landmarks of the runs' headline oracle column, when they all share one that has them."""
    columns = set(rows["run.headline.column"].dropna()) if "run.headline.column" in rows.columns else set()
    return ORACLE_LANDMARKS.get(columns.pop(), ()) if len(columns) == 1 else ()


def _headline_label(rows: pd.DataFrame) -> str:
    """The oracle column the runs' summaries show, e.g. 'cifar10 test acc (200ep, seed mean)'."""
    if "run.headline.label" not in rows.columns:
        return ""
    labels = sorted({str(v) for v in rows["run.headline.label"].dropna()})
    return " / ".join(labels)
