"""The α (β) trajectory of search runs as a tidy table: one row per run, epoch, parameter, group and option.

Reads the `arch_weights` column of epochs.parquet: JSON written after every epoch by `searchers.arch_weights`
(parameter → group → option → weight; docs/RESULTS.md). Columns of the result: the key column (`run_path` for a
loaded `RunStore`, else `run_id`), `epoch`, `param` ("alpha" or "beta"), `group` (an edge such as `2<-1`, or a
node), `option` (an op, or an incoming edge), `weight`. Rows of runs written before the column existed, or of
a searcher that stores none, give nothing; a malformed cell is skipped with one warning.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from reports.runs import warn

COLUMN = "arch_weights"
MAX_CELL_CHARS = 1_000_000  # a DARTS-space cell with β is ~4 kB
COLUMNS = ("epoch", "param", "group", "option", "weight")


def arch_trajectory(epochs: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    """Every stored weight of every epoch row of `epochs` (`epochs.parquet` rows, or a `RunStore.epochs`)."""
    key = key or ("run_path" if "run_path" in epochs.columns else "run_id")
    records: list[tuple] = []
    if COLUMN in epochs.columns:
        for run, epoch, text in zip(epochs[key], epochs["epoch"], epochs[COLUMN], strict=True):
            if not isinstance(text, str):
                continue  # an epoch row without weights (a run concatenated with older rows)
            try:
                records.extend((run, int(epoch), *entry) for entry in _entries(text))
            except ValueError as err:
                warn(f"{run}: epoch {epoch}: {COLUMN} skipped ({err})")
    return pd.DataFrame.from_records(records, columns=[key, *COLUMNS])


def _entries(text: str) -> list[tuple[str, str, str, float]]:
    if len(text) > MAX_CELL_CHARS:
        raise ValueError(f"{len(text):,} characters, more than the {MAX_CELL_CHARS:,} allowed")
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"not JSON: {str(err)[:80]}") from None
    entries = []
    for param, groups in _mapping(payload, "the cell").items():
        for group, options in _mapping(groups, param).items():
            for option, weight in _mapping(options, f"{param} {group}").items():
                if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
                    raise ValueError(f"{param} {group} {option}: expected a finite number, got {weight!r:.40}")
                entries.append((param, group, option, float(weight)))
    return entries


def _mapping(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected an object, got {type(value).__name__}")
    return value
