"""The five NAS-Bench-201 candidate operations and the macro-network building blocks."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from benchmarks.kernels.box_pool import BoxAverage
from benchmarks.nb201.arch import OPS


class ReluConvBn(nn.Sequential):
    """ReLU → Conv(k, same padding, no bias) → BN: the `nor_conv_kxk` op of NAS-Bench-201."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, affine: bool) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class Zero(nn.Module):
    """The `none` op: contributes nothing (and no gradient) to its node."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.zeros_like(x)


def make_op(name: str, channels: int, affine: bool) -> nn.Module:
    """Build one candidate op that keeps the channel count and resolution of its input."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReluConvBn(channels, channels, 1, 1, affine)
    if name == "nor_conv_3x3":
        return ReluConvBn(channels, channels, 3, 1, affine)
    if name == "avg_pool_3x3":
        # count_include_pad=False: border pixels average only real neighbours, as in NB201.
        return BoxAverage(stride=1)
    raise ValueError(f"unknown NAS-Bench-201 op {name!r}; valid: {OPS}")


class ResidualReduction(nn.Module):
    """Stage transition: ReLU-Conv3x3/2 → ReLU-Conv3x3, plus AvgPool2x2 → Conv1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReluConvBn(c_in, c_out, 3, 2, affine=True)
        self.conv_b = ReluConvBn(c_out, c_out, 3, 1, affine=True)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)
