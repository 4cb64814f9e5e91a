"""The candidate operations of the DARTS-family spaces, plus the cell plumbing they need.

Every op maps C channels to C channels; stride 2 (reduction-cell edges from the cell inputs)
halves the resolution. `search=True` builds an op as the search network uses it: pooling
followed by a non-affine BN, so pooling outputs live on the same scale as the conv outputs
they are mixed with.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.kernels.box_pool import BoxAverage
from benchmarks.kernels.channel_concat import channel_concat

DARTS_OPS: tuple[str, ...] = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
NOISE = "noise"  # RobustDARTS S4: standard-normal output whatever the input
ALL_OPS: tuple[str, ...] = (*DARTS_OPS, NOISE)
PARAMETER_FREE_OPS = frozenset({"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", NOISE})


def _subsample(x: Tensor, stride: int) -> Tensor:
    return x if stride == 1 else x[:, :, ::stride, ::stride]


class Zero(nn.Module):
    """`none`: zeros shaped like the op's output (so the edge contributes nothing)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        return torch.zeros_like(_subsample(x, self.stride))


class Noise(nn.Module):
    """`noise` (S4): N(0, 1) samples shaped like the op's output; the input's values are never read."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        return torch.randn_like(_subsample(x, self.stride))


class PoolBn(nn.Sequential):
    """A search network's pooling op: the pool, then a non-affine BN (children `0`, `1` as a Sequential)."""


class ReluConvBn(nn.Sequential):
    """ReLU → Conv k×k → BN: the cell-input preprocessing (1×1) and the stems' building block."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU → depthwise k×k conv (dilation d) → pointwise 1×1 → BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, dilation: int, affine: bool) -> None:
        padding = dilation * (kernel - 1) // 2  # keeps the resolution at stride 1
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride, padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked undilated DilConv blocks; only the first one strides."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, affine: bool) -> None:
        super().__init__(
            DilConv(c_in, c_in, kernel, stride, 1, affine),
            DilConv(c_in, c_out, kernel, 1, 1, affine),
        )


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing every other pixel: two 1×1/2 convs, one shifted by a pixel."""

    def __init__(self, c_in: int, c_out: int, affine: bool) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even channel count, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_even = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_odd = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(x)
        # Pad right/bottom before shifting so both halves have the same size for odd inputs too.
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(channel_concat([self.conv_even(x), self.conv_odd(shifted)]))


def make_op(name: str, channels: int, stride: int, affine: bool, search: bool = False) -> nn.Module:
    """One candidate op on a cell edge (C → C channels, resolution / stride)."""
    if stride not in (1, 2):
        raise ValueError(f"edge stride must be 1 or 2, got {stride}")
    if name == "none":
        return Zero(stride)
    if name == NOISE:
        return Noise(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels, affine)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        pool = nn.MaxPool2d(3, stride=stride, padding=1) if name == "max_pool_3x3" else BoxAverage(stride)
        return PoolBn(pool, nn.BatchNorm2d(channels, affine=False)) if search else pool
    kind, _, size = name.rpartition("_")
    kernel = {"3x3": 3, "5x5": 5}.get(size)
    if kind == "sep_conv" and kernel:
        return SepConv(channels, channels, kernel, stride, affine)
    if kind == "dil_conv" and kernel:
        return DilConv(channels, channels, kernel, stride, 2, affine)
    raise ValueError(f"unknown DARTS op {name!r}; valid: {', '.join(ALL_OPS)}")
