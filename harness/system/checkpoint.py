"""Checkpoints for exact resume: model, optimiser, epoch, every RNG state, written atomically.

A checkpoint is written after every finished epoch with `torch.save` into a temporary file that is
renamed over the previous one, so a kill leaves either the old or the new checkpoint, never half of one.

Reading runs no code from the file: a pickle can call any importable function while it loads, and a
run folder may come from anywhere (a colleague's tarball, a shared disk). Everything nash stores is
tensors and plain types (the NumPy RNG state as a tensor), so `torch.load(weights_only=True)` reads
it; before loading, the globals the pickle would import are listed without running it, and a file
asking for anything else is refused with one line. Format-1 checkpoints (before this rule) hold the
NumPy state as an array: for them, and only them, NumPy's array reconstruction is allowed as well.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import check_regular_file
from harness.system.store import atomic_write

CHECKPOINT_FILE = "checkpoint.pt"
# A paper-size search checkpoint is ~10 MB, an evaluation's (S0 ImageNet, 600 epochs of optimiser state) ~0.1 GB;
# a GPU-scale plug-in's supernet may be far larger. Past this it is not a nash checkpoint.
CHECKPOINT_LIMIT = 16 << 30
_RECONSTRUCT = np.zeros(0).__reduce__()[0]  # the function a pickled ndarray calls, whatever NumPy names its module
_NUMPY_ARRAY_GLOBALS = {  # what a pickled ndarray imports (numpy 2 and numpy 1 module names)
    "numpy._core.multiarray._reconstruct": _RECONSTRUCT,
    "numpy.core.multiarray._reconstruct": _RECONSTRUCT,
    "numpy.ndarray": np.ndarray,
    "numpy.dtype": np.dtype,
}


class CheckpointUnreadable(Exception):
    """The file is not a complete torch checkpoint (truncated, empty, garbage): damage, not a refusal."""


def rng_states() -> dict[str, Any]:
    """Python, NumPy, torch CPU and (when present) every CUDA device's generator state, as plain types."""
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),  # (version, tuple of 625 ints, float or None)
        "numpy": (
            str(name),
            torch.from_numpy(keys.astype(np.int64)),
            int(position),
            int(has_gauss),
            float(cached_gaussian),
        ),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore `rng_states()`; a state of the wrong shape raises TypeError/ValueError before any is set."""
    version, internal, gauss = states["python"]
    if not (isinstance(internal, tuple) and all(type(v) is int for v in internal)):
        raise TypeError("python RNG state is not a tuple of ints")
    name, keys, position, has_gauss, cached_gaussian = states["numpy"]
    keys = keys.cpu().numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)  # format 1: an ndarray
    if keys.shape != (624,) or keys.min() < 0 or keys.max() >= 2**32:
        raise ValueError(f"numpy RNG state has keys of shape {keys.shape}, expected 624 values in 0..2**32-1")
    if not isinstance(states["torch"], torch.Tensor):
        raise TypeError("torch RNG state is not a tensor")
    random.setstate((version, internal, gauss))
    np.random.set_state((name, keys.astype(np.uint32), int(position), int(has_gauss), float(cached_gaussian)))
    torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in states["cuda"]])


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    atomic_write(path, lambda handle: torch.save(payload, handle))


def read_checkpoint(path: Path, device: torch.device, keep_hint: str) -> Any:
    """The object in `path`, loaded without running code from it.

    Raises CheckpointUnreadable for a file that is not a whole torch checkpoint, and a one-line
    NashError (with `keep_hint`: how to go on without it) for one whose pickle imports anything but
    tensors and plain types.
    """
    check_regular_file(path, CHECKPOINT_LIMIT, "checkpoint")  # a FIFO would block torch.load, /dev/zero fill memory
    try:
        asked = torch.serialization.get_unsafe_globals_in_checkpoint(path)  # reads the pickle, runs nothing
    except FileNotFoundError:
        raise
    except Exception as err:  # noqa: BLE001 - not a zip torch.save wrote, or cut short
        raise CheckpointUnreadable(error_reason(err)[:160]) from None
    foreign = [name for name in asked if name not in _NUMPY_ARRAY_GLOBALS]
    if foreign:
        raise NashError(
            f"refused to load {path}: its pickle imports {', '.join(foreign[:3])}, which no nash checkpoint "
            f"holds, so it was not loaded (nothing in it ran); {keep_hint}"
        )
    allowed = [(obj, name) for name, obj in _NUMPY_ARRAY_GLOBALS.items() if name in asked]
    if allowed:  # format 1's RNG keys: a uint32 array, whose dtype is rebuilt from its class
        allowed.append(type(np.dtype(np.uint32)))
    try:
        with torch.serialization.safe_globals(allowed):
            return torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means the file is damaged
        raise CheckpointUnreadable(error_reason(err)[:160]) from None


def check_fields(path: Path, payload: Any, fields: dict[str, type | tuple[type, ...]], keep_hint: str) -> None:
    """Refuse (one-line NashError) a checkpoint whose fields are missing or of another type."""
    if not isinstance(payload, dict):
        raise NashError(f"{path} holds a {type(payload).__name__}, not a nash checkpoint; {keep_hint}")
    for name, kind in fields.items():
        value = payload.get(name)
        if name not in payload or not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            got = "nothing" if name not in payload else f"a {type(value).__name__}"
            raise NashError(f"{path} is not a checkpoint nash wrote: its {name!r} is {got}; {keep_hint}")
        if isinstance(value, float) and not math.isfinite(value):
            raise NashError(f"{path} is not a checkpoint nash wrote: its {name!r} is {value}; {keep_hint}")


def load_checkpoint(path: Path, device: torch.device, fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """An evaluation's checkpoint with `fields` checked; damaged or foreign files are one-line NashErrors."""
    keep_hint = f"move it aside (mv {path} {path}.bad) and run without --resume, or pass --overwrite to start over"
    try:
        payload = read_checkpoint(path, device, keep_hint)
    except FileNotFoundError:
        raise NashError(f"no checkpoint at {path}; run without --resume to start the evaluation") from None
    except CheckpointUnreadable as err:
        raise NashError(f"checkpoint {path} is truncated or corrupt ({err}); {keep_hint}") from None
    check_fields(path, payload, fields, keep_hint)
    return payload
