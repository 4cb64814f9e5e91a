"""The depthwise convolution with the rewritten backward against torch's own, values and second derivatives."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from benchmarks.kernels.depthwise_conv import depthwise_conv, is_depthwise

GEOMETRIES = [(k, d, s) for k in (3, 5) for d in (1, 2) for s in (1, 2)]
FORMATS = {"nchw": torch.contiguous_format, "channels-last": torch.channels_last}


def depthwise(kernel: int, dilation: int, stride: int, channels: int = 6) -> nn.Conv2d:
    padding = dilation * (kernel - 1) // 2
    conv = nn.Conv2d(channels, channels, kernel, stride, padding, dilation=dilation, groups=channels, bias=False)
    return conv.double()


@pytest.mark.parametrize("layout", list(FORMATS))
@pytest.mark.parametrize(("kernel", "dilation", "stride"), GEOMETRIES)
@pytest.mark.parametrize("size", [8, 7])
def test_gradients_and_hessian_products_equal_torchs(kernel, dilation, stride, layout, size):
    torch.manual_seed(0)
    conv = depthwise(kernel, dilation, stride)
    assert is_depthwise(conv)
    x = torch.randn(3, 6, size, size, dtype=torch.float64).contiguous(memory_format=FORMATS[layout])
    x.requires_grad_(True)
    mine, theirs = depthwise_conv(conv, x), conv(x)
    undilated_fast = (kernel, dilation) == (3, 1) or (stride, dilation) == (2, 1)  # torch's backward is fast there
    rewritten = not undilated_fast and (dilation == 1 or size % 2 == 0)  # dilated: even maps only
    assert (type(mine.grad_fn).__name__ == "_DepthwiseConvBackward") == rewritten  # the rewrite ran where it claims to
    torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-12)
    upstream = torch.randn_like(theirs)
    grads = torch.autograd.grad(mine, (x, conv.weight), upstream, create_graph=True)
    expected = torch.autograd.grad(theirs, (x, conv.weight), upstream, create_graph=True)
    for got, want in zip(grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    assert grads[0].is_contiguous(memory_format=FORMATS[layout])
    # A second derivative (as Hessian-vector products take them) through the rewritten backward.
    probe = [torch.randn_like(g) for g in grads]
    second = torch.autograd.grad(sum((g * p).sum() for g, p in zip(grads, probe, strict=True)), (x, conv.weight))
    second_expected = torch.autograd.grad(
        sum((g * p).sum() for g, p in zip(expected, probe, strict=True)), (x, conv.weight)
    )
    for got, want in zip(second, second_expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_other_convolutions_and_no_grad_use_torchs_forward_as_is():
    grouped = nn.Conv2d(4, 8, 3, padding=1, groups=4, bias=False)
    assert not is_depthwise(grouped) and not is_depthwise(nn.Conv2d(4, 4, 3, padding=1, groups=4))
    conv = depthwise(5, 2, 1).float()
    x = torch.randn(2, 6, 8, 8)
    with torch.no_grad():
        assert depthwise_conv(conv, x).grad_fn is None
