"""The epoch loop: drive a searcher over a benchmark's supernet, one row per epoch."""

from __future__ import annotations

import json
import math
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.errors import NashError, error_reason
from benchmarks.kernels.compiled import compile_seconds
from benchmarks.nb201.oracle import Nb201Oracle, default_oracle
from benchmarks.safe_files import remove_file
from harness.config.checks import check_config
from harness.config.objects import RunObjects
from harness.config.run_config import RunConfig, check_published_setting, with_explicit_arch_sampling
from harness.instruments.search_instruments import SearchInstruments, check_analysis
from harness.run.checkpoint import (
    config_identity,
    has_checkpoint,
    load_search_checkpoint,
    remove_checkpoints,
    save_search_checkpoint,
)
from harness.run.data import load_search_batches
from harness.run.divergence import DivergenceWatch, diverged_error
from harness.run.epoch_states import EpochStates, remove_epoch_states
from harness.run.loggers import EpochLoggers, check_loggers
from harness.run.progress import SearchProgress
from harness.system.environment import (
    PeakMemory,
    determinism,
    device_name,
    git_commit,
    resolve_device,
    seed_everything,
    versions,
)
from harness.system.interrupt import raise_if_stop_requested
from harness.system.run_lock import run_lock
from harness.system.store import (
    ARCH_WEIGHTS_COLUMN,
    EPOCHS_FILE,
    RUN_FILE,
    ensure_writable,
    prepare_run_dir,
    read_json,
    read_parquet_file,
    write_epochs,
    write_json,
)
from searchers.base import EpochEnd, StepStats
from searchers.precision import ForwardMode, check_precision_supported
from searchers.registry import PLUGIN_ORIGINS


@dataclass
class RunResult:
    run_dir: Path
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    already_done: bool = False  # resume=True found the run finished and ran nothing


def run_search(
    config: RunConfig,
    out: Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    oracle: Nb201Oracle | None = None,
    resume: bool = False,
    objects: RunObjects | None = None,
) -> RunResult:
    """Run one search; on any failure run.json says `failed` with the error, and it re-raises.

    `resume=True` continues from the run's last good checkpoint, starts fresh when there is none,
    and returns the stored result without running anything when the run is already done.
    `objects`: the config's names as the caller resolved them (else they are resolved here, once).
    """
    check_config(config)  # every value in range, the device available: refused before anything is written
    resolve_device(config.device)
    objects = RunObjects.for_config(config, objects)
    config = with_explicit_arch_sampling(config, objects.benchmark.space)  # a config built by hand may leave it unset
    searcher_cls = objects.searcher
    check_published_setting(config, objects)
    searcher_cls.check_run(
        searcher_cls.options_type(**config.searcher_options),
        epochs=config.train.epochs,
        channels=config.network.channels,
    )
    check_analysis(config, objects.benchmark)
    check_loggers(config.log)
    with run_lock(Path(out) / config.run_id):  # one process per run: a second one is refused
        return _run_search_locked(config, Path(out), objects, overwrite, progress, oracle, resume)


