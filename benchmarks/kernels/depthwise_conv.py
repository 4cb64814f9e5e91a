"""Depthwise convolution whose backward runs on the kernels that are fast on CPU.

oneDNN (torch 2.13, CPU) has fast depthwise kernels for every forward, but its backward is fast only for
undilated 3x3 kernels: at 64x32x32x32 -> 16x16, one thread, channels-last, a stride-2 dilated 3x3 took
35.6 ms forward + backward (its forward alone 0.3 ms), a stride-1 5x5 at 16x16 4.3 ms against 0.8 ms for
a 3x3. `python scripts/bench_depthwise.py` prints every geometry against this module (0.18-0.85x where
it applies). The DARTS-family ops are mostly such convolutions (sep_conv_5x5, dil_conv_3x3/5x5,
stride 2 in reduction cells), so the fused path computes their gradients from fast kernels instead:

- input gradient: a forward depthwise convolution of the output gradient with the flipped kernel, at
  the same dilation and padding (stride 2 with dilation 2: undilated, written to the even pixels, the
  only ones any tap reads);
- weight gradient: dilation 2 is undone by splitting the maps into their 2x2 pixel-parity phases
  (phases stacked as batch, or at stride 2 only the even phase is read), leaving an undilated
  stride-1 gradient; a 5x5 one is four overlapping 3x3 tiles of the padded input.

The values are those of `F.conv2d`'s own backward up to float summation order
(`tests/benchmarks/test_depthwise_conv.py`); the backward is built from differentiable ops, so
Hessian products through it work. Anything else (undilated 3x3, undilated stride 2, dilated odd-sized
maps, CUDA, autocast) runs `conv` as is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_FAST_KERNEL = 3  # the undilated kernel size whose oneDNN weight gradient is fast


def is_depthwise(conv: nn.Module) -> bool:
    return (
        isinstance(conv, nn.Conv2d)
        and conv.groups == conv.in_channels == conv.out_channels
        and conv.bias is None
        and conv.padding_mode == "zeros"
        and conv.kernel_size[0] == conv.kernel_size[1]
        and conv.stride[0] == conv.stride[1] in (1, 2)
        and conv.dilation[0] == conv.dilation[1] in (1, 2)
        and conv.padding[0] == conv.padding[1] == conv.dilation[0] * (conv.kernel_size[0] - 1) // 2
    )


def _handled(x: Tensor, kernel: int, stride: int, dilation: int) -> bool:
    """Shapes whose rewrite is exact and pays: even maps (the parity phases), kernels 3 and 5."""
    if kernel not in (3, 5) or (kernel, dilation) == (3, 1) or (stride, dilation) == (2, 1):
        return False  # undilated 3x3 or stride 2: torch's own backward is as fast
    return dilation == 1 or (x.shape[-1] % 2 == 0 and x.shape[-2] % 2 == 0)


def _layout(x: Tensor) -> torch.memory_format:
    return torch.channels_last if x.dim() == 4 and not x.is_contiguous() else torch.contiguous_format


def _input_grad(grad: Tensor, weight: Tensor, input_shape, stride: int, dilation: int, padding: int) -> Tensor:
    flipped = weight.flip(-1, -2)
    if stride == 1:
        return F.conv2d(grad, flipped, None, 1, padding, dilation, weight.shape[0])
    # stride 2, dilation 2: every tap reads an even input pixel, so only the even phase gets a gradient,
    # an undilated convolution on the output grid
    even = F.conv2d(grad, flipped, None, 1, padding // 2, 1, weight.shape[0])
    spread = grad.new_zeros(input_shape).contiguous(memory_format=_layout(grad))
    spread[:, :, ::2, ::2] = even
    return spread


def _valid_weight_grad(grad: Tensor, padded: Tensor, kernel: int) -> Tensor:
    """Weight gradient of an undilated stride-1 depthwise conv over an already padded input."""
    channels = grad.shape[1]
    if kernel == _FAST_KERNEL:
        shape = [channels, 1, kernel, kernel]
        return torch.ops.aten.convolution_backward(
            grad, padded, grad.new_empty(shape), None, [1, 1], [0, 0], [1, 1], False, [0, 0], channels,
            [False, True, False],
        )[1]  # fmt: skip
    height, width = grad.shape[-2:]
    rows = []
    for top in (0, kernel - _FAST_KERNEL):
        tiles = [
            _valid_weight_grad(grad, padded[:, :, top : top + height + 2, left : left + width + 2], _FAST_KERNEL)
            for left in (0, kernel - _FAST_KERNEL)
        ]
        rows.append(torch.cat([tiles[0][..., :2], tiles[1]], dim=-1))  # the 5x5 middle column comes from both
    return torch.cat([rows[0][..., :2, :], rows[1]], dim=-2)


def _weight_grad(grad: Tensor, x: Tensor, kernel: int, stride: int, dilation: int, padding: int) -> Tensor:
    padded = F.pad(x, (padding, padding, padding, padding))
    if dilation == 2 and stride == 2:  # taps and output pixels all sit on the even phase
        return _valid_weight_grad(grad, padded[:, :, ::2, ::2], kernel)
    if dilation == 2:  # each parity phase of the output reads the same phase of the input, undilated
        phases = [(r, c) for r in (0, 1) for c in (0, 1)]
        grads = torch.cat([grad[:, :, r::2, c::2] for r, c in phases])
        inputs = torch.cat([padded[:, :, r::2, c::2] for r, c in phases])
        return _valid_weight_grad(grads, inputs, kernel)
    return _valid_weight_grad(grad, padded, kernel)  # undilated stride 1 (the 5x5; `_handled`)


class _DepthwiseConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, stride: int, dilation: int, padding: int) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.geometry = stride, dilation, padding
        return F.conv2d(x, weight, None, stride, padding, dilation, weight.shape[0])

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        stride, dilation, padding = ctx.geometry
        grad = grad.contiguous(memory_format=_layout(x))
        grad_x = _input_grad(grad, weight, x.shape, stride, dilation, padding) if ctx.needs_input_grad[0] else None
        grad_w = None
        if ctx.needs_input_grad[1]:
            grad_w = _weight_grad(grad, x, weight.shape[-1], stride, dilation, padding).to(weight.dtype)
        return grad_x, grad_w, None, None, None


def depthwise_conv(conv: nn.Conv2d, x: Tensor) -> Tensor:
    """`conv(x)` for a depthwise conv (`is_depthwise`), with the fast backward where it applies."""
    kernel, stride, dilation = conv.kernel_size[0], conv.stride[0], conv.dilation[0]
    if (
        x.device.type != "cpu"  # measured on CPU only
        or not torch.is_grad_enabled()
        or torch.is_autocast_enabled(x.device.type)
        or x.dtype != conv.weight.dtype
        or not _handled(x, kernel, stride, dilation)
    ):
        return conv(x)
    return _DepthwiseConv.apply(x, conv.weight, stride, dilation, conv.padding[0])
