"""Concatenation along channels whose backward keeps each part's gradient in channels-last layout.

A channel slice of a channels-last (NHWC) tensor is strided, so `torch.cat`'s backward hands every
part a strided gradient, and the ops behind it take slow paths: on CPU a BatchNorm backward with such a
gradient ran 15-20 ms instead of about 1 ms at 64x16x32x32 (torch 2.13, one thread), 4 of the 19 s of an
S0 DARTS search step under `perf.channels_last`. Here each channels-last part's gradient is copied dense
first; the values are the same (a copy), and the backward is itself differentiable (Hessian products).
Parts in the default layout are concatenated by `torch.cat` as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def _channels_last(x: Tensor) -> bool:
    return x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)


class _ChannelConcat(torch.autograd.Function):
    @staticmethod
    def forward(ctx, *parts: Tensor) -> Tensor:
        ctx.sizes = [p.shape[1] for p in parts]
        ctx.dense = [_channels_last(p) for p in parts]
        return torch.cat(parts, dim=1)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, ...]:
        pieces = grad.split(ctx.sizes, dim=1)
        return tuple(
            g.contiguous(memory_format=torch.channels_last) if dense else g
            for g, dense in zip(pieces, ctx.dense, strict=True)
        )


def channel_concat(parts: Sequence[Tensor]) -> Tensor:
    """`torch.cat(parts, dim=1)`; channels-last parts get dense channels-last gradients."""
    if any(_channels_last(p) for p in parts) and torch.is_grad_enabled():
        return _ChannelConcat.apply(*parts)
    return torch.cat(list(parts), dim=1)
