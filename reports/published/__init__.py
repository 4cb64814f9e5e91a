"""The papers' published numbers (BENCHMARKS.md §4), shipped as CSV files in `reports/published/`.

Every file has a `source` column naming the paper; a value the paper copy does not show ("n/a")
is an empty cell. Values are read as text so that their printed precision is known.

When is our mean "different" from a published one? When |ours − published mean| exceeds the published
std. A std of 0 or no std at all (a single search, or "54.30±0.00") would mark any float noise, so the
tolerance is then half a unit of the published value's last printed digit (0.005 for 54.30, 0.05 for 2.3),
i.e. ours differs when it does not round to the published value.
"""

from __future__ import annotations

import math
from importlib import resources

import pandas as pd

FILES = ("nb201", "nb201_search_cost", "rome_s1_s4", "rome_s0", "rome_ablation", "rome_k", "rome_memory")


def load_published(name: str) -> pd.DataFrame:
    """One shipped table, every cell as text ("" where the paper gives no value)."""
    if name not in FILES:
        raise ValueError(f"no published table {name!r}; known: {', '.join(FILES)}")
    with resources.files("reports.published").joinpath(f"{name}.csv").open() as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def number(text: str) -> float:
    return float(text) if str(text).strip() else math.nan


def tolerance(mean_text: str, std_text: str) -> float:
    """The published std, or half a unit of the mean's last printed digit when the std is 0 or absent."""
    std = number(std_text)
    if std > 0:
        return std
    decimals = len(mean_text.split(".")[1]) if "." in mean_text else 0
    return 0.5 * 10.0**-decimals


def differs(ours: float, mean_text: str, std_text: str) -> bool:
    """True when our mean lies outside the published mean ± tolerance (False when either is missing)."""
    published = number(mean_text)
    if math.isnan(ours) or math.isnan(published):
        return False
    return abs(ours - published) > tolerance(mean_text, std_text) + 1e-9


def cell(mean_text: str, std_text: str) -> str:
    """A published value as the paper prints it: "93.61±0.09", "2.93", or "" when not given."""
    if not mean_text:
        return ""
    return f"{mean_text}±{std_text}" if std_text else mean_text
