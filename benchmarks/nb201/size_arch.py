"""NATS-Bench size-space (`sss`) architectures: five channel counts, written `64:64:64:64:64`.

The size space fixes the cell to the best NAS-Bench-201 topology and searches the channel
count of each of the five network stages over {8, 16, ..., 64}: 8**5 = 32,768 candidates.
`code` is a dense id from the channels (first stage most significant); the official index
order is whatever the benchmark's meta file lists, and tables store that order explicitly.
Torch-free, like `benchmarks.nb201.arch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.errors import NashError

CHANNELS: tuple[int, ...] = (8, 16, 24, 32, 40, 48, 56, 64)
NUM_STAGES = 5
NUM_SIZE_ARCHS = len(CHANNELS) ** NUM_STAGES  # 32,768
_CHANNEL_INDEX = {c: k for k, c in enumerate(CHANNELS)}


@dataclass(frozen=True)
class NatsSizeArch:
    """One size-space network: the channel count of each of its five stages."""

    channels: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.channels) != NUM_STAGES or any(c not in _CHANNEL_INDEX for c in self.channels):
            raise NashError(
                f"a NATS-Bench size-space network has {NUM_STAGES} channel counts from "
                f"{', '.join(map(str, CHANNELS))}, got {self.channels}"
            )

    @classmethod
    def from_string(cls, text: str) -> NatsSizeArch:
        parts = text.strip().split(":")  # isdecimal, not isdigit: int() refuses '²', which isdigit takes
        if len(parts) != NUM_STAGES or not all(p.strip().isdecimal() for p in parts):
            raise NashError(
                f"malformed NATS-Bench size-space architecture {text!r}: expected {NUM_STAGES} channel counts "
                "separated by ':', e.g. '64:64:64:64:64'"
            )
        return cls(tuple(int(p) for p in parts))

    @classmethod
    def from_row(cls, row: np.ndarray | tuple[int, ...]) -> NatsSizeArch:
        return cls(tuple(int(c) for c in row))

    def to_string(self) -> str:
        return ":".join(map(str, self.channels))

    @property
    def row(self) -> tuple[int, ...]:
        """The channels as stored in a table row (uint8)."""
        return self.channels

    @property
    def code(self) -> int:
        return int(codes_from_channels(np.array([self.channels]))[0])

    def __str__(self) -> str:
        return self.to_string()


def codes_from_channels(channels: np.ndarray) -> np.ndarray:
    """Vectorised `NatsSizeArch.code` for an (n, 5) array of channel counts."""
    digits = np.asarray(channels, dtype=np.int64) // 8 - 1
    weights = len(CHANNELS) ** np.arange(NUM_STAGES - 1, -1, -1, dtype=np.int64)
    return digits @ weights
