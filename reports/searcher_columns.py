"""The searchers' own per-epoch numbers in the report: every numeric column of epochs.parquet that nash itself
does not write (a plug-in's `epoch_facts()`, SDARTS' ε, DrNAS' concentration, ...), plus GDAS' τ and the
architecture entropy, plotted over epochs per benchmark (mean ± std over seeds per method) and tabled at the
last epoch. No code change in nash is needed for a new searcher's columns to appear.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reports import plots
from reports.arch_plot import SKIP_WEIGHT
from reports.collapse import COUNT_COLUMNS, GROUP, group_label, over_epochs
from reports.render import Stat, Table
from reports.settings import EPOCHS_BUDGET, SETTING, SETTING_ID

# Columns nash writes for every run (harness/run/runner.py `_epoch_row`, the instruments) and those the report
# adds; everything else numeric came from a searcher. The learning rates follow the known schedules.
NASH_COLUMNS = frozenset({
    "run_id", "benchmark", "searcher", "profile", "seed", "epoch", "genotype", "skip_count", "param_free_count",
    "train_loss", "train_acc", "val_loss", "val_acc", "lr_weights", "lr_arch", "arch_weights", "epoch_seconds",
    "peak_mem_mb", "device", "precision", "channels_last", "hessian_eigenvalue", "supernet_kendall_tau",
    "analysis_seconds", "run_path", "headline_acc", *COUNT_COLUMNS, "collapsed", "space", "variant", SETTING,
    SETTING_ID, EPOCHS_BUDGET, SKIP_WEIGHT,
})  # fmt: skip
NASH_PREFIXES = ("oracle_", "run.", "config.")
MAX_COLUMNS = 12  # figures per report from searchers' columns; the table lists the rest
_LABELS = {"tau": "GDAS τ (Gumbel-softmax temperature)", "arch_entropy": "entropy of softmax(α), mean over edges"}


def searcher_columns(counted: pd.DataFrame) -> list[str]:
    """Numeric per-epoch columns with at least one value that nash does not write itself, in name order."""
    found = []
    for column in counted.columns:
        if column in NASH_COLUMNS or str(column).startswith(NASH_PREFIXES):
            continue
        values = counted[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.notna().any():
            found.append(column)
    return sorted(found, key=str)


def searcher_columns_table(counted: pd.DataFrame, per_run: pd.DataFrame, folder: Path, colours):
    """(Table or None, figures): per method and column, the value after the last epoch (mean ± std over seeds)."""
    columns = searcher_columns(counted[counted["run_path"].isin(per_run["run_path"])])
    if not columns:
        return None, []
    last = counted[counted["epoch"] == counted.groupby("run_path")["epoch"].transform("max")]
    lines = []
    for column in columns:
        for key, rows in last.dropna(subset=[column]).groupby(GROUP, sort=True):
            values = rows[column].astype(float)
            lines.append({"column": column, "method": group_label(dict(zip(GROUP, key, strict=True))),
                          "benchmark": key[0], "last epoch": Stat(values.mean(), values.std(ddof=0), len(values),
                                                                  digits=4)})  # fmt: skip
    figures = []
    for column in columns[:MAX_COLUMNS]:
        label = _LABELS.get(column, str(column))
        figures += plots.curves(over_epochs(counted, column), folder, f"column_{column}", label, str(column),
                                colours, runs=per_run)  # fmt: skip
    notes = ["Numeric per-epoch columns a searcher writes (`epoch_facts()`, plug-ins included), with GDAS' τ and "
             "the architecture entropy; mean ± std over seeds after each run's last epoch."]  # fmt: skip
    if len(columns) > MAX_COLUMNS:
        notes.append(f"Figures for the first {MAX_COLUMNS} of {len(columns)} columns in name order.")
    return Table("searcher_columns", "Searchers' own per-epoch columns", pd.DataFrame(lines), notes), figures