def _run_search_locked(config, out: Path, objects: RunObjects, overwrite, progress, oracle, resume) -> RunResult:
    benchmark = objects.benchmark
    run_dir = Path(out) / config.run_id
    previous = _previous_facts(run_dir, config, overwrite, resume)
    if previous is not None and previous.get("status") == "done":
        if not (run_dir / EPOCHS_FILE).exists():
            raise NashError(f"{run_dir} is marked done but has no {EPOCHS_FILE}; pass --overwrite to run it again")
        return RunResult(run_dir, _done_rows(run_dir), previous, True)
    if resume and not overwrite:
        ensure_writable(run_dir, Path(out))
    else:
        run_dir = prepare_run_dir(Path(out), config.run_id, overwrite)
        remove_checkpoints(run_dir)
        remove_epoch_states(run_dir)
    facts: dict[str, Any] = {
        "run_id": config.run_id,
        "status": "running",
        "config": config.to_dict(),
        "deterministic": config.deterministic,
        "versions": versions(),
        "git_commit": git_commit(),
        **({"searcher_plugin": PLUGIN_ORIGINS[config.searcher]} if config.searcher in PLUGIN_ORIGINS else {}),
        "host": socket.gethostname(),
        "started": (resume and (previous or {}).get("started")) or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # The oracle column summaries show for this benchmark, and what it means.
        "headline": {
            "column": benchmark.headline.column,
            "label": f"{benchmark.headline.dataset} {benchmark.headline.split} acc "
            f"({benchmark.headline.epochs}ep, seed mean)",
        }
        if benchmark.headline
        else None,
    }
    write_json(run_dir / RUN_FILE, facts)
    clock = _SearchClock()
    try:
        if benchmark.oracle_metrics:  # benchmarks judged by training (backend "train") need no table
            oracle = oracle or default_oracle()
            if oracle.space != "tss":
                raise NashError(
                    f"{config.benchmark} is judged in the NAS-Bench-201 topology space, but the oracle "
                    f"{oracle.source} is a {oracle.space} table; pass a tss table with --oracle or NASH_ORACLE"
                )
            facts["oracle"] = {"source": str(oracle.source), "checksum_sha256": oracle.meta.get("checksum_sha256")}
        device = resolve_device(config.device)
        with determinism(config.deterministic, device):
            rows = _search(config, objects, run_dir, progress, oracle, facts, device, resume and not overwrite, clock)
    except BaseException as err:
        facts.update(status="failed" if isinstance(err, Exception) else "interrupted", error=f"{err}")
        facts["search_seconds"] = clock.seconds()
        try:  # best effort: the disk may be what failed, and the original error is the one to report
            write_json(run_dir / RUN_FILE, facts)
        except (OSError, NashError):
            pass
        raise
    facts.update(
        status="done",
        search_seconds=clock.seconds(),
        search_peak_mem_mb=max(row["peak_mem_mb"] for row in rows),
        epochs_completed=len(rows),
        final={k: v for k, v in rows[-1].items() if k == "genotype" or k.startswith(("oracle_", "skip", "param"))},
    )
    write_json(run_dir / RUN_FILE, facts)
    remove_checkpoints(run_dir)  # a done run is never resumed; see harness.run.checkpoint
    remove_epoch_states(run_dir)
    return RunResult(run_dir, rows, facts)


def record_evaluation(result: RunResult, evaluation: dict[str, Any]) -> None:
    """Store a finished evaluation's cost and result in the search's run.json, apart from the search cost."""
    result.summary["evaluation"] = evaluation
    write_json(result.run_dir / RUN_FILE, result.summary)


def _previous_facts(run_dir: Path, config: RunConfig, overwrite: bool, resume: bool) -> dict[str, Any] | None:
    """The run.json already in `run_dir` (None if none or overwriting); refuses what would lose work."""
    run_file = run_dir / RUN_FILE
    if overwrite or not run_file.exists():
        return None
    facts = read_json(run_file)
    if facts.get("status") == "done":
        if not resume:
            raise NashError(f"{run_dir} already holds a finished run; pass --overwrite or choose another --out")
        if not _same_config(facts.get("config"), config):
            raise NashError(f"{run_dir} holds a finished run of another config; pass --overwrite to replace it")
    elif not resume and has_checkpoint(run_dir):
        raise NashError(
            f"{run_dir} holds the checkpoint of an unfinished search; pass --resume to continue it "
            "or --overwrite to start over"
        )
    return facts


def _same_config(saved: Any, config: RunConfig) -> bool:
    """Whether a run.json's `config` is this run's (a hand-edited one of another shape is not)."""
    try:
        return isinstance(saved, dict) and config_identity(saved) == config_identity(config)
    except (AttributeError, TypeError):
        return False


def _done_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The rows of a finished run, or a one-line NashError when its epochs.parquet cannot be read."""
    try:
        return read_parquet_file(run_dir / EPOCHS_FILE).to_dict("records")
    except Exception as err:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        raise NashError(
            f"{run_dir} is marked done but its {EPOCHS_FILE} is unreadable ({error_reason(err)[:120]}); its run.json "
            "still holds the final result: copy it elsewhere, then pass --overwrite to run the search again"
        ) from None


class _SearchClock:
    """Wall seconds of the search across attempts: those saved in the checkpoint plus this attempt's."""

    def __init__(self) -> None:
        self.before = 0.0
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return self.before + time.perf_counter() - self.started


