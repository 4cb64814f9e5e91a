"""The NAS-Bench-201 / NATS-Bench tabular oracle: O(1) lookups of published results.

Numpy only (no torch, no pandas) so that reports and the CLI can use it anywhere. A table holds
one search space: the topology space (`tss`, the 15,625 NAS-Bench-201 cells; the embedded table)
or the NATS-Bench size space (`sss`, 32,768 channel configurations, from `nash table build`).
The file format is in `benchmarks.nb201.table_file`, the column vocabulary in
`benchmarks.nb201.table_format`.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.errors import NashError
from benchmarks.nb201.arch import Nb201Arch
from benchmarks.nb201.size_arch import NatsSizeArch
from benchmarks.nb201.table_file import fix_hint, load_table, save_table
from benchmarks.nb201.table_format import (
    DATASETS,
    EPOCHS_BY_SPACE,
    METRICS,
    ORACLE_ENV_VAR,
    SEED_POLICIES,
    TABLE_FILE,
    ArchLike,
    Key,
    column_name,
    default_split,
    normalize_key,
    parse_column_name,
    table_checksum,
)
from benchmarks.nb201.table_space import table_space


class Nb201Oracle:
    """Published results, one float64 column per (metric, dataset, split, epochs, seed).

    Rows are official indexes. Architectures can be given as the official string, the official
    index or an arch object of the table's space (`Nb201Arch` for tss, `NatsSizeArch` for sss).
    A table may hold fewer rows than its space (tests). `meta["space"]` says which space (default tss).
    """

    def __init__(
        self,
        op_indices: np.ndarray,
        columns: Mapping[Key, np.ndarray],
        meta: Mapping[str, Any] | None = None,
        *,
        source: str = "<in-memory table>",
    ) -> None:
        self._meta = dict(meta or {})
        self._space = table_space(self._meta.setdefault("space", "tss"))
        self._op_indices = self._space.check_rows(op_indices)
        # code -> official index, -1 for architectures this table does not hold: vectorised O(1) lookups.
        self._index_of_code = np.full(self._space.num_archs, -1, dtype=np.int64)
        self._index_of_code[self._space.codes(self._op_indices)] = np.arange(len(self._op_indices))
        if np.count_nonzero(self._index_of_code >= 0) != len(self._op_indices):
            raise NashError(f"{self._space.member} holds the same architecture in more than one row")
        for array in (self._op_indices, self._index_of_code):
            array.flags.writeable = False
        # None = not read yet: a loaded table decompresses a column on first use, so loading takes ~1 ms.
        self._columns: dict[Key, np.ndarray | None] = {}
        self._read_column: Callable[[Key], np.ndarray] | None = None
        self._lock = threading.Lock()
        for key, values in columns.items():
            key = normalize_key(*key)
            self._columns[key] = self._frozen_column(key, values)
        self._strings: tuple[str, ...] | None = None
        self.source = source

    def _frozen_column(self, key: Key, values: Any) -> np.ndarray:
        column = np.array(values, dtype=np.float64)  # a private copy, frozen: the default oracle is shared
        if column.shape != (len(self),):
            raise NashError(f"column {column_name(key)} has shape {column.shape}, expected ({len(self)},)")
        column.flags.writeable = False
        return column

    def _attach_reader(self, names: Mapping[Key, str], read_column: Callable[[Key], np.ndarray]) -> None:
        """Used by `table_file.load_table`: these columns exist and are read on first use."""
        self._columns = dict.fromkeys(names)
        self._read_column = read_column

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
                oracle = load_table(cls, Path(p))
        else:
            oracle = load_table(cls, Path(path))
        if eager:
            oracle.verify()
        return oracle

    def verify(self) -> None:
        """Read every column and check the whole-table checksum of a loaded table."""
        for key in self._columns:
            self._materialise(key)
        expected = self._meta.get("checksum_sha256")
        if expected is not None and table_checksum(self._op_indices, self._columns, self.space) != expected:
            raise NashError(f"NAS-Bench-201 table {self.source} does not match its checksum; {fix_hint(self.source)}")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this table (meta gains format_version, space and checksums) through a temporary name."""
        return save_table(self, Path(path))

    # ---- architectures ----
    def __len__(self) -> int:
        return len(self._op_indices)

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._meta)

    @property
    def space(self) -> str:
        """`tss` (topology, NAS-Bench-201 cells) or `sss` (NATS-Bench size space)."""
        return self._space.name

    @property
    def op_indices(self) -> np.ndarray:
        """The architecture rows, read-only; row = official index. (n, 6) op indices for tss, (n, 5) channels
        for sss."""
        return self._op_indices

    def index_of(self, arch: ArchLike) -> int:
        """Official index of an official string, an index or an arch object of this table's space."""
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if not 0 <= arch < len(self):
                raise NashError(f"architecture index {arch} out of range; valid indexes: 0 to {len(self) - 1}")
            return int(arch)
        code = self._space.code_of(arch)
        if code is None:
            kind = self._space.arch_type.__name__
            raise NashError(
                f"cannot look up {arch!r} in a {self.space} table: "
                f"give an official string, an integer index or a {kind}"
            )
        index = int(self._index_of_code[code])
        if index < 0:
            total = self._space.num_archs
            raise NashError(f"architecture {arch} is not in this table ({len(self)} of {total} architectures)")
        return index

    def indices_of(self, archs: Sequence[ArchLike] | np.ndarray) -> np.ndarray:
        """Vectorised `index_of`; integers (an array, a range, a list) are only bounds-checked, at array speed."""
        archs = _as_index_array(archs)
        if isinstance(archs, np.ndarray) and archs.dtype.kind in "iu":
            if archs.size and (archs.min() < 0 or archs.max() >= len(self)):
                bad = archs[(archs < 0) | (archs >= len(self))].flat[0]
                raise NashError(f"architecture index {bad} out of range; valid indexes: 0 to {len(self) - 1}")
            return archs
        return np.fromiter((self.index_of(a) for a in archs), dtype=np.int64)

    def arch_of(self, index: int) -> Nb201Arch | NatsSizeArch:
        return self._space.arch_of_row(self._op_indices[self.index_of(index)])

    def arch_strings(self) -> list[str]:
        """Official strings for every row, in index order (built once, ~tens of ms)."""
        if self._strings is None:
            self._strings = tuple(self._space.arch_of_row(row).to_string() for row in self._op_indices.tolist())
        return list(self._strings)

    # ---- values ----
    def available(self) -> list[Key]:
        """Every (metric, dataset, split, epochs, seed) this table holds, grouped by dataset."""
        return sorted(self._columns, key=_display_order)

    def column(
        self,
        *,
        dataset: str,
        split: str | None = None,
        epochs: int | None = None,
        seed: int | str = "mean",
        metric: str = "accuracy",
    ) -> np.ndarray:
        """The read-only column for all rows; raises NashError naming what is available.

        `epochs` defaults to the space's full budget (200 for tss, 90 for sss); `split` to `test`, or
        `model` for params/flops/latency. NaN marks a cell the source did not run.
        """
        if epochs is None:
            epochs = EPOCHS_BY_SPACE[self.space][0]
        if split is None:
            split = default_split(metric)
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
        split: str | None = None,
        epochs: int | None = None,
        seed: int | str = "mean",
        metric: str = "accuracy",
    ) -> float:
        """One value, e.g. `query(arch, dataset="cifar10", split="test")` -> 94.37 for the best cell."""
        epochs = EPOCHS_BY_SPACE[self.space][0] if epochs is None else epochs
        split = default_split(metric) if split is None else split
        column = self.column(dataset=dataset, split=split, epochs=epochs, seed=seed, metric=metric)
        value = float(column[self.index_of(arch)])
        if value != value:  # NaN: the source has no result for this cell; say so rather than return NaN
            raise NashError(
                f"{metric} on {dataset} {split}, {epochs} epochs, seed {seed}: the source of this table "
                f"({self.meta.get('source', {}).get('file', self.source)}) has no result for architecture {arch}"
            )
        return value

    def query_many(
        self,
        archs: Sequence[ArchLike] | np.ndarray,
        *,
        dataset: str,
        split: str | None = None,
        epochs: int | None = None,
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
        elif epochs not in EPOCHS_BY_SPACE[self.space]:
            text += f"; a {self.space} table has epochs {', '.join(map(str, EPOCHS_BY_SPACE[self.space]))}"
        elif seed.isdigit() and not any(k[4].isdigit() for k in self._columns):
            text += "; per-seed results are not in this table: use seed mean (or single for one unnamed seed)"
        elif dataset in ("cifar100", "ImageNet16-120") and split == "valid" and epochs == 200:
            text += "; the sources of this table did not extract 200-epoch x-valid for this dataset: use epochs 12"
        have = [f"{m} {s} {e}ep seed {sd}" for m, d, s, e, sd in self.available() if d == dataset]
        return text + (f"; available for {dataset}: {', '.join(have)}" if have else f"; it has nothing for {dataset}")


def _as_index_array(archs: Sequence[ArchLike] | np.ndarray) -> Sequence[ArchLike] | np.ndarray:
    """A range or a list of plain integers as an int64 array (one C loop, not one lookup per cell); else as given."""
    if isinstance(archs, range):
        return np.arange(archs.start, archs.stop, archs.step, dtype=np.int64)
    if isinstance(archs, list | tuple) and archs and all(type(a) is int for a in archs):  # bool is not an index
        return np.array(archs, dtype=np.int64)
    return archs


def _display_order(key: Key) -> tuple[int, int, int, int, int, str]:
    metric, dataset, split, epochs, seed = key
    policy = SEED_POLICIES.index(seed) if seed in SEED_POLICIES else len(SEED_POLICIES)
    split_order = ("test", "valid", "train", "valtest", "model").index(split)  # the headline numbers first
    return DATASETS.index(dataset), METRICS.index(metric), -epochs, split_order, policy, seed.zfill(12)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> Nb201Oracle:
    return Nb201Oracle.load(path or None)


def default_oracle() -> Nb201Oracle:
    """The table named by $NASH_ORACLE, else the embedded one; loaded once per path and shared."""
    return _load_cached(os.environ.get(ORACLE_ENV_VAR, ""))


def oracle_from(path: str | os.PathLike[str] | None) -> Nb201Oracle:
    """The oracle a command should use: `--oracle PATH` if given, else `default_oracle()` ($NASH_ORACLE)."""
    return Nb201Oracle.load(path) if path else default_oracle()
