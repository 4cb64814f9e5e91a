"""Per-epoch checkpoints of a search, for exact resume after a kill at any moment.

After every finished epoch the runner saves the searcher (network, α/β, both optimisers, τ),
the paired batches' generators, every global RNG state, the rows so far, the seconds spent and
the config's identity. The new file is written beside the old one, fsynced, then the old
`checkpoint.pt` is renamed to `checkpoint.prev.pt` and the new one to `checkpoint.pt`: a kill
leaves two complete checkpoints, or one. A damaged latest file (truncated by a disk, copied
half-way) gives a warning, is removed, and the run resumes from the previous one; if neither is
readable it starts over. Once a run is `done` both files are deleted (they hold the supernet and optimiser
state, tens of MB on S0 per run), the results being in `run.json` and `epochs.parquet`.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.errors import NashError
from harness.checkpoint import CHECKPOINT_FILE, rng_states, set_rng_states
from harness.config import RunConfig
from harness.store import atomic_write

PREVIOUS_CHECKPOINT_FILE = "checkpoint.prev.pt"
CHECKPOINT_FORMAT = 1
_KEYS = ("format", "identity", "epoch", "rows", "searcher", "batches", "rng", "search_seconds")
_ADDED_DEFAULTS = {
    "train": {"lr_warmup_epochs": 0, "arch_grad_clip": 0.0},
    "data": {"imagenet_weight_fraction": 0.1, "imagenet_arch_fraction": 0.1, "cutout": 0},
    # fused_edges: runs before the switch (same values up to summation order)
    "perf": {"fused_edges": True, "compile": False},
}


@dataclass
class SearchState:
    """What a resumed search continues from: `epoch` epochs are finished and recorded in `rows`."""

    path: Path
    epoch: int
    rows: list[dict[str, Any]]
    search_seconds: float
    payload: dict[str, Any]

    def restore(self, searcher, batches) -> None:
        """Load the searcher, the batches and the global RNGs exactly as they were after `epoch`."""
        searcher.load_state_dict(self.payload["searcher"])
        batches.load_state_dict(self.payload["batches"])
        set_rng_states(self.payload["rng"])


def config_identity(config: RunConfig | dict[str, Any]) -> dict[str, Any]:
    """The config fields a resumed run must share with its checkpoint (or a done run's run.json `config`).

    The device may change (a run started on one GPU can finish on another, or on the CPU), and so
    may the dataset's path; whether the data is the embedded subset or a file on disk may not.
    """
    identity = copy.deepcopy(config) if isinstance(config, dict) else config.to_dict()
    identity.pop("device", None)
    identity.pop("log", None)  # where rows are mirrored, not what they are
    identity.setdefault("deterministic", False)  # run.json files written before the field existed
    identity.setdefault("perf", {"precision": "fp32", "channels_last": False, "pin_memory": False})  # likewise
    for section, defaults in _ADDED_DEFAULTS.items():  # fields added later, at the value that kept the old behaviour
        for name, value in defaults.items():
            identity.get(section, {}).setdefault(name, value)
    source = identity.get("data", {}).get("source")
    identity.setdefault("data", {})["source"] = "embedded" if source == "embedded" else "on disk"
    return identity


def checkpoint_paths(run_dir: Path) -> tuple[Path, Path]:
    return run_dir / CHECKPOINT_FILE, run_dir / PREVIOUS_CHECKPOINT_FILE


def has_checkpoint(run_dir: Path) -> bool:
    return any(path.exists() for path in checkpoint_paths(run_dir))


def save_search_checkpoint(
    run_dir: Path, config: RunConfig, rows: list[dict[str, Any]], searcher, batches, search_seconds: float
) -> None:
    """Checkpoint after epoch `len(rows)`; the one it replaces becomes `checkpoint.prev.pt`."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "identity": config_identity(config),
        "epoch": len(rows),
        "rows": rows,
        "searcher": searcher.state_dict(),
        "batches": batches.state_dict(),
        "rng": rng_states(),
        "search_seconds": search_seconds,
    }
    latest, previous = checkpoint_paths(run_dir)
    atomic_write(latest, lambda handle: torch.save(payload, handle), keep_previous=previous)


def load_search_checkpoint(run_dir: Path, config: RunConfig, device: torch.device) -> SearchState | None:
    """The newest readable checkpoint, or None; damaged files are skipped with a warning on stderr.

    A readable checkpoint of another config is an error, not a fallback: resuming it would mix runs.
    """
    latest, previous = checkpoint_paths(run_dir)
    # A kill during a write leaves the hidden temporary file of store.atomic_write (up to a checkpoint's size).
    for leftover in run_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    identity = config_identity(config)
    for path, fallback in ((latest, f"resuming from {previous.name}"), (previous, "starting from epoch 0")):
        if not path.exists():
            continue
        try:
            payload = _read(path, device)
        except _Damaged as err:
            # Removed so the next save does not rotate it into checkpoint.prev.pt over a good one.
            path.unlink(missing_ok=True)
            print(
                f"nash: warning: checkpoint {path} is truncated or corrupt ({err}); removed it, {fallback}",
                file=sys.stderr,
            )
            continue
        if payload["identity"] != identity:
            raise NashError(
                f"checkpoint {path} was written for another config ({_first_difference(payload['identity'], identity)}"
                "); resume with the same settings, or pass --overwrite to start over"
            )
        rows, seconds = list(payload["rows"]), float(payload["search_seconds"])
        return SearchState(path, int(payload["epoch"]), rows, seconds, payload)
    return None


def remove_checkpoints(run_dir: Path) -> None:
    for path in checkpoint_paths(run_dir):
        path.unlink(missing_ok=True)


class _Damaged(Exception):
    pass


def _read(path: Path, device: torch.device) -> dict[str, Any]:
    try:
        # weights_only=False: the payload holds Python/NumPy RNG states and row dicts; the file is one
        # this program wrote into the run folder, not a downloaded one.
        payload = torch.load(path, map_location=device, weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means the file is damaged
        raise _Damaged(" ".join(f"{type(err).__name__}: {err}".split())[:160]) from None
    if not isinstance(payload, dict) or any(key not in payload for key in _KEYS):
        raise _Damaged("not a search checkpoint")
    if payload["format"] != CHECKPOINT_FORMAT:
        raise _Damaged(f"format {payload['format']}, this version reads {CHECKPOINT_FORMAT}")
    return payload


def _first_difference(saved: Any, current: Any, prefix: str = "") -> str:
    """`key: saved -> current` for the first field that differs, e.g. `train.epochs: 3 -> 5`."""
    if isinstance(saved, dict) and isinstance(current, dict):
        for key in sorted(set(saved) | set(current)):
            if saved.get(key) != current.get(key):
                return _first_difference(saved.get(key), current.get(key), f"{prefix}{key}.")
    return f"{prefix.rstrip('.')}: {saved!r} -> {current!r}"
