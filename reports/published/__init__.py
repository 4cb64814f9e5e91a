"""The papers' published numbers (BENCHMARKS.md §4), shipped as CSV files in `reports/published/`.

Every file has a `source` column naming the paper (and table); a value the paper copy does not show
("n/a") is an empty cell, and its `note` says so. Values are read as text so that their printed precision is known.

When is our mean "different" from a published one? When |ours − published mean| exceeds the published
std. A std of 0 or no std at all (a single search, or "54.30±0.00") would mark any float noise, so the
tolerance is then half a unit of the published value's last printed digit (0.005 for 54.30, 0.05 for 2.3),
i.e. ours differs when it does not round to the published value.

Which runs may be compared with a published value at all? Every row names the setting behind it:
`searcher` (the nash searcher that runs that method), `profile` (the nash profile that follows the
source's search setting; empty = none does, e.g. a transfer or a rerun in another space), `epochs`
(the search epochs the source states; empty = not stated, then the profile's own epochs for that
searcher) and, for S0, `space` ("s0", or "darts" for numbers measured in the 8-op DARTS space with
`none`). A MARK is only put on runs of that searcher, profile and epochs in that space
(`setting_matches`); other runs are shown beside the published value without one. `note` says what
a row is (a rerun, a transfer, a value not legible in the source).
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

import pandas as pd

from reports.render import Stat
from reports.unfinished import finished_mask

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


def published_stat(mean_text: str, std_text: str) -> Stat:
    """A published value as a table cell, printed with the paper's precision (empty when not given)."""
    decimals = len(mean_text.split(".")[1]) if "." in mean_text else 0
    return Stat(number(mean_text), number(std_text), None, decimals)


def profile_epochs(benchmark: str, profile: str, searcher: str) -> int | None:
    """The search epochs of a nash profile for a searcher (None when the benchmark or profile is unknown)."""
    from benchmarks.errors import NashError
    from benchmarks.registry.catalog import get_benchmark, get_profile

    try:
        return get_profile(get_benchmark(benchmark), profile).epochs_for(searcher)
    except NashError:
        return None


def setting_matches(runs: pd.DataFrame, row: dict[str, Any], benchmark: str) -> bool:
    """True when every run used the setting behind the published `row`: its searcher, profile and epochs,
    in its space (see the module doc). Runs carry `searcher`, `profile` and `epochs_budget`."""
    profile = str(row.get("profile") or "")
    space = str(row.get("space") or "")
    if not profile or runs.empty or (space and space != benchmark.partition("-")[0]):
        return False
    if not finished_mask(runs).all():  # an unfinished run has no result to compare yet
        return False
    if "profile" not in runs.columns or not (runs["searcher"] == row["searcher"]).all():
        return False
    if not (runs["profile"] == profile).all():
        return False
    stated = str(row.get("epochs") or "")
    epochs = int(stated) if stated else profile_epochs(benchmark, profile, str(row["searcher"]))
    budget = pd.to_numeric(runs.get("epochs_budget", pd.Series(dtype=float)), errors="coerce")
    return epochs is not None and len(budget) == len(runs) and bool((budget == epochs).all())
