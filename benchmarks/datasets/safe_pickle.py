"""One allow-listed unpickler for the dataset pickles (CIFAR-10/100 batches, ImageNet16 batches).

These files were written by Python 2 cPickle (CIFAR) or Python 2/3 pickle (ImageNet16) and hold
only dicts, lists, strings, numbers and numpy arrays. Rebuilding them needs exactly the globals
below; anything else is refused, so a user file cannot run code when it is read.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from benchmarks.errors import NashError, error_reason

# Both numpy module spellings map to the live objects, so numpy>=2 never imports the deprecated numpy.core.
_RECONSTRUCT = np.ndarray((0,), np.uint8).__reduce_ex__(2)[0]
_SCALAR = np.int64(0).__reduce__()[0]  # numpy scalars (e.g. a label stored as np.int64) pickle through this
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _AllowListUnpickler(pickle.Unpickler):
    """Refuses every global outside the allow-list."""

    def __init__(self, file: io.BufferedIOBase, path: Path, what: str, fix: str) -> None:
        super().__init__(file, encoding="bytes")  # Python 2 str -> bytes, as in the official loading snippets
        self._path, self._what, self._fix = path, what, fix

    def find_class(self, module: str, name: str) -> object:
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise NashError(
                f"{self._path}: refusing to unpickle {module}.{name}; a {self._what} holds only numpy arrays, "
                f"lists and strings, so this is not a genuine file: {self._fix}"
            )
        return found


def load_dict_pickle(path: Path, what: str, fix: str) -> dict[bytes, object]:
    """The dict in a dataset pickle, keys as bytes. `what` names the file kind, `fix` says how to get a good one.

    Every failure (missing, truncated, corrupt, foreign global, not a dict) is a one-line NashError.
    """
    if not path.is_file():
        raise NashError(f"{path} is missing; {fix}")
    try:
        with path.open("rb") as f:
            obj = _AllowListUnpickler(f, path, what, fix).load()
    except NashError:
        raise
    except Exception as exc:  # a truncated/corrupt pickle fails in many ways (EOF, bad opcode, bad array state)
        raise NashError(f"{path} is not a readable {what} ({error_reason(exc)}); {fix}") from None
    if not isinstance(obj, dict):
        raise NashError(f"{path} holds a {type(obj).__name__}, expected a {what} dict; {fix}")
    return {(k.encode() if isinstance(k, str) else k): v for k, v in obj.items()}


def uint8_rows(batch: dict[bytes, object], key: bytes, width: int, path: Path, fix: str) -> np.ndarray:
    """batch[key] checked to be an (N, width) uint8 array."""
    data = batch.get(key)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != width:
        got = f"{data.shape} {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise NashError(f"{path}: expected {key!r} as an (N, {width}) uint8 array, got {got}; {fix}")
    return data


def int_labels(batch: dict[bytes, object], key: bytes, count: int, low: int, high: int, path: Path, fix: str):
    """batch[key] as an int64 array of `count` values in [low, high)."""
    try:
        labels = np.asarray(batch.get(key), dtype=np.int64)
    except (TypeError, ValueError):
        labels = np.empty(0, dtype=np.int64)
    if labels.shape != (count,) or (labels.size and not low <= labels.min() <= labels.max() < high):
        raise NashError(f"{path}: expected {key!r} as {count} integers in [{low}, {high}); {fix}")
    return labels
