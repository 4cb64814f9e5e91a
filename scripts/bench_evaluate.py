"""Per-epoch training time and peak memory of the evaluation network, quick and paper CIFAR settings.

Usage: python scripts/bench_evaluate.py [--settings quick,paper] [--warmup 1] [--steps 3]
           [--device cpu|cuda|all] [--threads N] [--genotype 'Genotype(...)'] [--json]

Each setting is the `evaluation` protocol of the s0-cifar10 profile of that name (quick: 6 cells,
C=8, batch 64, 1,000 train images; paper: 20 cells, C=36, batch 96, the 50,000 CIFAR-10 train
images), trained on the DARTS-V2 cell unless `--genotype` is given. A step is one full training
iteration as `nash evaluate` does it (forward with drop-path at the protocol's final probability,
main + auxiliary loss, backward, gradient clipping, SGD) on a random batch. The per-epoch figure
is **extrapolated**: median step time over `--steps` timed steps (after `--warmup` untimed ones) ×
steps per epoch; it leaves out the test pass and data augmentation.

Peak memory: on CUDA, `torch.cuda.max_memory_allocated` after a reset that follows the setup (so it
holds weights, optimiser state and the step's activations). On CPU every setting runs in a fresh
subprocess and the figure is its peak resident set (VmHWM, reset after setup) minus its resident
set after setup: the memory the steps needed.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import torch  # noqa: E402
from torch import nn  # noqa: E402

from benchmarks.darts.complexity import count_params  # noqa: E402
from benchmarks.darts.eval_network import build_eval_network  # noqa: E402
from benchmarks.darts.genotype import parse_genotype  # noqa: E402
from benchmarks.registry.catalog import get_benchmark, get_profile  # noqa: E402
from harness.evaluate.protocol import EvalProtocol  # noqa: E402
from scripts.bench_support import measure_in_subprocess, peak_memory_mb, start_peak_memory  # noqa: E402

BENCHMARK = "s0-cifar10"
CIFAR10_TRAIN_IMAGES = 50_000
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


def protocol_of(setting: str) -> EvalProtocol:
    return EvalProtocol.from_profile(get_profile(get_benchmark(BENCHMARK), setting).evaluation)


def train_images(protocol: EvalProtocol) -> int:
    return CIFAR10_TRAIN_IMAGES if protocol.train_per_class is None else 10 * protocol.train_per_class


def measure(setting: str, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """Build the setting's network, time warm-up + timed training steps, return its figures."""
    torch.manual_seed(0)
    protocol = protocol_of(setting)
    network = build_eval_network(parse_genotype(args.genotype), protocol.to_dict(), 10).to(device).train()
    optimizer = torch.optim.SGD(network.parameters(), lr=protocol.lr, momentum=protocol.momentum)
    criterion = nn.CrossEntropyLoss(label_smoothing=protocol.label_smoothing)
    x = torch.randn(protocol.batch_size, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (protocol.batch_size,), device=device)
    drop_prob = protocol.drop_path_at(protocol.epochs - 1)
    baseline = start_peak_memory(device)
    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        logits, logits_aux = network(x, drop_prob)
        loss = criterion(logits, y) + protocol.auxiliary_weight * criterion(logits_aux, y)
        loss.backward()
        nn.utils.clip_grad_norm_(network.parameters(), protocol.grad_clip)
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    peak_mb = peak_memory_mb(device, baseline)
    step = statistics.median(times)
    steps_per_epoch = math.ceil(train_images(protocol) / protocol.batch_size)
    return {
        "setting": setting,
        "device": device.type,
        "cells": protocol.layers,
        "channels": protocol.channels,
        "batch": protocol.batch_size,
        "params": count_params(network),
        "step_seconds_median": step,
        "step_seconds_all": times,
        "steps_per_epoch": steps_per_epoch,
        "epoch_seconds_extrapolated": step * steps_per_epoch,
        "protocol_hours_extrapolated": step * steps_per_epoch * protocol.epochs / 3600,
        "epochs": protocol.epochs,
        "peak_memory_mb": peak_mb,
    }


def format_table(results: list[dict[str, Any]]) -> str:
    header = (
        "| setting | device | cells | C | batch | params (M) | s/step (median) | steps/epoch "
        "| s/epoch (extrapolated) | protocol h (extrapolated) | peak memory MB |"
    )
    lines = [header, "|" + "---|" * 11]
    for r in results:
        lines.append(
            f"| {r['setting']} | {r['device']} | {r['cells']} | {r['channels']} | {r['batch']} "
            f"| {r['params'] / 1e6:.3f} | {r['step_seconds_median']:.3f} | {r['steps_per_epoch']} "
            f"| {r['epoch_seconds_extrapolated']:.0f} | {r['protocol_hours_extrapolated']:.2f} "
            f"| {r['peak_memory_mb']:.0f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default="quick,paper", help="comma-separated: quick, paper")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "all"))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--genotype", default=DARTS_V2, help="the cell to train (default: DARTS-V2)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps(measure(args.worker, args, torch.device("cpu"))))
        return 0
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        if args.device == "cuda":
            print("no CUDA GPU available; use --device cpu", file=sys.stderr)
            return 2
        devices.remove("cuda")
    results = []
    for device in devices:
        for setting in args.settings.split(","):
            if device == "cpu":
                results.append(measure_in_subprocess(__file__, argv, setting))
            else:
                results.append(measure(setting, args, torch.device(device)))
    print(format_table(results))
    print(
        "\ns/epoch = median step x steps per epoch (training steps only, extrapolated, not measured whole); "
        "memory: CUDA max allocated / CPU peak RSS increase over the post-setup RSS (fresh subprocess)"
    )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
