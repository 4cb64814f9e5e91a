"""The NAS-Bench-201 tabular oracle: O(1) lookups of published results for all 15,625 cells.

Numpy only (no torch, no pandas) so that reports and the CLI can use it anywhere.

Table file format, version 1 (`benchmarks/data/nb201_table.npz`, built by
`scripts/build_nb201_table.py`; provenance in `benchmarks/data/NB201_TABLE.md`):
a `np.savez_compressed` archive that loads with `allow_pickle=False`, holding
- `op_indices`: uint8 (n, 6); row r is the cell with official index r, each value the op
  index into `OPS` for one edge (official edge order). The embedded table has n = 15,625.
- one float64 array of length n per available value, named
  `col:<metric>/<dataset>/<split>/<epochs>/<seed>` with metric in `METRICS`, dataset in
  `DATASETS`, split in `SPLITS`, epochs in `EPOCHS` and seed `mean` (mean over the seeds the
  benchmark ran), `single` (one seed, which one is not recorded) or an integer seed (`777`).
  Splits follow the benchmark: `valid` = x-valid; `test` = ori-test for cifar10 and
  cifar10-valid and x-test for cifar100 and ImageNet16-120; cifar10 has only `test`.
- `meta`: a 0-d unicode array holding JSON: `format_version`, `description`, `sources`,
  `licence`, `columns` (name -> description), `column_sha256` (member name -> sha256 of its
  raw little-endian bytes; checked when a column is first read) and `checksum_sha256` for the
  whole table: sha256 over the bytes of `op_indices`, then for each column in sorted name
  order its name in UTF-8, a NUL byte and its float64 bytes (`verify()` / `load(eager=True)`).
Loading keeps the compressed file in memory and decompresses a column on first use, so a
load takes ~2 ms and a query of a new column ~0.5 ms more; zip CRCs catch damaged bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.resources
import io
import json
import os
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.errors import NashError
from benchmarks.nb201.arch import NUM_ARCHS, NUM_EDGES, OPS, Nb201Arch, codes_from_op_indices
from benchmarks.nb201.table_format import (
    _COLUMN_PREFIX,
    DATASETS,
    FORMAT_VERSION,
    METRICS,
    ORACLE_ENV_VAR,
    SEED_POLICIES,
    TABLE_FILE,
    ArchLike,
    Key,
    column_name,
    normalize_key,
    parse_column_name,
    table_checksum,
)


class Nb201Oracle:
    """Published NAS-Bench-201 results, one float64 column per (metric, dataset, split, epochs, seed).

    Rows are official indexes. Architectures can be given as the official string, the
    official index or an `Nb201Arch`. A table may hold fewer than 15,625 cells (tests).
    """

    def __init__(
        self,
        op_indices: np.ndarray,
        columns: Mapping[Key, np.ndarray],
        meta: Mapping[str, Any] | None = None,
        *,
        source: str = "<in-memory table>",
    ) -> None:
        ops = np.asarray(op_indices)
        if ops.ndim != 2 or ops.shape[1] != NUM_EDGES or not 0 < len(ops) <= NUM_ARCHS:
            raise NashError(f"op_indices must have shape (n, {NUM_EDGES}) with 0 < n <= {NUM_ARCHS}, got {ops.shape}")
        if ops.min() < 0 or ops.max() >= len(OPS):
            raise NashError(f"op_indices values must be op indices in [0, {len(OPS)})")
        self._op_indices = ops.astype(np.uint8)
        # code -> official index, -1 for cells this table does not hold: vectorised O(1) lookups.
        self._index_of_code = np.full(NUM_ARCHS, -1, dtype=np.int64)
        self._index_of_code[codes_from_op_indices(self._op_indices)] = np.arange(len(ops))
        if np.count_nonzero(self._index_of_code >= 0) != len(ops):
            raise NashError("op_indices holds the same architecture in more than one row")
        for array in (self._op_indices, self._index_of_code):
            array.flags.writeable = False
        # None = not read yet: a loaded table decompresses a column on first use, so loading takes ~1 ms.
        self._columns: dict[Key, np.ndarray | None] = {}
        self._read_column: Callable[[Key], np.ndarray] | None = None
        self._lock = threading.Lock()
        for key, values in columns.items():
            key = normalize_key(*key)
            self._columns[key] = self._frozen_column(key, values)
        self._meta = dict(meta or {})
        self._strings: tuple[str, ...] | None = None
        self.source = source

    def _frozen_column(self, key: Key, values: Any) -> np.ndarray:
        column = np.array(values, dtype=np.float64)  # a private copy, frozen: the default oracle is shared
        if column.shape != (len(self),):
            raise NashError(f"column {column_name(key)} has shape {column.shape}, expected ({len(self)},)")
        column.flags.writeable = False
        return column

    def __getstate__(self) -> dict[str, Any]:  # picklable for process pools: read everything, drop the reader
        self.verify()
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_read_column")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), _read_column=None)

    @classmethod
    def from_arrays(
        cls, op_indices: np.ndarray, columns: Mapping[str | Key, Any], meta: Mapping[str, Any] | None = None
    ) -> Nb201Oracle:
        """Build from arrays; column keys may be `Key` tuples or `col:...` names."""
        keyed = {parse_column_name(k) if isinstance(k, str) else normalize_key(*k): v for k, v in columns.items()}
        return cls(op_indices, keyed, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, eager: bool = False) -> Nb201Oracle:
        """Load a table file (None: the one embedded in the package); `eager` reads and verifies all columns now."""
        if path is None:
            with importlib.resources.as_file(importlib.resources.files("benchmarks") / "data" / TABLE_FILE) as p:
                oracle = cls._load_file(Path(p))
        else:
            oracle = cls._load_file(Path(path))
        if eager:
            oracle.verify()
        return oracle

    @classmethod
    def _load_file(cls, path: Path) -> Nb201Oracle:
        if not path.is_file():
            raise NashError(f"NAS-Bench-201 table {path} not found; {_fix(path)}")
        with _table_errors(path):
            # The whole (compressed) file in memory: no open handle, columns decompressed on demand.
            data = path.read_bytes()
            if not data.startswith(b"PK"):  # else np.load's message would suggest unpickling it
                raise NashError("it is not a .npz archive")
            archive = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(str(archive["meta"][()]))
            if meta.get("format_version") != FORMAT_VERSION:
                raise NashError(f"format_version {meta.get('format_version')!r}, expected {FORMAT_VERSION}")
            sums = meta.get("column_sha256", {})
            if _sha256(archive["op_indices"]) != sums.get("op_indices"):
                raise NashError("op_indices do not match the checksum in its meta")
            oracle = cls(archive["op_indices"], {}, meta, source=str(path))
            names = {parse_column_name(n): n for n in archive.files if n.startswith(_COLUMN_PREFIX)}

        def read_column(key: Key) -> np.ndarray:
            with _table_errors(path):
                column = archive[names[key]]
                if _sha256(column) != sums.get(names[key]):
                    raise NashError(f"column {names[key]} does not match the checksum in its meta")
                return column

        oracle._columns = dict.fromkeys(names)
        oracle._read_column = read_column
        return oracle

    def verify(self) -> None:
        """Read every column and check the whole-table checksum of a loaded table."""
        for key in self._columns:
            self._materialise(key)
        expected = self._meta.get("checksum_sha256")
        if expected is not None and table_checksum(self._op_indices, self._columns) != expected:
            raise NashError(f"NAS-Bench-201 table {self.source} does not match its checksum; {_fix(self.source)}")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this table in the format above (meta gains format_version and checksum)."""
        path = Path(path)
        meta = {**self._meta, "format_version": FORMAT_VERSION}
        arrays = {"op_indices": self._op_indices}
        arrays.update({column_name(key): self._materialise(key) for key in sorted(self._columns)})
        meta["checksum_sha256"] = table_checksum(self._op_indices, self._columns)
        meta["column_sha256"] = {name: _sha256(array) for name, array in arrays.items()}
        arrays["meta"] = np.array(json.dumps(meta, indent=1))
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:  # a file object: savez would otherwise append ".npz"
            np.savez_compressed(f, **arrays)
        tmp.replace(path)  # atomic: a reader never sees half a table
        return path

    # ---- architectures ----
    def __len__(self) -> int:
        return len(self._op_indices)

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._meta)

    @property
    def op_indices(self) -> np.ndarray:
        """(n, 6) uint8, read-only; row = official index."""
        return self._op_indices

    def index_of(self, arch: ArchLike) -> int:
        """Official index of an official string, an index or an `Nb201Arch`."""
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if not 0 <= arch < len(self):
                raise NashError(f"architecture index {arch} out of range; valid indexes: 0 to {len(self) - 1}")
            return int(arch)
        if isinstance(arch, str):
            code = _code_of_string(arch)
        elif isinstance(arch, Nb201Arch):
            code = arch.code
        else:
            raise NashError(f"cannot look up {arch!r}: give an official string, an integer index or an Nb201Arch")
        index = int(self._index_of_code[code])
        if index < 0:
            raise NashError(f"architecture {arch} is not in this table ({len(self)} of {NUM_ARCHS} cells)")
        return index

    def indices_of(self, archs: Sequence[ArchLike] | np.ndarray) -> np.ndarray:
        """Vectorised `index_of`; an integer array is only bounds-checked."""
        if isinstance(archs, np.ndarray) and archs.dtype.kind in "iu":
            if archs.size and (archs.min() < 0 or archs.max() >= len(self)):
                bad = archs[(archs < 0) | (archs >= len(self))].flat[0]
                raise NashError(f"architecture index {bad} out of range; valid indexes: 0 to {len(self) - 1}")
            return archs
        return np.fromiter((self.index_of(a) for a in archs), dtype=np.int64)

    def arch_of(self, index: int) -> Nb201Arch:
        return Nb201Arch.from_op_indices(self._op_indices[self.index_of(index)])

    def arch_strings(self) -> list[str]:
        """Official strings for every row, in index order (built once, ~tens of ms)."""
        if self._strings is None:
            self._strings = tuple(Nb201Arch.from_op_indices(row).to_string() for row in self._op_indices.tolist())
        return list(self._strings)

    # ---- values ----
    def available(self) -> list[Key]:
        """Every (metric, dataset, split, epochs, seed) this table holds, grouped by dataset."""
        return sorted(self._columns, key=_display_order)

    def column(
        self, *, dataset: str, split: str, epochs: int = 200, seed: int | str = "mean", metric: str = "accuracy"
    ) -> np.ndarray:
        """The read-only column for all rows; raises NashError naming what is available."""
        column = self._columns.get((metric, dataset, split, epochs, seed))  # type: ignore[arg-type]
        if column is None:  # slow path: normalise ("200" -> 200, 777 -> "777"), read, or explain the miss
            key = normalize_key(metric, dataset, split, epochs, seed)
            if key not in self._columns:
                raise NashError(self._not_in_table(key))
            column = self._materialise(key)
        return column

    def _materialise(self, key: Key) -> np.ndarray:
        with self._lock:
            column = self._columns[key]
            if column is None:
                assert self._read_column is not None  # None entries only come from load()
                column = self._columns[key] = self._frozen_column(key, self._read_column(key))
                if all(c is not None for c in self._columns.values()):
                    self._read_column = None  # everything read: let the compressed bytes go
            return column

    def query(
        self,
        arch: ArchLike,
        *,
        dataset: str,
        split: str,
        epochs: int = 200,
        seed: int | str = "mean",
        metric: str = "accuracy",
    ) -> float:
        """One value, e.g. `query(arch, dataset="cifar10", split="test")` -> 94.37 for the best cell."""
        column = self.column(dataset=dataset, split=split, epochs=epochs, seed=seed, metric=metric)
        return float(column[self.index_of(arch)])

    def query_many(
        self,
        archs: Sequence[ArchLike] | np.ndarray,
        *,
        dataset: str,
        split: str,
        epochs: int = 200,
        seed: int | str = "mean",
        metric: str = "accuracy",
    ) -> np.ndarray:
        """Values for many cells; an integer index array is one numpy take."""
        column = self.column(dataset=dataset, split=split, epochs=epochs, seed=seed, metric=metric)
        return column.take(self.indices_of(archs))

    def _not_in_table(self, key: Key) -> str:
        metric, dataset, split, epochs, seed = key
        text = f"{metric} on {dataset} {split}, {epochs} epochs, seed {seed} is not in this table ({self.source})"
        if dataset == "cifar10" and split == "valid":
            text += "; cifar10 is trained on all 50k images and has only the test split"
            text += "; use dataset cifar10-valid for x-valid"
        elif seed.isdigit():
            text += "; per-seed results are not in this table: use seed mean (or single for one unnamed seed)"
        elif dataset in ("cifar100", "ImageNet16-120") and split == "valid" and epochs == 200:
            text += "; the sources of this table did not extract 200-epoch x-valid for this dataset: use epochs 12"
        have = [f"{m} {s} {e}ep seed {sd}" for m, d, s, e, sd in self.available() if d == dataset]
        return text + (f"; available for {dataset}: {', '.join(have)}" if have else f"; it has nothing for {dataset}")