def _search(config, objects: RunObjects, run_dir: Path, progress: bool, oracle, facts, device, resume, clock):
    facts["device"] = device_name(device)
    memory = PeakMemory(device)  # before the data and the supernet: they are the run's own memory
    facts["base_mem_mb"] = memory.base_mb
    check_precision_supported(config.perf.precision, device)  # before the data loads
    seed_everything(config.seed)
    batches = load_search_batches(config, device, objects)
    benchmark, space, searcher_cls = objects.benchmark, objects.space, objects.searcher
    options = searcher_cls.options_type(**config.searcher_options)
    network = searcher_cls.build_supernet(
        space,
        num_classes=benchmark.num_classes,
        options=options,
        **{name: getattr(config.network, name) for name in space.network_fields},
    ).to(device)
    searcher = searcher_cls(space, network, config.train, options)
    searcher.configure_forward(ForwardMode(config.perf.precision, config.perf.channels_last))
    network.fused_edges, network.compile_steps = config.perf.fused_edges, config.perf.compile
    total = config.train.epochs
    rows: list[dict[str, Any]] = []
    state = load_search_checkpoint(run_dir, config, device) if resume else None
    if state is not None:
        state.restore(searcher, batches)
        rows, clock.before = state.rows, state.search_seconds
        facts["resumed_from_epoch"] = state.epoch
        write_epochs(run_dir / EPOCHS_FILE, rows)  # the file may hold an epoch the checkpoint does not
        write_json(run_dir / RUN_FILE, facts)
    elif resume:
        remove_file(run_dir / EPOCHS_FILE)  # rows of an attempt no checkpoint covers
        remove_epoch_states(run_dir)
    # After the restore: a resumed run keeps ranking.parquet's rows of the epochs it has.
    instruments = SearchInstruments(
        config.analysis, benchmark, searcher, batches, oracle, run_dir, start_epoch=len(rows)
    )
    loggers = EpochLoggers(config, run_dir)  # TensorBoard / W&B when config.log asks for them
    progress_out = SearchProgress(
        progress, f"{config.searcher} on {config.benchmark}", total, batches.steps_per_epoch, len(rows)
    )
    headline = (
        (benchmark.headline.column, f"{benchmark.headline.dataset} {benchmark.headline.split}")
        if benchmark.headline
        else None
    )
    compiled_before = compile_seconds() if config.perf.compile else 0.0
    states = EpochStates(run_dir, device)  # kept for a searcher that may roll back (Searcher.keeps_state)
    epoch = len(rows)
    while epoch < total:
        memory.start_epoch()
        epoch_start = time.perf_counter()
        searcher.new_epoch(epoch, total)
        network.train()
        sums, watch = _EpochSums(device), DivergenceWatch(device)
        for step, (train_batch, val_batch) in enumerate(batches.epoch()):
            sums.add(_watched_step(searcher, train_batch, val_batch, watch, epoch, step, batches.steps_per_epoch))
            progress_out.step()
            raise_if_stop_requested()
        watch.check("the search", epoch, _DIVERGED_ADVICE)  # before the epoch is recorded or checkpointed
        row = _epoch_row(config, epoch, searcher, sums, oracle, benchmark)
        row["epoch_seconds"] = time.perf_counter() - epoch_start
        row["peak_mem_mb"] = memory.peak_mb()
        row["device"] = device.type
        row["precision"], row["channels_last"] = config.perf.precision, config.perf.channels_last
        if config.perf.compile:
            row["compile_seconds"] = compile_seconds() - compiled_before  # part of epoch_seconds
            compiled_before += row["compile_seconds"]
        row.update(instruments.measure(epoch, total))  # after the timings: they are the search's own cost
        rows.append(row)
        # Epoch-level control (early stop, roll-back): the searcher may drop the epochs after one it names.
        decision = searcher.end_epoch(EpochEnd(epoch, total, row, states.load))
        if decision is not None:
            rows = rows[: decision.last_epoch + 1]
            instruments.discard_after(decision.last_epoch)
        write_epochs(run_dir / EPOCHS_FILE, rows)
        loggers.log(row)
        progress_out.end_epoch(row, clock.seconds(), headline)
        if decision is not None and decision.stop:
            break  # no checkpoint: a kill before run.json says done redoes this epoch and decides again
        if decision is None and searcher.keeps_state(epoch):
            states.save(epoch, searcher.state_dict())  # before the checkpoint that may need it
        save_search_checkpoint(run_dir, config, rows, searcher, batches, clock.seconds())
        if decision is not None:
            states.discard_after(decision.last_epoch)  # after the checkpoint: a kill keeps what it needs
        epoch = len(rows)
    progress_out.close()
    loggers.close()
    if searcher.run_facts():
        facts["searcher_facts"] = searcher.run_facts()
    return rows


