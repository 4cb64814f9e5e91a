"""NATS-Bench `.pickle.pbz2` files through the shared allow-listed unpickler.

They only need `collections.OrderedDict`, numpy's scalar reconstructor (how a pickled `np.float64`
comes back) and `numpy.dtype`; anything else is refused before it is imported.
"""

from __future__ import annotations

import bz2
import collections
from pathlib import Path
from typing import Any

from benchmarks.allow_list_pickle import NUMPY_SCALARS, AllowListUnpickler, ForbiddenGlobal
from benchmarks.errors import NashError, error_reason

ALLOWED: dict[tuple[str, str], Any] = {("collections", "OrderedDict"): collections.OrderedDict, **NUMPY_SCALARS}


def load_bz2_pickle(path: Path) -> Any:
    """The object in a bz2-compressed pickle; any problem is one NashError naming the file."""
    if not path.is_file():
        raise NashError(f"{path} not found")
    try:
        with bz2.open(path, "rb") as stream:
            return AllowListUnpickler(stream, ALLOWED).load()
    except ForbiddenGlobal as exc:
        raise NashError(
            f"{path} asks to load {exc.name}, which a NATS-Bench file never needs; refusing to read it"
        ) from None
    except (EOFError, OSError) as exc:  # bz2 raises these for truncated or non-bz2 data
        raise NashError(f"{path} is truncated or not a bz2 file ({error_reason(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged pickle can raise almost anything
        raise NashError(f"{path} is not a readable pickle ({error_reason(exc)})") from exc
