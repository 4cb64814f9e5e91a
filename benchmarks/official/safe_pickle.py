"""Unpickling user files with an allow-list: only the classes the NATS-Bench files are made of.

A pickle can call any importable function while it loads, so a bare `pickle.load` on a downloaded
file runs whatever the file asks for. The official NATS-Bench `.pickle.pbz2` files only need
`collections.OrderedDict`, numpy's scalar reconstructor (how a pickled `np.float64` comes back) and
`numpy.dtype`; anything else is refused before it is imported.
"""

from __future__ import annotations

import bz2
import collections
import importlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.errors import NashError


def _numpy_scalar() -> Any:
    # numpy 2 moved `numpy.core` to `numpy._core`; files written under numpy 1 name the old module.
    try:
        return importlib.import_module("numpy._core.multiarray").scalar
    except ImportError:  # numpy 1.x
        return importlib.import_module("numpy.core.multiarray").scalar


_SCALAR = _numpy_scalar()
ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
}


class ForbiddenClass(pickle.UnpicklingError):
    """The file asked for a global outside the allow-list; `name` is what it asked for."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class AllowListUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise ForbiddenClass(f"{module}.{name}") from None


def load_bz2_pickle(path: Path) -> Any:
    """The object in a bz2-compressed pickle; any problem is one NashError naming the file."""
    if not path.is_file():
        raise NashError(f"{path} not found")
    try:
        with bz2.open(path, "rb") as stream:
            return AllowListUnpickler(stream).load()
    except ForbiddenClass as exc:
        raise NashError(
            f"{path} asks to load {exc.name}, which a NATS-Bench file never needs; refusing to read it"
        ) from None
    except (EOFError, OSError) as exc:  # bz2 raises these for truncated or non-bz2 data
        raise NashError(f"{path} is truncated or not a bz2 file ({_one_line(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged pickle can raise almost anything
        raise NashError(f"{path} is not a readable pickle ({type(exc).__name__}: {_one_line(exc)})") from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
