"""NAS-Bench-201 architectures: the op set, the edge order and the official string.

An architecture is six op names, one per edge, in the order of the official string
`|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`: node 1 ← 0; node 2 ← 0, 1; node 3 ← 0, 1, 2.
Torch-free on purpose: the oracle and the reports use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from benchmarks.errors import NashError

# Candidate ops in the official NAS-Bench-201 order (the op index used everywhere here).
OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
PARAMETER_FREE_OPS = frozenset({"none", "skip_connect", "avg_pool_3x3"})
NUM_NODES = 4
# (source node, target node) for each edge, in official string order.
EDGES: tuple[tuple[int, int], ...] = tuple((i, j) for j in range(1, NUM_NODES) for i in range(j))
NUM_EDGES = len(EDGES)
NUM_ARCHS = len(OPS) ** NUM_EDGES  # 15,625
_OP_INDEX = {name: k for k, name in enumerate(OPS)}
_TOKEN = re.compile(r"^(?P<op>[A-Za-z0-9_]+)~(?P<src>\d+)$")
_EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


@dataclass(frozen=True)
class Nb201Arch:
    """One NAS-Bench-201 cell: an op name for each of the six edges (official edge order)."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.ops) != NUM_EDGES:
            raise NashError(f"a NAS-Bench-201 cell has {NUM_EDGES} edges, got {len(self.ops)} ops")
        for op in self.ops:
            if op not in _OP_INDEX:
                raise NashError(f"unknown NAS-Bench-201 op {op!r}; valid ops: {', '.join(OPS)}")

    @classmethod
    def from_string(cls, text: str) -> Nb201Arch:
        """Parse the official string, e.g. `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`."""
        text = text.strip()
        blocks = text.split("+")
        if len(blocks) != NUM_NODES - 1:
            raise _bad_string(text, f"expected {NUM_NODES - 1} node blocks separated by '+', got {len(blocks)}")
        ops: list[str] = []
        for node, block in enumerate(blocks, start=1):
            if not (block.startswith("|") and block.endswith("|")) or len(block) < 2:
                raise _bad_string(text, f"node block {block!r} must look like |op~0|...|")
            tokens = block[1:-1].split("|")
            if len(tokens) != node:
                raise _bad_string(text, f"node {node} must have {node} inputs, got {len(tokens)}")
            for expected_src, token in enumerate(tokens):
                match = _TOKEN.match(token)
                if match is None:
                    raise _bad_string(text, f"token {token!r} must look like op~input")
                if int(match["src"]) != expected_src:
                    raise _bad_string(text, f"node {node} input {expected_src} is written as ~{match['src']}")
                if match["op"] not in _OP_INDEX:
                    raise _bad_string(text, f"unknown op {match['op']!r} (valid: {', '.join(OPS)})")
                ops.append(match["op"])
        return cls(tuple(ops))

    @classmethod
    def from_code(cls, code: int) -> Nb201Arch:
        """Inverse of `code`: base-5 digits, edge 0 least significant."""
        if not 0 <= code < NUM_ARCHS:
            raise NashError(f"architecture code must be in [0, {NUM_ARCHS}), got {code}")
        digits = [(code // len(OPS) ** e) % len(OPS) for e in range(NUM_EDGES)]
        return cls(tuple(OPS[d] for d in digits))

    @classmethod
    def from_op_indices(cls, indices: Iterable[int]) -> Nb201Arch:
        return cls(tuple(OPS[int(k)] for k in indices))

    def to_string(self) -> str:
        blocks = []
        edge = 0
        for node in range(1, NUM_NODES):
            tokens = []
            for src in range(node):
                tokens.append(f"{self.ops[edge]}~{src}")
                edge += 1
            blocks.append("|" + "|".join(tokens) + "|")
        return "+".join(blocks)

    @property
    def op_indices(self) -> tuple[int, ...]:
        return tuple(_OP_INDEX[op] for op in self.ops)

    @property
    def code(self) -> int:
        """A dense id in [0, 15625) computed from the ops (not the official index)."""
        return int(sum(k * len(OPS) ** e for e, k in enumerate(self.op_indices)))

    def count(self, op: str) -> int:
        return sum(1 for o in self.ops if o == op)

    @property
    def skip_count(self) -> int:
        return self.count("skip_connect")

    @property
    def param_free_count(self) -> int:
        return sum(1 for o in self.ops if o in PARAMETER_FREE_OPS)

    def __str__(self) -> str:
        return self.to_string()


def codes_from_op_indices(op_indices: np.ndarray) -> np.ndarray:
    """Vectorised `Nb201Arch.code` for an (n, 6) array of op indices."""
    weights = len(OPS) ** np.arange(NUM_EDGES, dtype=np.int64)
    return np.asarray(op_indices, dtype=np.int64) @ weights


def _bad_string(text: str, why: str) -> NashError:
    return NashError(f"malformed NAS-Bench-201 architecture string {text!r}: {why}; expected e.g. '{_EXAMPLE}'")
