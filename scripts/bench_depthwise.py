"""Depthwise convolution forward + backward on CPU: torch's own against `benchmarks.kernels.depthwise_conv`.

Usage: python scripts/bench_depthwise.py [--repeats 10] [--threads 1] [--batch 64]

For each geometry of the DARTS-family ops (kernel 3/5, dilation 1/2, stride 1/2) at the S0 search
network's shapes (C=16 at 32x32, 32 at 16x16, 64 at 8x8; stride 2 reads twice the size), in
channels-last layout as `perf.channels_last` runs them (`--nchw`: the default layout), times one
forward + backward (input and weight gradients) of each, interleaved, and prints median milliseconds
and the ratio. Geometries the rewrite leaves to torch (undilated 3x3, undilated stride 2) run the
same code in both columns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402
from torch import nn  # noqa: E402

from benchmarks.kernels.depthwise_conv import depthwise_conv  # noqa: E402

SHAPES = ((16, 32), (32, 16), (64, 8))  # (channels, output size)
GEOMETRIES = [(k, d, s) for k in (3, 5) for d in (1, 2) for s in (1, 2)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--nchw", action="store_true", help="the default layout instead of channels-last")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    layout = torch.contiguous_format if args.nchw else torch.channels_last
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch}, "
          f"{'NCHW' if args.nchw else 'channels-last'}, "
          f"median of {args.repeats} interleaved forward+backward passes")  # fmt: skip
    print(f"{'C':>3} {'out':>4} {'k':>2} {'dil':>3} {'str':>3} {'torch ms':>9} {'nash ms':>8} {'ratio':>6}")
    for channels, size in SHAPES:
        for kernel, dilation, stride in GEOMETRIES:
            conv = nn.Conv2d(channels, channels, kernel, stride, dilation * (kernel - 1) // 2, dilation=dilation,
                             groups=channels, bias=False)  # fmt: skip
            x = torch.randn(args.batch, channels, size * stride, size * stride)
            x = x.contiguous(memory_format=layout).requires_grad_(True)
            grad = torch.randn(args.batch, channels, size, size).contiguous(memory_format=layout)
            cases = {"torch": conv, "nash": lambda x, conv=conv: depthwise_conv(conv, x)}
            times: dict[str, list[float]] = {name: [] for name in cases}
            for round_ in range(args.repeats + 1):
                for name, forward in cases.items():
                    started = time.perf_counter()
                    torch.autograd.grad(forward(x), (x, conv.weight), grad)
                    if round_:  # the first round warms up
                        times[name].append(1e3 * (time.perf_counter() - started))
            ours, theirs = statistics.median(times["nash"]), statistics.median(times["torch"])
            print(f"{channels:>3} {size:>4} {kernel:>2} {dilation:>3} {stride:>3} {theirs:>9.2f} {ours:>8.2f} "
                  f"{ours / theirs:>5.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
