"""Sweep presets: the studies users run most, as small TOML files in `harness/sweep/preset_files/`.

A preset names searchers, benchmarks, seeds and a profile, and optionally *variants*: named
sets of searcher options (e.g. ROME's ablation switches), each becoming its own cell with the
variant name in its run id. `keep_k_times_epochs = true` scales each variant's epochs so that
option k × epochs stays at the profile's own budget (ROME's K ablation).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import MIB, read_bytes
from harness.config.checks import check_epochs

# A shipped preset is ~1 kB; 1 MiB is a thousand of them, far beyond any study, and parses in well under a second.
PRESET_FILE_LIMIT = 1 * MIB
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")  # searcher, benchmark and variant names end up in run ids
PRESETS_DIR = Path(__file__).parent / "preset_files"
_PRESET_KEYS = {
    "description",
    "searchers",
    "benchmarks",
    "seeds",
    "profile",
    "keep_k_times_epochs",
    "variants",
    "exclude",
}
_VARIANT_KEYS = {"options", "epochs"}


@dataclass(frozen=True)
class Variant:
    name: str
    options: dict[str, Any] = field(default_factory=dict)  # searcher options over the profile's
    epochs: int | None = None  # None: the profile's (or, with keep_k_times_epochs, scaled from it)


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    searchers: list[str]
    benchmarks: list[str]
    seeds: str  # as on the command line: "0-2" or "0,3,5"
    profile: str
    variants: list[Variant]  # empty: one plain cell per searcher x benchmark x seed
    keep_k_times_epochs: bool = False
    exclude: list[tuple[str, str]] = field(default_factory=list)  # (searcher, benchmark) pairs left out


def preset_names() -> list[str]:
    return sorted(path.stem for path in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> Preset:
    """A shipped preset by name, or a preset file of the same format given by its path."""
    path = Path(name) if name.endswith(".toml") else PRESETS_DIR / f"{name}.toml"
    if not path.exists():
        raise NashError(f"unknown preset {name!r}; valid presets: {', '.join(preset_names())} (or a .toml file)")
    data = read_bytes(path, PRESET_FILE_LIMIT, "preset")  # a FIFO, device or folder is refused, not read
    try:
        data = tomllib.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as err:  # TOMLDecodeError, UnicodeDecodeError: ValueErrors
        raise NashError(f"cannot read preset {path}: {error_reason(err)[:200]}") from None
    return _parse(path.stem, path, data)


def _parse(name: str, path: Path, data: dict[str, Any]) -> Preset:
    unknown = set(data) - _PRESET_KEYS
    if unknown:
        raise NashError(f"preset {path}: unknown keys {', '.join(sorted(unknown))}; valid: {', '.join(_PRESET_KEYS)}")
    _check_types(path, data)
    return Preset(
        name=name,
        description=data.get("description", ""),
        searchers=list(data["searchers"]),
        benchmarks=list(data["benchmarks"]),
        seeds=str(data.get("seeds", "0")),
        profile=data.get("profile", "quick"),
        variants=_variants(path, data.get("variants", {})),
        keep_k_times_epochs=data.get("keep_k_times_epochs", False),
        exclude=_excluded_pairs(path, data.get("exclude", [])),
    )


# Top-level values other than lists and tables: their types, as the message says them.
_VALUE_TYPES = {
    "description": (str, "text"),
    "seeds": ((str, int), 'text like "0-2" or an integer'),
    "profile": (str, "text"),
    "keep_k_times_epochs": (bool, "true or false"),
}


def _check_types(path: Path, data: dict[str, Any]) -> None:
    """Every top-level value of the preset has its type; else one line naming the key and what was expected."""
    for key in ("searchers", "benchmarks"):
        if key not in data:
            raise NashError(f"preset {path}: missing key {key!r}")
        names = data[key]
        if not isinstance(names, list) or not all(isinstance(n, str) and _NAME.fullmatch(n) for n in names):
            raise NashError(f'preset {path}: {key} must be a list of names like ["darts", "gdas"]')
    for key, (kind, text) in _VALUE_TYPES.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)):
            raise NashError(f"preset {path}: {key} must be {text}, got a {type(value).__name__}")


def _variants(path: Path, tables: Any) -> list[Variant]:
    """`[variants.NAME]` tables: a name fit for a run id, scalar options, whole epochs within the limit."""
    if not isinstance(tables, dict) or not all(isinstance(body, dict) for body in tables.values()):
        raise NashError(f"preset {path}: 'variants' must be tables, [variants.NAME] with options and epochs")
    variants = []
    for variant_name, body in tables.items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", variant_name):  # it ends run ids, i.e. folder names
            raise NashError(f"preset {path}: variant name {variant_name[:40]!r} may use only letters, digits, . _ -")
        bad = set(body) - _VARIANT_KEYS
        if bad or not isinstance(body.get("options", {}), dict):
            raise NashError(f"preset {path}: variant {variant_name!r} may only have 'options' (a table) and 'epochs'")
        if body.get("epochs") is not None:
            check_epochs(body["epochs"], f"preset {path}: variant {variant_name!r} epochs")
        for option, value in body.get("options", {}).items():
            if type(value) not in (bool, int, float, str):
                raise NashError(f"preset {path}: variant {variant_name!r} option {option!r} must be a number, "
                                f"text or true/false, got a {type(value).__name__}")  # fmt: skip
        variants.append(Variant(variant_name, dict(body.get("options", {})), body.get("epochs")))
    return variants


def _excluded_pairs(path: Path, entries: Any) -> list[tuple[str, str]]:
    """`exclude = [{ searcher = "darts", benchmark = "s0-imagenet" }, ...]`: cells the preset's study has not."""
    pairs = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if not (isinstance(entry, dict) and set(entry) == {"searcher", "benchmark"}):
            example = '{ searcher = "darts", benchmark = "s0-imagenet" }'
            raise NashError(f"preset {path}: each exclude entry is a table like {example}")
        pairs.append((str(entry["searcher"]), str(entry["benchmark"])))
    return pairs


def scaled_epochs(profile_k: int, profile_epochs: int, k: int) -> int:
    """Epochs for K samples per phase at the same K × epochs as the profile (at least 1).

    Paper profile, K=7 × 50 = 350: K=1 → 350, 4 → 87, 7 → 50, 10 → 35 (ALGORITHMS.md §2.4).
    """
    return max(1, (profile_k * profile_epochs) // k)
