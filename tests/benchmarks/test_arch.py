"""NAS-Bench-201 architecture strings, codes and op counts."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errors import NashError
from benchmarks.nb201.arch import EDGES, NUM_ARCHS, OPS, Nb201Arch, codes_from_op_indices

BEST_CIFAR10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"


def test_edges_follow_the_official_string_order() -> None:
    assert EDGES == ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
    assert NUM_ARCHS == 15625 == len(OPS) ** len(EDGES)


@pytest.mark.parametrize("text", [BEST_CIFAR10, ALL_SKIP])
def test_string_round_trip(text: str) -> None:
    arch = Nb201Arch.from_string(text)
    assert arch.to_string() == str(arch) == text
    assert Nb201Arch.from_string(f"  {text}\n") == arch  # surrounding whitespace is tolerated


def test_ops_are_read_in_edge_order() -> None:
    arch = Nb201Arch.from_string(BEST_CIFAR10)
    assert arch.ops == ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3")
    assert arch.op_indices == (3, 3, 3, 1, 3, 3)


def test_code_round_trip_and_string_round_trip_for_every_cell() -> None:
    archs = [Nb201Arch.from_code(code) for code in range(NUM_ARCHS)]
    assert [a.code for a in archs] == list(range(NUM_ARCHS))
    assert all(Nb201Arch.from_string(a.to_string()) == a for a in archs)
    assert len({a.to_string() for a in archs}) == NUM_ARCHS
    op_indices = np.array([a.op_indices for a in archs], dtype=np.uint8)
    np.testing.assert_array_equal(codes_from_op_indices(op_indices), np.arange(NUM_ARCHS))
    assert all(Nb201Arch.from_op_indices(row) == a for row, a in zip(op_indices[::97], archs[::97], strict=True))


@pytest.mark.parametrize("code", [-1, NUM_ARCHS])
def test_code_out_of_range(code: int) -> None:
    with pytest.raises(NashError, match="code must be in"):
        Nb201Arch.from_code(code)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BEST_CIFAR10.replace("skip_connect", "conv_5x5"), "unknown op 'conv_5x5'"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "expected 3 node blocks"),
        (BEST_CIFAR10 + "+|none~0|", "expected 3 node blocks"),
        ("", "expected 3 node blocks"),
        (BEST_CIFAR10.replace("skip_connect~0", "skip_connect~1"), "input 0 is written as ~1"),
        (BEST_CIFAR10.replace("|+|skip_connect~0|", "|+|"), "node 3 must have 3 inputs"),
        (BEST_CIFAR10.strip("|"), "must look like |op~0|"),
        (BEST_CIFAR10.replace("|+|", "+"), "must look like |op~0|"),
        (BEST_CIFAR10.replace("~0|+|nor", "|+|nor"), "must look like op~input"),
        (BEST_CIFAR10.replace("skip_connect~0", "skip connect~0"), "must look like op~input"),
    ],
)
def test_malformed_strings(text: str, needle: str) -> None:
    with pytest.raises(NashError) as info:
        Nb201Arch.from_string(text)
    message = str(info.value)
    assert needle in message
    assert "malformed NAS-Bench-201 architecture string" in message and "expected e.g." in message
    assert "\n" not in message


def test_constructor_validates_ops() -> None:
    with pytest.raises(NashError, match="has 6 edges, got 5"):
        Nb201Arch(("none",) * 5)
    with pytest.raises(NashError, match="unknown NAS-Bench-201 op 'sep_conv_3x3'"):
        Nb201Arch(("none",) * 5 + ("sep_conv_3x3",))


@pytest.mark.parametrize(
    ("text", "skips", "param_free"),
    [
        (BEST_CIFAR10, 1, 1),
        (ALL_SKIP, 6, 6),
        ("|none~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|", 1, 4),
    ],
)
def test_skip_and_parameter_free_counts(text: str, skips: int, param_free: int) -> None:
    arch = Nb201Arch.from_string(text)
    assert arch.skip_count == arch.count("skip_connect") == skips
    assert arch.param_free_count == param_free


def test_arch_is_hashable_and_frozen() -> None:
    a, b = Nb201Arch.from_string(ALL_SKIP), Nb201Arch(("skip_connect",) * 6)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.ops = ("none",) * 6  # type: ignore[misc]