_DIVERGED_ADVICE = (
    "lower train.lr or train.arch_lr (or clip with train.grad_clip) and start again with --overwrite "
    "(or another --out, to keep this run's finished epochs)"
)


def _watched_step(searcher, train_batch, val_batch, watch: DivergenceWatch, epoch: int, step: int, steps: int):
    """One search step; its loss sums and α go to the divergence watch (no sync). A step that fails
    because earlier values were not finite (a Gumbel sample of NaN logits) is reported as divergence."""
    try:
        stats = searcher.step(train_batch, val_batch)
    except (ArithmeticError, RuntimeError) as err:
        bad_step = watch.first_bad_step()
        if bad_step is None and not isinstance(err, FloatingPointError):
            raise
        raise diverged_error(
            "the search", epoch, step if bad_step is None else bad_step, steps, _DIVERGED_ADVICE
        ) from err
    watch.observe(stats.train_loss_sum, stats.val_loss_sum, *searcher.arch_parameters())
    return stats


class _EpochSums:
    """Accumulates step statistics on the device; read once per epoch (one host sync)."""

    def __init__(self, device: torch.device) -> None:
        self.values = torch.zeros(4, dtype=torch.float64, device=device)
        self.train_count = 0
        self.val_count = 0

    def add(self, stats: StepStats) -> None:
        parts = (stats.train_loss_sum, stats.train_correct, stats.val_loss_sum, stats.val_correct)
        self.values += torch.stack([p.to(torch.float64) for p in parts])
        self.train_count += stats.train_count
        self.val_count += stats.val_count

    def means(self) -> dict[str, float]:
        train_loss, train_correct, val_loss, val_correct = self.values.tolist()
        return {
            "train_loss": train_loss / max(self.train_count, 1),
            "train_acc": 100.0 * train_correct / max(self.train_count, 1),
            "val_loss": val_loss / max(self.val_count, 1),
            "val_acc": 100.0 * val_correct / max(self.val_count, 1),
        }


def _epoch_row(config: RunConfig, epoch: int, searcher, sums: _EpochSums, oracle, benchmark) -> dict[str, Any]:
    genotype = searcher.genotype()
    row: dict[str, Any] = {
        "run_id": config.run_id,
        "benchmark": config.benchmark,
        "searcher": config.searcher,
        "profile": config.profile,
        "seed": config.seed,
        "epoch": epoch,
        "genotype": genotype.to_string(),
        "skip_count": genotype.skip_count,
        "param_free_count": genotype.param_free_count,
        **sums.means(),
        "tau": math.nan,
        **searcher.epoch_facts(),
    }
    weights = searcher.arch_weights()
    if weights:  # the α (β) trajectory: reports.arch_trajectory reads it back as a tidy table
        row[ARCH_WEIGHTS_COLUMN] = json.dumps(weights, separators=(",", ":"))
    for metric in benchmark.oracle_metrics:
        row[metric.column] = oracle.query(genotype, dataset=metric.dataset, split=metric.split, epochs=metric.epochs)
    return row
