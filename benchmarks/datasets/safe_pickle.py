"""Dataset pickles (CIFAR-10/100 batches, ImageNet16 batches) through the shared allow-listed unpickler.

These files were written by Python 2 cPickle (CIFAR) or Python 2/3 pickle (ImageNet16) and hold
only dicts, lists, strings, numbers and numpy arrays, so numpy's array globals are all they may ask for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.allow_list_pickle import NUMPY_ARRAYS, AllowListUnpickler, ForbiddenGlobal
from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import DATASET_FILE_LIMIT, check_regular_file


def load_dict_pickle(path: Path, what: str, fix: str) -> dict[bytes, object]:
    """The dict in a dataset pickle, keys as bytes. `what` names the file kind, `fix` says how to get a good one.

    Every failure (missing, truncated, corrupt, foreign global, not a dict) is a one-line NashError.
    """
    if not path.exists():
        raise NashError(f"{path} is missing; {fix}")
    check_regular_file(path, DATASET_FILE_LIMIT, what)  # a FIFO would block the unpickler, /dev/zero fill memory
    try:
        with path.open("rb") as f:
            # encoding="bytes": Python 2 str -> bytes, as in the official loading snippets
            obj = AllowListUnpickler(f, NUMPY_ARRAYS, encoding="bytes").load()
    except ForbiddenGlobal as exc:
        raise NashError(
            f"{path}: refusing to unpickle {exc.name}; a {what} holds only numpy arrays, "
            f"lists and strings, so this is not a genuine file: {fix}"
        ) from None
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
