"""Reading and writing nash table files (the `.npz` behind `Nb201Oracle`).

Table file format, version 2 (version 1 = the same without `space`, always a topology table;
both are read). The embedded `benchmarks/data/nb201_table.npz` (version 1) is built by
`scripts/build_nb201_table.py` (provenance in `benchmarks/data/NB201_TABLE.md`); tables from the
official NAS-Bench-201 / NATS-Bench files by `nash table build` (`benchmarks.official`).
A `np.savez_compressed` archive that loads with `allow_pickle=False`, holding
- the architecture rows, row r = the architecture with official index r:
  `op_indices` uint8 (n, 6) for the topology space (`tss`), each value the op index into `OPS`
  for one edge in official edge order; or `channels` uint8 (n, 5) for the size space (`sss`),
  each value a stage's channel count. A table may hold fewer rows than the space (tests).
- one float64 array of length n per available value, named `col:<metric>/<dataset>/<split>/<epochs>/<seed>`
  (vocabulary in `benchmarks.nb201.table_format`). NaN marks a cell the source did not run
  (e.g. a seed it skipped for that cell, or an architecture missing from a partial source).
- `meta`: a 0-d unicode array holding JSON: `format_version`, `space`, `description`, `sources`,
  `licence`, optional `columns` (name -> description) and `source` (file name, version, format),
  `column_sha256` (member name -> sha256 of its raw little-endian bytes; checked when a column is
  first read) and `checksum_sha256` for the whole table (`table_format.table_checksum`, checked by
  `verify()` / `load(eager=True)`).
Loading keeps the compressed file in memory and decompresses a column on first use, so a load
takes a few ms whatever the number of columns; zip CRCs and the sha256s catch damaged bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from benchmarks.errors import NashError
from benchmarks.nb201.table_format import (
    _COLUMN_PREFIX,
    FORMAT_VERSION,
    ORACLE_ENV_VAR,
    READABLE_VERSIONS,
    Key,
    column_name,
    parse_column_name,
    table_checksum,
)
from benchmarks.nb201.table_space import table_space
from benchmarks.safe_files import MIB, parse_json, read_bytes


class StoredTable(Protocol):
    """What this file format reads into and writes from (`benchmarks.nb201.oracle.Nb201Oracle`)."""

    meta: dict
    space: str
    op_indices: np.ndarray

    def column(self, **key) -> np.ndarray: ...

    def available(self) -> list[tuple]: ...

    def _attach_reader(self, names: dict, read_column: Callable[[Key], np.ndarray]) -> None: ...


Table = TypeVar("Table", bound=StoredTable)


# A table file is read whole into memory. The embedded one is 1.1 MB; a full NATS-Bench conversion
# (every dataset, split, budget and seed of 32,768 cells) is tens to a few hundred MB compressed.
TABLE_FILE_LIMIT = 1024 * MIB
TABLE_META_LIMIT = 16 * MIB  # the meta JSON: a description and a sha256 per column, well under 1 MB
_MEMBER_HEADER = 4096  # an .npy member's header; its data is then exactly rows x values x itemsize
# meta fields the oracle and `nash table build` read, with their types; absent is allowed (older tables).
_META_TYPES = {"format_version": (int, "an integer"), "space": (str, "text"), "description": (str, "text"),
               "column_sha256": (dict, "an object"), "checksum_sha256": (str, "text"), "source": (dict, "an object"),
               "columns": (dict, "an object")}  # fmt: skip


def load_table(cls: Callable[..., Table], path: Path) -> Table:
    """A lazily read table: rows and meta now, each column on first use."""
    if not os.path.lexists(path):
        raise NashError(f"NAS-Bench-201 table {path} not found; {fix_hint(path)}")
    # The whole (compressed) file in memory: no open handle, columns decompressed on demand. A FIFO,
    # a device or a file over the limit is refused before anything is read.
    data = read_bytes(path, TABLE_FILE_LIMIT, "oracle table file")
    with table_errors(path):
        if not data.startswith(b"PK"):  # else np.load's message would suggest unpickling it
            raise NashError("it is not a .npz archive")
        archive = np.load(io.BytesIO(data), allow_pickle=False)
        meta = _read_meta(archive, path)
        space = table_space(meta.setdefault("space", "tss"))
        sums = meta.get("column_sha256", {})
        _check_member_size(archive, space.member, space.num_archs * space.width)  # uint8 rows
        rows = archive[space.member]
        if sha256(rows) != sums.get(space.member):
            raise NashError(f"{space.member} do not match the checksum in its meta")
        oracle = cls(rows, {}, meta, source=str(path))
        names = {parse_column_name(n): n for n in archive.files if n.startswith(_COLUMN_PREFIX)}

    def read_column(key: Key) -> np.ndarray:
        with table_errors(path):
            _check_member_size(archive, names[key], len(rows) * 8)  # float64 per row: no zip bomb is inflated
            column = archive[names[key]]
            if sha256(column) != sums.get(names[key]):
                raise NashError(f"column {names[key]} does not match the checksum in its meta")
            return column

    oracle._attach_reader(names, read_column)
    return oracle


def _read_meta(archive: Any, path: Path) -> dict:
    """The table's meta JSON, bounded in size and depth, with each field the oracle reads of its type."""
    _check_member_size(archive, "meta", TABLE_META_LIMIT)
    text = str(archive["meta"][()]).encode("utf-8", "surrogatepass")
    meta = parse_json(text, "table meta", path)
    if not isinstance(meta, dict):
        raise NashError("its meta is not a JSON object")
    for key, (kind, expected) in _META_TYPES.items():
        if key in meta and (not isinstance(meta[key], kind) or isinstance(meta[key], bool)):
            raise NashError(f"meta field {key!r} is a {type(meta[key]).__name__}, expected {expected}")
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise NashError(f"format_version {meta.get('format_version')!r}, expected one of {READABLE_VERSIONS}")
    if not all(isinstance(v, str) for v in meta.get("column_sha256", {}).values()):
        raise NashError("meta field 'column_sha256' must map member names to sha256 text")
    return meta


