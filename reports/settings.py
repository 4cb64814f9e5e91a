"""Which runs are seeds of one experiment: everything but the seed matches.

A run's *setting* is its resolved config without the seed and without what cannot change its
numbers or only names the machine (device, the dataset's path, pin_memory, the trackers of `log`): benchmark, searcher,
profile, variant, search epochs, network, train, data, searcher options, analysis, perf,
deterministic. Runs are pooled as seeds only when their settings are equal.

Columns added to the facts: `setting_id` (a digest of the setting), `epochs_budget` (the search's
`config.train.epochs`) and `setting`: "" when a (benchmark, searcher, variant) has one setting in
the folder, else a short text naming what differs from its siblings ("quick, 5 ep", "train.arch_lr=0.01"),
which the tables print after the method's name.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd

SETTING = "setting"
SETTING_ID = "setting_id"
EPOCHS_BUDGET = "epochs_budget"
SIBLINGS = ["benchmark", "searcher", "variant"]
# Not part of a setting: the seed, and facts that name the machine or only change speed.
_IGNORED = ("config.seed", "config.device", "config.perf.pin_memory", "config.data.source")
_IGNORED_SECTIONS = ("config.log.",)  # where the per-epoch rows are also sent (TensorBoard, W&B)
# Written before these fields existed, a run.json lacks them; their defaults then apply.
_DEFAULTS = {"config.deterministic": False, "config.perf.precision": "fp32", "config.perf.channels_last": False,
             "config.data.cutout": 0, "config.data.arch_sampling": "epoch_pass"}  # fmt: skip
_MAX_ITEMS = 3


def _setting_fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = {
        k: v
        for k, v in row.items()
        if k.startswith("config.") and k not in _IGNORED and not k.startswith(_IGNORED_SECTIONS)
    }
    for key, default in _DEFAULTS.items():
        if fields.get(key) is None or (isinstance(fields.get(key), float) and pd.isna(fields[key])):
            fields[key] = default
    source = row.get("config.data.source")
    fields["data"] = "embedded" if source == "embedded" else "on disk"  # the subset, not the path
    for name in ("benchmark", "searcher", "profile", "variant"):
        fields[name] = row.get(name)
    return {k: v for k, v in fields.items() if not _is_nan(v)}


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _digest(fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def with_settings(facts: pd.DataFrame) -> pd.DataFrame:
    """`facts` (one row per search run, flattened config) with `setting_id`, `setting` and `epochs_budget`."""
    if facts.empty:
        return facts.assign(**{SETTING_ID: [], SETTING: [], EPOCHS_BUDGET: []})
    records = facts.to_dict("records")
    fields = [_setting_fields(r) for r in records]
    facts = facts.assign(**{SETTING_ID: [_digest(f) for f in fields]})
    has_epochs = "config.train.epochs" in facts.columns
    facts[EPOCHS_BUDGET] = pd.to_numeric(facts["config.train.epochs"], errors="coerce") if has_epochs else float("nan")
    labels = {}
    by_id = dict(zip(facts[SETTING_ID], fields, strict=True))
    for _key, group in facts.groupby(SIBLINGS, sort=False, dropna=False):
        ids = list(dict.fromkeys(group[SETTING_ID]))
        if len(ids) > 1:
            labels.update(_labels({i: by_id[i] for i in ids}))
    facts[SETTING] = facts[SETTING_ID].map(lambda i: labels.get(i, ""))
    return facts


def _labels(settings: dict[str, dict[str, Any]]) -> dict[str, str]:
    """For sibling settings: the fields whose values differ among them, shortest names first."""
    keys = sorted({k for f in settings.values() for k in f})
    differing = [k for k in keys if len({json.dumps(f.get(k), default=str) for f in settings.values()}) > 1]
    differing.sort(key=lambda k: (k not in ("profile", "config.train.epochs"), k != "profile", k))
    labels = {}
    for setting_id, fields in settings.items():
        items = [_item(k, fields.get(k)) for k in differing[:_MAX_ITEMS]]
        if len(differing) > _MAX_ITEMS:
            items.append(f"+{len(differing) - _MAX_ITEMS} more, #{setting_id[:6]}")
        labels[setting_id] = ", ".join(items)
    return labels


def _item(key: str, value: Any) -> str:
    if key == "profile":
        return str(value)
    if key == "config.train.epochs":
        return f"{value:g} ep" if isinstance(value, float) else f"{value} ep"
    name = key.removeprefix("config.")
    return f"{name}={value}"


def ensure_setting_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Frames built by hand (tests, other tools) without the columns: one setting per method."""
    missing = {SETTING: "", SETTING_ID: "", EPOCHS_BUDGET: float("nan")}
    if "variant" not in frame.columns:
        missing["variant"] = ""
    return frame.assign(**{k: v for k, v in missing.items() if k not in frame.columns})