def _display_order(key: Key) -> tuple[int, int, int, int, int, str]:
    metric, dataset, split, epochs, seed = key
    policy = SEED_POLICIES.index(seed) if seed in SEED_POLICIES else len(SEED_POLICIES)
    split_order = ("test", "valid", "train").index(split)  # the headline numbers first
    return DATASETS.index(dataset), METRICS.index(metric), -epochs, split_order, policy, seed.zfill(12)


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _fix(path: Path | str) -> str:
    return (
        f"rebuild it with `python scripts/build_nb201_table.py --out {path}` (or reinstall nash), "
        f"or pass another table with --oracle FILE / {ORACLE_ENV_VAR}"
    )


@contextlib.contextmanager
def _table_errors(path: Path) -> Iterator[None]:
    """Turn whatever a damaged file raises into one NashError naming the file and the fix."""
    try:
        yield
    except (NashError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        reason = str(exc).replace("\n", " ") or type(exc).__name__
        raise NashError(f"NAS-Bench-201 table {path} is unreadable or corrupt ({reason}); {_fix(path)}") from exc


@functools.lru_cache(maxsize=32768)
def _code_of_string(text: str) -> int:
    # Parsing is the slow part of a string lookup; searches ask for the same few cells repeatedly.
    return Nb201Arch.from_string(text).code


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> Nb201Oracle:
    return Nb201Oracle.load(path or None)


def default_oracle() -> Nb201Oracle:
    """The table named by $NASH_ORACLE, else the embedded one; loaded once per path and shared."""
    return _load_cached(os.environ.get(ORACLE_ENV_VAR, ""))