def _check_member_size(archive: Any, name: str, data_bytes: int) -> None:
    """A member inflates to at most its expected size (a few kB of .npy header aside), else it is refused."""
    member = f"{name}.npy"
    if member in archive.zip.namelist():
        size = archive.zip.getinfo(member).file_size
        if size > data_bytes + _MEMBER_HEADER:
            raise NashError(f"member {name} inflates to {size:,} bytes, more than its {data_bytes:,} of data")


def save_table(oracle: StoredTable, path: Path) -> Path:
    """Write `oracle` in the format above through a temporary name, so no reader sees half a table."""
    meta = {**oracle.meta, "format_version": FORMAT_VERSION, "space": oracle.space}
    columns = {
        key: oracle.column(**dict(zip(("metric", "dataset", "split", "epochs", "seed"), key, strict=True)))
        for key in oracle.available()
    }
    arrays = {table_space(oracle.space).member: oracle.op_indices}
    arrays.update({column_name(key): columns[key] for key in sorted(columns)})
    meta["checksum_sha256"] = table_checksum(oracle.op_indices, columns, oracle.space)
    meta["column_sha256"] = {name: sha256(array) for name, array in arrays.items()}
    arrays["meta"] = np.array(json.dumps(meta, indent=1))
    # A new name (O_EXCL): a link planted at a predictable temporary name would be written through.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:  # a file object: savez would otherwise append ".npz"
            np.savez_compressed(f, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared table from its readers
        os.replace(tmp, path)  # atomic on one file system; a link at `path` is replaced, not followed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def fix_hint(path: Path | str) -> str:
    return (
        f"rebuild it with `python scripts/build_nb201_table.py --out {path}` or `nash table build` "
        f"(or reinstall nash), or pass another table with --oracle FILE / {ORACLE_ENV_VAR}"
    )


@contextlib.contextmanager
def table_errors(path: Path) -> Iterator[None]:
    """Turn whatever a damaged file raises into one NashError naming the file and the fix."""
    try:
        yield
    except (NashError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        reason = str(exc).replace("\n", " ") or type(exc).__name__
        raise NashError(f"NAS-Bench-201 table {path} is unreadable or corrupt ({reason}); {fix_hint(path)}") from exc
