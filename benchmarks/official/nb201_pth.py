"""The NAS-Bench-201 `.pth` files (`NAS-Bench-201-v1_0-e61699.pth`, `NAS-Bench-201-v1_1-096897.pth`).

One `torch.save`d dict: `meta_archs` (15,625 official strings), `arch2infos[index] =
{'less': ArchResults state of the 12-epoch runs, 'full': state of the 200-epoch runs}` and
`evaluated_indexes`. Read with `torch.load(weights_only=True)` and an explicit allow-list (numpy's
scalar and dtype; dicts, lists and OrderedDicts are allowed by torch already), memory-mapped when
the file is a zip-format checkpoint. torch is imported only here, when a `.pth` is converted.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.errors import NashError
from benchmarks.official.nats_files import OfficialSource, drain, meta_and_infos
from benchmarks.official.safe_pickle import ALLOWED, open_regular_file
from benchmarks.safe_files import MIB

# NAS-Bench-201-v1_0-e61699.pth is 2.1 GB, v1_1-096897.pth 4.7 GB (memory-mapped when zip-format).
PTH_LIMIT = 8 * 1024 * MIB

_HP_OF = {"less": "12", "full": "200"}
_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def _safe_globals() -> list[Any]:
    scalar = ALLOWED[("numpy._core.multiarray", "scalar")]
    # (object, "module.name") lets a file written under numpy 1 name the old module path.
    # Under numpy 2 a dtype unpickles as an instance of its own class (np.dtypes.Float64DType, ...),
    # which torch's BUILD check wants allow-listed as well; under numpy 1 these are all np.dtype.
    dtype_classes = {type(np.dtype(code)) for code in ("f8", "f4", "i8", "i4")}
    return [
        np.dtype,
        *dtype_classes,
        (scalar, "numpy.core.multiarray.scalar"),
        (scalar, "numpy._core.multiarray.scalar"),
    ]


def load_pth(path: Path) -> Any:
    import torch  # lazily: the oracle and the NATS readers stay torch-free

    open_regular_file(path, PTH_LIMIT, "NAS-Bench-201 .pth file").close()  # no FIFO, device or huge file
    try:
        # mmap keeps tensor storages on disk; only zip-format checkpoints support it.
        mmap = zipfile.is_zipfile(path)
        with torch.serialization.safe_globals(_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        found = _GLOBAL.search(str(exc))
        if found:
            raise NashError(
                f"{path} asks to load {found[1]}, which a NAS-Bench-201 file never needs; refusing to read it"
            ) from None
        raise NashError(f"{path} is not a readable .pth file ({_first_line(exc)})") from None
    except Exception as exc:  # noqa: BLE001 - torch.load on a damaged file raises many types
        raise NashError(f"{path} is not a readable .pth file ({type(exc).__name__}: {_first_line(exc)})") from None


def read_pth(path: Path) -> OfficialSource:
    meta_archs, infos = meta_and_infos(path, load_pth(path), "NAS-Bench-201 file")
    archs = ((i, where, _by_epochs(where, results)) for i, where, results in drain(path, infos, len(meta_archs)))
    return OfficialSource(path, "nb201-pth", meta_archs, len(infos), archs)


def _by_epochs(where: str, less_full: dict[str, Any]) -> dict[str, Any]:
    if not set(less_full) <= set(_HP_OF):
        raise NashError(f"{where}: results have keys {sorted(map(str, less_full))}, expected 'less'/'full'")
    return {_HP_OF[name]: state for name, state in less_full.items()}


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__
