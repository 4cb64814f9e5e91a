"""Train a genotype's evaluation network from scratch by its benchmark's protocol, one row per epoch.

`evaluate_genotype` is the one entry point (the CLI's `nash evaluate` and, after a search,
`nash search --evaluate` call it). Everything that can be checked is checked before the run folder
is written: benchmark backend, profile, genotype ops against the space, protocol values, dataset.
A checkpoint is written after every epoch; `resume=True` continues from it exactly.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from benchmarks.batches.images import require_classes
from benchmarks.darts.complexity import count_macs, count_params
from benchmarks.darts.eval_network import EvalNetwork, build_eval_network
from benchmarks.darts.genotype import Genotype, parse_genotype
from benchmarks.errors import NashError, error_reason
from benchmarks.kernels.compiled import compile_modules, compile_seconds
from benchmarks.registry.catalog import get_benchmark, get_profile
from harness.config.checks import check_seed
from harness.config.run_config import resolve_data_source
from harness.evaluate.data import eval_batches, load_eval_sets
from harness.evaluate.protocol import EvalProtocol, check_genotype_ops, eval_run_id
from harness.run.divergence import DivergenceWatch
from harness.system.checkpoint import CHECKPOINT_FILE, load_checkpoint, rng_states, save_checkpoint, set_rng_states
from harness.system.environment import (
    PeakMemory,
    device_name,
    git_commit,
    resolve_device,
    seed_everything,
    versions,
)
from harness.system.interrupt import raise_if_stop_requested
from harness.system.run_lock import run_lock
from harness.system.store import EPOCHS_FILE, RUN_FILE, prepare_run_dir, read_json, write_epochs, write_json

CHECKPOINT_FORMAT = 2  # 2: the NumPy RNG state as a tensor (harness.system.checkpoint); 1 is still read
_CHECKPOINT_FIELDS = {
    "format": int, "epoch": int, "genotype": str, "protocol": dict, "seed": int, "model": dict, "optimizer": dict,
    "train_batches": dict, "rng": dict, "rows": list,
}  # fmt: skip


@dataclass
class EvalResult:
    run_dir: Path
    rows: list[dict[str, Any]]
    facts: dict[str, Any]
    network: EvalNetwork


def evaluate_genotype(
    benchmark: str,
    genotype: Genotype | str,
    profile: str = "quick",
    seed: int = 0,
    out: str | Path = "runs",
    *,
    data: str | None = None,
    data_root: str | None = None,
    device: str = "auto",
    epochs: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    protocol_overrides: dict[str, Any] | None = None,
    on_epoch_end: Callable[[int, dict[str, Any]], None] | None = None,
    compile: bool = False,
) -> EvalResult:
    """Train `genotype` on `benchmark`'s data with the profile's evaluation protocol; write the run's files.

    `protocol_overrides` replaces evaluation settings (e.g. a tiny network in tests); `on_epoch_end(epoch,
    row)` is called after each epoch's checkpoint is written; `compile`: the network's blocks run compiled
    (`benchmarks.kernels.compiled`), each row then records its `compile_seconds`.
    """
    bench = get_benchmark(benchmark)
    prof = get_profile(bench, profile)
    if bench.backend != "train":
        raise NashError(f"{benchmark} is judged by a tabular oracle, not by training; use `nash query` for its cells")
    if isinstance(genotype, str):
        genotype = parse_genotype(genotype)
    check_genotype_ops(bench, genotype)
    check_seed(seed)
    overrides = {**(protocol_overrides or {}), **({} if epochs is None else {"epochs": epochs})}
    protocol = EvalProtocol.from_profile(prof.evaluation, **overrides)
    torch_device = resolve_device(device)
    memory = PeakMemory(torch_device)  # before the data and the network: they are the run's own memory
    source = resolve_data_source(bench.dataset, data, data_root, needs_full=prof.data["source"] != "embedded")
    train_set, test_set = load_eval_sets(
        bench.dataset, source, protocol.train_per_class, protocol.test_per_class, protocol.resolution
    )
    for images, split in ((train_set, "train"), (test_set, "test")):
        require_classes(images.labels, bench.num_classes, f"the {split} images of {bench.dataset} at {source}")
    run_id = eval_run_id(benchmark, profile, seed, genotype)
    with run_lock(Path(out) / run_id):  # one process per run: a second one is refused
        return _evaluate_locked(
            bench, profile, genotype, protocol, seed, torch_device, source, train_set, test_set, Path(out), run_id,
            resume, overwrite, progress, on_epoch_end, memory, compile,
        )  # fmt: skip


def _evaluate_locked(
    bench, profile, genotype, protocol, seed, torch_device, source, train_set, test_set, out, run_id,
    resume, overwrite, progress, on_epoch_end, memory, compile,
) -> EvalResult:  # fmt: skip
    benchmark = bench.name
    run_dir = _prepare_dir(Path(out), run_id, resume, overwrite)
    resume = resume and not overwrite

    facts: dict[str, Any] = {
        "run_id": run_id,
        "kind": "evaluation",
        "status": "running",
        "benchmark": benchmark,
        "profile": profile,
        "seed": seed,
        "genotype": str(genotype),
        "protocol": protocol.to_dict(),
        "data": {"source": source, "train_images": len(train_set), "test_images": len(test_set)},
        "device": device_name(torch_device),
        "base_mem_mb": memory.base_mb,
        "versions": versions(),
        "git_commit": git_commit(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(run_dir / RUN_FILE, facts)
    try:
        rows, network = _train(
            bench, genotype, protocol, seed, torch_device, train_set, test_set, run_dir, facts, resume, progress,
            on_epoch_end, memory, compile,
        )  # fmt: skip
    except BaseException as err:
        facts.update(status="failed" if isinstance(err, Exception) else "interrupted", error=f"{err}")
        write_json(run_dir / RUN_FILE, facts)
        raise
    final = rows[-1]
    facts.update(
        status="done",
        epochs_completed=len(rows),
        final={
            "test_error": final["test_error"],
            "test_acc": final["test_acc"],
            "test_loss": final["test_loss"],
            "train_acc": final["train_acc"],
            "seconds": sum(r["epoch_seconds"] for r in rows),
            "peak_mem_mb": max(r["peak_mem_mb"] for r in rows),
            **facts["network"],
        },
    )
    write_json(run_dir / RUN_FILE, facts)
    return EvalResult(run_dir, rows, facts, network)


def _prepare_dir(out: Path, run_id: str, resume: bool, overwrite: bool) -> Path:
    run_dir = out / run_id
    checkpoint = run_dir / CHECKPOINT_FILE
    finished = not overwrite and (run_dir / RUN_FILE).exists() and read_json(run_dir / RUN_FILE).get("status") == "done"
    if finished:
        raise NashError(f"{run_dir} already holds a finished evaluation; pass --overwrite to train it again")
    if resume and not overwrite:
        if not checkpoint.exists():
            raise NashError(f"no checkpoint at {checkpoint} to resume; run without --resume to start the evaluation")
        return run_dir
    if checkpoint.exists() and not overwrite:
        raise NashError(
            f"{run_dir} holds an evaluation checkpoint; pass --resume to continue it or --overwrite to start over"
        )
    run_dir = prepare_run_dir(out, run_id, overwrite)
    checkpoint.unlink(missing_ok=True)
    return run_dir


def _train(bench, genotype, protocol, seed, device, train_set, test_set, run_dir, facts, resume, progress, hook,
           memory, compile):  # fmt: skip
    seed_everything(seed)
    evaluation = protocol.to_dict()
    network = build_eval_network(genotype, evaluation, bench.num_classes)
    image_shape = (train_set.image_shape[2], train_set.image_shape[0], train_set.image_shape[1])
    facts["network"] = {
        "params": count_params(network),
        "params_with_aux": count_params(network, with_aux=True),
        "flops": count_macs(network, image_shape),
    }
    network = network.to(device)
    if compile:
        compile_modules(compiled_blocks(network))
    optimizer = torch.optim.SGD(
        network.parameters(), lr=protocol.lr, momentum=protocol.momentum, weight_decay=protocol.weight_decay
    )
    train_batches = eval_batches(
        train_set, bench.dataset, protocol.batch_size, device, seed, train=True, cutout_length=protocol.cutout
    )
    test_batches = eval_batches(test_set, bench.dataset, protocol.batch_size, device)
    rows: list[dict[str, Any]] = []
    start_epoch = 0
    if resume:
        start_epoch, rows = _restore(run_dir / CHECKPOINT_FILE, device, facts, network, optimizer, train_batches)
    criterion = nn.CrossEntropyLoss(label_smoothing=protocol.label_smoothing)
    for epoch in range(start_epoch, protocol.epochs):
        memory.start_epoch()
        started = time.perf_counter()
        compiled_before = compile_seconds() if compile else 0.0
        lr, drop_prob = protocol.lr_at(epoch), protocol.drop_path_at(epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        watch = DivergenceWatch(device)
        train_loss, train_acc = _train_epoch(network, optimizer, criterion, train_batches, protocol, drop_prob, watch)
        watch.check("the evaluation", epoch, "lower the protocol's learning rate and start again with --overwrite")
        test_loss, test_acc = _test(network, test_batches)
        row = {
            "run_id": facts["run_id"],
            "benchmark": bench.name,
            "profile": facts["profile"],
            "seed": seed,
            "genotype": facts["genotype"],
            "epoch": epoch,
            "lr": lr,
            "drop_path_prob": drop_prob,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "test_error": 100.0 - test_acc,
            "epoch_seconds": time.perf_counter() - started,
            "peak_mem_mb": memory.peak_mb(),
            "device": device.type,
        }
        if compile:
            row["compile_seconds"] = compile_seconds() - compiled_before  # part of epoch_seconds
        rows.append(row)
        write_epochs(run_dir / EPOCHS_FILE, rows)
        save_checkpoint(
            run_dir / CHECKPOINT_FILE,
            {
                "format": CHECKPOINT_FORMAT,
                "epoch": epoch + 1,
                "genotype": facts["genotype"],
                "protocol": facts["protocol"],
                "seed": seed,
                "model": network.state_dict(),
                "optimizer": optimizer.state_dict(),
                "train_batches": train_batches.state_dict(),
                "rng": rng_states(),
                "rows": rows,
            },
        )
        if progress:
            print(
                f"epoch {epoch + 1}/{protocol.epochs}: train acc {train_acc:.2f}%, test error {row['test_error']:.2f}%"
                f", lr {lr:.4g}, {row['epoch_seconds']:.1f} s",
                flush=True,
            )
        if hook is not None:
            hook(epoch, row)
    return rows, network


def compiled_blocks(network: EvalNetwork) -> list[nn.Module]:
    """What `compile` compiles: stems, every cell's preprocessing and ops, the auxiliary head (drop-path,
    whose probability changes every epoch, stays outside: a compiled float would recompile each epoch)."""
    stems = [network.stem0, network.stem1] if network.imagenet else [network.stem]
    cells = [m for cell in network.cells for m in (cell.preprocess0, cell.preprocess1, *cell.ops)]
    head = [] if network.auxiliary_head is None else [network.auxiliary_head]
    return [*stems, *cells, *head]


def _restore(path, device, facts, network, optimizer, train_batches) -> tuple[int, list[dict[str, Any]]]:
    state = load_checkpoint(path, device, _CHECKPOINT_FIELDS)
    if state["format"] not in (1, CHECKPOINT_FORMAT) or not 0 < state["epoch"] == len(state["rows"]):
        raise NashError(
            f"{path} is not a checkpoint this version of nash reads (format {state['format']}, epoch "
            f"{state['epoch']}); resume with the version that wrote it, or pass --overwrite"
        )
    for key in ("genotype", "protocol", "seed"):
        if state.get(key) != facts[key]:
            raise NashError(
                f"checkpoint {path} was written for another {key} ({state.get(key)!r}); "
                "resume with the same settings, or pass --overwrite to start over"
            )
    try:
        network.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        train_batches.load_state_dict(state["train_batches"])
        set_rng_states(state["rng"])
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as err:
        raise NashError(
            f"checkpoint {path} does not fit this evaluation ({error_reason(err)[:160]}); "
            "pass --overwrite to start it over"
        ) from None
    facts["resumed_from_epoch"] = int(state["epoch"])
    return int(state["epoch"]), list(state["rows"])


def _train_epoch(network, optimizer, criterion, batches, protocol: EvalProtocol, drop_prob: float, watch):
    network.train()
    loss_sum = torch.zeros((), dtype=torch.float64, device=batches.device)
    correct = torch.zeros((), dtype=torch.int64, device=batches.device)
    count = 0
    for x, y in batches.epoch():
        optimizer.zero_grad(set_to_none=True)
        logits, logits_aux = network(x, drop_prob)
        loss = criterion(logits, y)
        total = loss if logits_aux is None else loss + protocol.auxiliary_weight * criterion(logits_aux, y)
        total.backward()
        nn.utils.clip_grad_norm_(network.parameters(), protocol.grad_clip)
        optimizer.step()
        watch.observe(loss)
        loss_sum += loss.detach().double() * y.shape[0]
        correct += (logits.detach().argmax(1) == y).sum()
        count += int(y.shape[0])
        raise_if_stop_requested()
    return loss_sum.item() / count, 100.0 * correct.item() / count


@torch.no_grad()
def _test(network, batches) -> tuple[float, float]:
    """Plain cross-entropy (no smoothing) and accuracy of the main head in eval mode (no drop-path)."""
    network.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in batches.epoch():
        logits, _ = network(x)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        correct += int((logits.argmax(1) == y).sum())
        count += int(y.shape[0])
    return loss_sum / count, 100.0 * correct / count
