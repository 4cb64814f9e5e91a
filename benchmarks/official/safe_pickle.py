"""NATS-Bench `.pickle.pbz2` files through the shared allow-listed unpickler.

They only need `collections.OrderedDict`, numpy's scalar reconstructor (how a pickled `np.float64`
comes back) and `numpy.dtype`; anything else is refused before it is imported.
"""

from __future__ import annotations

import bz2
import collections
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from benchmarks.allow_list_pickle import NUMPY_SCALARS, AllowListUnpickler, ForbiddenGlobal
from benchmarks.errors import NashError, error_reason
from benchmarks.safe_files import MIB, file_kind, size_text

# The official files: the whole-benchmark NATS-Bench archives are hundreds of MB to a few GB of bz2 (they are
# unpickled whole); a `-simple` directory's meta and per-architecture files are kB to a few MB each.
ARCHIVE_LIMIT = 8 * 1024 * MIB
SIMPLE_FILE_LIMIT = 64 * MIB
ALLOWED: dict[tuple[str, str], Any] = {("collections", "OrderedDict"): collections.OrderedDict, **NUMPY_SCALARS}


def load_bz2_pickle(path: Path, limit: int = ARCHIVE_LIMIT, what: str = "NATS-Bench file") -> Any:
    """The object in a bz2-compressed pickle; any problem is one NashError naming the file.

    The file must be a regular file of at most `limit` bytes (a FIFO or device would block or never end).
    """
    handle = open_regular_file(path, limit, what)
    try:
        with bz2.open(handle, "rb") as stream:
            return AllowListUnpickler(stream, ALLOWED).load()
    except ForbiddenGlobal as exc:
        raise NashError(
            f"{path} asks to load {exc.name}, which a NATS-Bench file never needs; refusing to read it"
        ) from None
    except (EOFError, OSError) as exc:  # bz2 raises these for truncated or non-bz2 data
        raise NashError(f"{path} is truncated or not a bz2 file ({error_reason(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged pickle can raise almost anything
        raise NashError(f"{path} is not a readable pickle ({error_reason(exc)})") from exc
    finally:
        handle.close()


def open_regular_file(path: Path, limit: int, what: str) -> BinaryIO:
    """A binary handle on `path`, which must be a regular file of at most `limit` bytes (opened without blocking)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NashError(f"{path} not found") from None
    except OSError as err:
        raise NashError(f"cannot read {what} {path}: {err.strerror or err}") from None
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = f"is {file_kind(info.st_mode)}, not a regular file; pass the file itself"
    elif info.st_size > limit:
        problem = f"is {size_text(info.st_size)}, over the {size_text(limit)} limit for a {what}; is it the right file?"
    if problem:
        os.close(fd)
        raise NashError(f"{what} {path} {problem}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")
