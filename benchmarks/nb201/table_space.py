"""What a table's rows are: the topology space (NAS-Bench-201 cells) or the NATS-Bench size space.

A table stores one small uint8 row per architecture (six op indices, or five channel counts),
row r being the architecture with official index r. This module turns rows, strings and arch
objects into dense codes so the oracle can map any of them to a row in O(1).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.errors import NashError
from benchmarks.nb201.arch import NUM_ARCHS, NUM_EDGES, OPS, Nb201Arch, codes_from_op_indices
from benchmarks.nb201.size_arch import CHANNELS, NUM_SIZE_ARCHS, NUM_STAGES, NatsSizeArch, codes_from_channels

# An official tss string is 91 characters, an sss one 14; 200 allows spacing while a pasted file or a
# 10,000-digit "index" is refused before it is parsed (and before the string cache below keeps it).
ARCH_TEXT_LIMIT = 200


def check_arch_text(text: str) -> str:
    """`text` stripped, refused with one line when it is too long to be an architecture string or index."""
    text = text.strip()
    if len(text) > ARCH_TEXT_LIMIT:
        raise NashError(f"architecture {text[:40]!r}... has {len(text):,} characters, over the limit of "
                        f"{ARCH_TEXT_LIMIT}; give an official string or an integer index")  # fmt: skip
    return text


@dataclass(frozen=True)
class TableSpace:
    name: str  # "tss" or "sss", as recorded in a table's meta
    title: str
    num_archs: int
    width: int  # values per row
    member: str  # archive member holding the rows
    arch_type: type

    def check_rows(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != self.width or not 0 < len(rows) <= self.num_archs:
            what = "op_indices" if self.name == "tss" else "channel rows"
            raise NashError(
                f"{what} must have shape (n, {self.width}) with 0 < n <= {self.num_archs}, got {rows.shape}"
            )
        if self.name == "tss" and (rows.min() < 0 or rows.max() >= len(OPS)):
            raise NashError(f"op_indices values must be op indices in [0, {len(OPS)})")
        if self.name == "sss" and not np.isin(rows, CHANNELS).all():
            raise NashError(f"channel rows must hold channel counts from {', '.join(map(str, CHANNELS))}")
        return rows.astype(np.uint8)

    def codes(self, rows: np.ndarray) -> np.ndarray:
        return codes_from_op_indices(rows) if self.name == "tss" else codes_from_channels(rows)

    def code_of(self, arch: Any) -> int | None:
        """Dense code of an official string or an arch object of this space; None if it is neither."""
        if isinstance(arch, str):
            return _code_of_string(self.name, check_arch_text(arch))
        if isinstance(arch, self.arch_type):
            return arch.code
        return None

    def arch_of_row(self, row: np.ndarray) -> Nb201Arch | NatsSizeArch:
        if self.name == "tss":
            return Nb201Arch.from_op_indices(row)
        return NatsSizeArch.from_row(row)

    def row_of_string(self, text: str) -> tuple[int, ...]:
        if self.name == "tss":
            return Nb201Arch.from_string(text).op_indices
        return NatsSizeArch.from_string(text).channels


TOPOLOGY = TableSpace("tss", "NAS-Bench-201 / NATS-Bench topology", NUM_ARCHS, NUM_EDGES, "op_indices", Nb201Arch)
SIZE = TableSpace("sss", "NATS-Bench size", NUM_SIZE_ARCHS, NUM_STAGES, "channels", NatsSizeArch)
TABLE_SPACES = {space.name: space for space in (TOPOLOGY, SIZE)}


def table_space(name: str) -> TableSpace:
    if name not in TABLE_SPACES:
        raise NashError(f"unknown search space {name!r}; valid spaces: {', '.join(TABLE_SPACES)}")
    return TABLE_SPACES[name]


@functools.lru_cache(maxsize=32768)
def _code_of_string(space: str, text: str) -> int:
    # Parsing is the slow part of a string lookup; searches ask for the same few cells repeatedly.
    if space == "tss":
        return Nb201Arch.from_string(text).code
    return NatsSizeArch.from_string(text).code
