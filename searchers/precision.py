"""How the supernet's forward pass runs: numeric precision and memory format (the `perf` switches).

bf16 is autocast around the network's forward only. Everything the searcher computes from its
architecture parameters (softmax, Gumbel samples, topology weights) is built before the forward,
outside autocast, so it stays float32; the logits are cast back to float32 before the loss, so
losses and the gradients that reach α are float32 too (α is a float32 leaf: its .grad is float32).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from benchmarks.errors import NashError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}  # name -> autocast dtype (None: no autocast)


@dataclass(frozen=True)
class ForwardMode:
    precision: str = "fp32"
    channels_last: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise NashError(f"unknown precision {self.precision!r}; valid: {', '.join(PRECISIONS)}")


def check_precision_supported(precision: str, device: torch.device) -> None:
    """bf16 needs a GPU with bf16 kernels (Ampere or newer); CPU autocast always has them."""
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise NashError(f"{torch.cuda.get_device_name(device)} has no bf16 support; use perf.precision=fp32")


def run_forward(network: nn.Module, x: Tensor, mixer, mode: ForwardMode) -> Tensor:
    """The network's float32 logits for `x`, under the mode's autocast and memory format."""
    if mode.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)  # a no-op when the batch already is
    dtype = PRECISIONS[mode.precision]
    if dtype is None:
        return network(x, mixer)
    with torch.autocast(device_type=x.device.type, dtype=dtype):
        logits = network(x, mixer)
    return logits.float()


def to_memory_format(network: nn.Module, mode: ForwardMode) -> None:
    """Put the network's 4-d weights in channels-last layout when the mode asks for it."""
    if mode.channels_last:
        network.to(memory_format=torch.channels_last)
