"""Per-epoch checkpoints of a search, for exact resume after a kill at any moment.

After every finished epoch the runner saves the searcher (network, α/β, both optimisers, τ),
the paired batches' generators, every global RNG state, the rows so far, the seconds spent and
the config's identity. The new file is written beside the old one, fsynced, then the old
`checkpoint.pt` is renamed to `checkpoint.prev.pt` and the new one to `checkpoint.pt`: a kill
leaves two complete checkpoints, or one. A damaged latest file (truncated by a disk, copied
half-way) gives a warning, is removed, and the run resumes from the previous one; if neither is
readable it starts over. Once a run is `done` both files are deleted (they hold the supernet and optimiser
state, tens of MB on S0 per run), the results being in `run.json` and `epochs.parquet`.

Reading runs no code from the file (`harness.system.checkpoint.read_checkpoint`). A complete file that is
not a search checkpoint nash wrote (a pickle importing anything but tensors and plain types, a
field of the wrong type, state that does not fit the searcher) is refused with one line and left in
place: it is not damage a kill could cause, so it is neither removed nor silently skipped.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import refuse_link, remove_file
from harness.config.run_config import RunConfig
from harness.system.checkpoint import (
    CHECKPOINT_FILE,
    CheckpointUnreadable,
    check_fields,
    read_checkpoint,
    rng_states,
    set_rng_states,
)
from harness.system.store import atomic_write

PREVIOUS_CHECKPOINT_FILE = "checkpoint.prev.pt"
CHECKPOINT_FORMAT = 2  # 2: the NumPy RNG state as a tensor (harness.system.checkpoint); 1 is still read
_FIELDS = {
    "format": int, "identity": dict, "epoch": int, "rows": list, "searcher": dict, "batches": dict, "rng": dict,
    "search_seconds": (int, float),
}  # fmt: skip
_ADDED_DEFAULTS = {
    "train": {"lr_warmup_epochs": 0, "arch_grad_clip": 0.0},
    # arch_sampling: runs before the switch drew the arch half in cycled passes
    "data": {
        "imagenet_weight_fraction": 0.1,
        "imagenet_arch_fraction": 0.1,
        "cutout": 0,
        "arch_sampling": "epoch_pass",
    },
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
        try:
            searcher.load_state_dict(self.payload["searcher"])
            batches.load_state_dict(self.payload["batches"])
            set_rng_states(self.payload["rng"])
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as err:
            raise NashError(
                f"checkpoint {self.path} does not fit this search ({error_reason(err)[:160]}); {_keep_hint(self.path)}"
            ) from None


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
        "rows": [{k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()} for row in rows],
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
        remove_file(leftover)
    identity = config_identity(config)
    for path, fallback in ((latest, f"resuming from {previous.name}"), (previous, "starting from epoch 0")):
        refuse_link(path, "checkpoint")  # another file, not this run's: resumed, it would become the run's own
        if not path.exists():
            continue
        try:
            payload = _read(path, device)
        except CheckpointUnreadable as err:
            # Removed so the next save does not rotate it into checkpoint.prev.pt over a good one.
            remove_file(path)
            print(
                f"nash: warning: checkpoint {path} is truncated or corrupt ({err}); removed it, {fallback}",
                file=sys.stderr,
            )
            continue
        # Normalised like the current one: a checkpoint written before a field existed lacks it.
        saved = config_identity(payload["identity"])
        if saved != identity:
            raise NashError(
                f"checkpoint {path} was written for another config ({_first_difference(saved, identity)}"
                "); resume with the same settings, or pass --overwrite to start over"
            )
        rows, seconds = list(payload["rows"]), float(payload["search_seconds"])
        return SearchState(path, int(payload["epoch"]), rows, seconds, payload)
    return None


def remove_checkpoints(run_dir: Path) -> None:
    for path in checkpoint_paths(run_dir):
        remove_file(path)  # a link is removed itself, never its target


def _keep_hint(path: Path) -> str:
    """How to go on without a refused checkpoint, keeping the other one."""
    other = PREVIOUS_CHECKPOINT_FILE if path.name == CHECKPOINT_FILE else None
    then = f"--resume continues from {other}" if other and (path.parent / other).exists() else "the search starts over"
    return f"move it aside (mv {path} {path}.refused), then {then}"


def _read(path: Path, device: torch.device) -> dict[str, Any]:
    payload = read_checkpoint(path, device, _keep_hint(path))
    check_fields(path, payload, _FIELDS, _keep_hint(path))
    if payload["format"] not in (1, CHECKPOINT_FORMAT):
        raise NashError(
            f"{path} has checkpoint format {payload['format']}, this version reads {CHECKPOINT_FORMAT}; "
            f"{_keep_hint(path)}"
        )
    rows = payload["rows"]
    if not 0 < payload["epoch"] == len(rows) or not all(isinstance(row, dict) for row in rows):
        raise NashError(
            f"{path} is not a checkpoint nash wrote: epoch {payload['epoch']} with {len(rows)} rows; {_keep_hint(path)}"
        )
    return payload


def _first_difference(saved: Any, current: Any, prefix: str = "") -> str:
    """`key: saved -> current` for the first field that differs, e.g. `train.epochs: 3 -> 5`."""
    if isinstance(saved, dict) and isinstance(current, dict):
        for key in sorted(set(saved) | set(current)):
            if saved.get(key) != current.get(key):
                return _first_difference(saved.get(key), current.get(key), f"{prefix}{key}.")
    return f"{prefix.rstrip('.')}: {saved!r} -> {current!r}"
