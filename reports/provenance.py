"""Where a report's numbers come from: when it was made, from which runs, with which code and machines.

Shown first in `index.html` / `index.md` (the warnings about skipped parts and odd runs go last).
Every value read from run files is shown as found, escaped by the renderer that prints it.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pandas as pd

# Provenance line -> run.json fields (flattened by reports.runs); several values are listed, each once.
_FIELDS = {
    "nash": ["run.versions.nas-harness"],
    "git commit": ["run.git_commit"],
    "torch": ["run.versions.torch"],
    "python": ["run.versions.python"],
    "plug-in surface": ["run.versions.nash_plugin_api"],
    "device": ["run.device"],
    "host": ["run.host"],
}
_PLUGIN = ("run.searcher_plugin.distribution", "run.searcher_plugin.version")
MAX_LISTED = 8  # values per line; more are counted, not listed


def provenance(facts: pd.DataFrame, runs: Path | None, out: Path, argv: list[str] | None) -> list[tuple[str, str]]:
    """(label, text) lines: made when and from where, the versions, commits, devices, plug-ins; the rebuild command."""
    lines = [("made", time.strftime("%Y-%m-%d %H:%M:%S %Z")), ("runs folder", str(runs.resolve()) if runs else "")]
    for label, columns in _FIELDS.items():
        values = _distinct(facts, columns, short=label == "git commit")
        lines.append((label, _listed(values) if values else "not recorded"))
    plugins = sorted({f"{d} {v}" for d, v in zip(*(_column(facts, c) for c in _PLUGIN), strict=True) if d})
    lines.append(("plug-in packages", _listed(plugins) if plugins else "none"))
    command = argv or ["nash", "report", str(runs) if runs else "RUNS", "--out", str(out)]
    lines.append(("rebuild with", " ".join(shlex.quote(str(part)) for part in command)))
    return lines


def _column(facts: pd.DataFrame, column: str) -> list:
    return list(facts[column]) if column in facts.columns else [None] * len(facts)


def _distinct(facts: pd.DataFrame, columns: list[str], short: bool) -> list[str]:
    found = []
    for column in columns:
        for value in _column(facts, column):
            if isinstance(value, str) and value:
                found.append(value[:10] if short else value)
    return sorted(set(found))


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    return shown if len(values) <= MAX_LISTED else f"{shown} and {len(values) - MAX_LISTED} more"
