"""Which search runs a report counts: the finished ones, or with `--unfinished` also those still running,
interrupted or failed, as far as they got.

A run's result is its last epoch only when its run.json says `done`. An unfinished run reported as far as
it got is its own row in every table: its setting label gains "running, 8 of 50 ep" (status, epochs
finished, epochs planned), so it is never pooled with finished seeds, and it is never compared with a
published value (`reports.published.setting_matches` asks for `done`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from benchmarks.errors import NashError
from reports.runs import KEY, RunStore
from reports.settings import EPOCHS_BUDGET, SETTING

STATUS = "run.status"
DONE = "done"


def finished_mask(facts: pd.DataFrame) -> pd.Series:
    """True for the runs whose run.json says done (every run, where no run.json has a status)."""
    if STATUS not in facts.columns:
        return pd.Series(True, index=facts.index)
    return facts[STATUS] == DONE


def reported_runs(store: RunStore, include_unfinished: bool) -> tuple[RunStore, str]:
    """The store a report reads, and a note on the unfinished runs ("" when every run is finished)."""
    unfinished = store.facts.loc[~finished_mask(store.facts)]
    if unfinished.empty:
        return store, ""
    paths = set(unfinished[KEY])
    if not include_unfinished:
        kept = replace(store, epochs=_without(store.epochs, paths), rankings=_without(store.rankings, paths))
        if kept.epochs.empty:
            raise NashError(
                "no finished search run in that folder (every run.json says running, failed or interrupted); "
                "pass --unfinished to report them as far as they got"
            )
        return kept, f"left out {len(paths)} unfinished runs (status not done): {', '.join(sorted(paths))}"
    done_epochs = store.epochs.groupby(KEY)["epoch"].nunique() if not store.epochs.empty else pd.Series(dtype=int)
    labels = {row[KEY]: _label(row, int(done_epochs.get(row[KEY], 0))) for row in unfinished.to_dict("records")}
    relabelled = replace(
        store,
        epochs=_relabel(store.epochs, labels),
        facts=_relabel(store.facts, labels),
        rankings=_relabel(store.rankings, labels),
    )
    listed = ", ".join(f"{path} ({labels[path]})" for path in sorted(paths))
    return relabelled, f"reported {len(paths)} unfinished runs as far as they got, unmarked: {listed}"


def _label(fact: dict, done: int) -> str:
    status = fact.get(STATUS)
    status = status if isinstance(status, str) and status else "no status"
    budget = fact.get(EPOCHS_BUDGET)  # numeric already (reports.settings.with_settings)
    planned = f" of {budget:g}" if pd.notna(budget) else ""
    return f"{status}, {done}{planned} ep"


def _without(frame: pd.DataFrame, paths: set[str]) -> pd.DataFrame:
    if frame.empty or KEY not in frame.columns:
        return frame
    return frame[~frame[KEY].isin(paths)]


def _relabel(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """`frame` with each unfinished run's setting label extended by its status and progress."""
    if frame.empty or KEY not in frame.columns:
        return frame
    frame = frame.copy()
    current = frame[SETTING].fillna("") if SETTING in frame.columns else pd.Series("", index=frame.index)
    extra = frame[KEY].map(labels).fillna("")
    frame[SETTING] = [f"{now}, {add}" if now and add else add or now for now, add in zip(current, extra, strict=True)]
    return frame
