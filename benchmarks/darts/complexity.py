"""Parameter count and multiply-accumulates of a network, as the NAS literature reports them.

`params` excludes the auxiliary head (it is dropped after training); `params_with_aux` counts it.
FLOPs are multiply-accumulates (MACs) of the convolution and linear layers for one image in eval
mode (so without the auxiliary head), counted by forward hooks: a conv adds
output elements × (input channels / groups) × kernel area, a linear layer inputs × outputs.
BN, ReLU, pooling, additions and biases are not counted (DARTS/PC-DARTS counting).
"""

from __future__ import annotations

import torch
from torch import nn


def count_params(network: nn.Module, with_aux: bool = False) -> int:
    return sum(
        p.numel() for name, p in network.named_parameters() if with_aux or not name.startswith("auxiliary_head.")
    )


def count_macs(network: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """MACs of one forward pass of a single (C, H, W) image, in eval mode."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs, output) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, _inputs, output) -> None:
        nonlocal total
        total += output.numel() * module.in_features

    handles = []
    for module in network.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    was_training = network.training
    network.eval()
    try:
        param = next(network.parameters())
        with torch.no_grad():
            network(torch.zeros((1, *input_shape), dtype=param.dtype, device=param.device))
    finally:
        for handle in handles:
            handle.remove()
        network.train(was_training)
    return total
