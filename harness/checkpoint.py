"""Checkpoints for exact resume: model, optimiser, epoch, every RNG state, written atomically.

A checkpoint is written after every finished epoch with `torch.save` into a temporary file that is
renamed over the previous one, so a kill leaves either the old or the new checkpoint, never half of one.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.errors import NashError
from harness.store import atomic_write

CHECKPOINT_FILE = "checkpoint.pt"


def rng_states() -> dict[str, Any]:
    """Python, NumPy, torch CPU and (when present) every CUDA device's generator state."""
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in states["cuda"]])


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    atomic_write(path, lambda handle: torch.save(payload, handle))


def load_checkpoint(path: Path, device: torch.device) -> dict[str, Any]:
    """The checkpoint at `path`; a truncated or corrupt file is a one-line NashError naming it."""
    try:
        # weights_only=False: the payload holds Python/NumPy RNG states (tuples with ndarrays); the
        # file is one this program wrote into the run folder, not a downloaded one.
        return torch.load(path, map_location=device, weights_only=False)
    except FileNotFoundError:
        raise NashError(f"no checkpoint at {path}; run without --resume to start the evaluation") from None
    except Exception as err:  # noqa: BLE001 - any unpickling failure means the file is damaged
        reason = " ".join(f"{type(err).__name__}: {err}".split())[:200]
        raise NashError(
            f"checkpoint {path} is truncated or corrupt ({reason}); delete it and run without --resume"
        ) from None
