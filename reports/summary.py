"""Summaries of finished runs as tables (torch-free: reads the store format only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def summarize_runs(run_facts: Sequence[dict[str, Any]], epoch_rows: Sequence[Sequence[dict[str, Any]]]) -> pd.DataFrame:
    """One line per run: searcher, final genotype, skip count, oracle accuracy (or, without an oracle,
    the parameter-free count), seconds. Counts are over the normal cell in the DARTS-family spaces."""
    lines = []
    for facts, rows in zip(run_facts, epoch_rows, strict=True):
        last = rows[-1]
        line = {
            "searcher": last["searcher"],
            "benchmark": last["benchmark"],
            "seed": last["seed"],
            "epochs": len(rows),
            "final genotype": last["genotype"],
            "skips": last["skip_count"],
        }
        headline = facts.get("headline")
        if headline:
            line[headline["label"]] = last.get(headline["column"], float("nan"))
        else:  # judged by training, not a table: the derived cell's parameter-free count instead
            line["param-free"] = last.get("param_free_count", float("nan"))
        line["seconds"] = facts.get("search_seconds", float("nan"))
        lines.append(line)
    return pd.DataFrame(lines)


def format_table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, float_format=lambda v: f"{v:.2f}")
