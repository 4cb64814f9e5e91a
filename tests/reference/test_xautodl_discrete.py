"""nash's NAS-Bench-201 discrete network against the benchmark authors' (`xautodl` 1.0.0 `infer.tiny`), float64.

The reference builds a `none` edge as a zero op that is summed in; nash leaves the edge out. Same
weights must give the same logits (train and eval mode), the same weight gradients and the same BN buffers.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from benchmarks.nb201.space import Nb201Space
from tests.reference.xautodl_nets import batch, copy_weights, discrete_reference, reference_weights

pytestmark = pytest.mark.usefixtures("float64")

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",  # NB201's best
    "|none~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|",  # `none` on three edges
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",  # all skip
]


@pytest.mark.parametrize("arch", ARCHS)
def test_same_weights_give_the_same_logits_gradients_and_buffers_as_the_reference(arch):
    torch.manual_seed(0)
    reference = discrete_reference(arch, channels=4, cells=2, classes=10)
    with torch.no_grad():  # BN affine parameters away from their 1 / 0 initialisation, so they matter
        for tensor in reference.parameters():
            if tensor.dim() == 1:
                tensor.normal_(0, 0.5)
    mine = Nb201Space().build_network(Nb201Space().parse(arch), channels=4, cells_per_stage=2, num_classes=10)
    copy_weights(reference, mine)

    x, y = batch(1)
    theirs, ours = reference(x)[1], mine(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    F.cross_entropy(theirs, y).backward()
    F.cross_entropy(ours, y).backward()
    for param, reference_param in zip(mine.parameters(), reference_weights(reference), strict=True):
        torch.testing.assert_close(param.grad, reference_param.grad, rtol=1e-10, atol=1e-13)
    for buffer, reference_buffer in zip(mine.buffers(), reference.buffers(), strict=True):
        torch.testing.assert_close(buffer, reference_buffer, rtol=1e-12, atol=1e-12)  # running statistics

    reference.eval()
    mine.eval()
    x, _ = batch(2)
    torch.testing.assert_close(mine(x), reference(x)[1], rtol=1e-12, atol=1e-12)
