"""The one allow-listed unpickler behind every user pickle we read (NATS-Bench files, dataset batches).

A pickle can call any importable function while it loads, so a bare `pickle.load` on a downloaded
file runs whatever the file asks for. Each reader passes the few globals its format is made of;
anything else is refused before it is imported, as `ForbiddenGlobal`.
"""

from __future__ import annotations

import pickle
from typing import IO, Any

import numpy as np

# Rebuilders numpy pickles through, taken from live objects so numpy>=2 never imports the deprecated
# `numpy.core`; files written under numpy 1 name `numpy.core.multiarray`, under numpy 2 `numpy._core`.
_SCALAR = np.int64(0).__reduce__()[0]
_RECONSTRUCT = np.ndarray((0,), np.uint8).__reduce_ex__(2)[0]
NUMPY_SCALARS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy", "dtype"): np.dtype,
}
NUMPY_ARRAYS: dict[tuple[str, str], Any] = {
    **NUMPY_SCALARS,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
}


class ForbiddenGlobal(pickle.UnpicklingError):
    """The file asked for a global outside the allow-list; `name` is what it asked for."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class AllowListUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], allowed: dict[tuple[str, str], Any], **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise ForbiddenGlobal(f"{module}.{name}") from None
