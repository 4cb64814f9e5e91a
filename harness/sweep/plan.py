"""What a sweep runs: the product searchers × benchmarks × seeds (× preset variants) as cells,
each resolved and validated before anything runs.

Config errors versus missing data: every cell is first resolved with the dataset check switched
off (a placeholder data path). Any error there — unknown searcher or benchmark, a bad option or
`--set` — is the user's and aborts the whole sweep before anything is written. Only then is the
dataset looked up; a cell whose dataset is missing *on this machine* stays in the sweep and fails
on its own with the missing-dataset message (a Ray worker elsewhere may well have the data).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from benchmarks.errors import NashError
from benchmarks.registry.catalog import get_benchmark
from harness.config.checks import SEED_LIMIT, check_config
from harness.config.file import apply_config_values
from harness.config.run_config import RunConfig, apply_overrides, check_published_setting, resolve_config
from harness.sweep.presets import Preset, Variant, scaled_epochs
from harness.system.interrupt import raise_if_stop_requested
from searchers.registry import get_searcher

_NO_DATA_CHECK = "<dataset resolved where the cell runs>"


@dataclass(frozen=True)
class CellSpec:
    """Everything a worker needs to rebuild one cell's config (JSON-serialisable)."""

    benchmark: str
    searcher: str
    profile: str
    seed: int
    epochs: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # the variant's searcher options
    overrides: list[str] = field(default_factory=list)  # --set assignments, applied after the options
    variant: str = ""
    data_root: str | None = None
    device: str = "auto"
    config_file: str | None = None  # --config FILE: its name, for messages
    config_values: dict[str, Any] = field(default_factory=dict)  # its parsed keys (workers need no file)
    deterministic: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellSpec:
        return cls(**data)


@dataclass(frozen=True)
class PlannedCell:
    cell_id: str  # the run id: <benchmark>__<searcher>__<profile>__seed<N>[__<variant>]
    spec: CellSpec
    fingerprint: str  # of the resolved config, data source and device aside (same cell, same settings)
    missing_data: str | None  # the missing-dataset message when this machine lacks the data
    epochs: int = 0  # search epochs of the resolved config (for progress)


@dataclass(frozen=True)
class SweepRequest:
    searchers: list[str]
    benchmarks: list[str]
    seeds: list[int]
    profile: str = "quick"
    epochs: int | None = None
    overrides: list[str] = field(default_factory=list)
    data_root: str | None = None
    device: str = "auto"
    preset: Preset | None = None
    config_file: str | None = None
    config_values: dict[str, Any] = field(default_factory=dict)
    deterministic: bool = False


MAX_SEEDS = 1000  # per sweep; the manifest is rewritten whole at every claim, so it should stay small
# Cells per sweep (searchers x benchmarks x variants x seeds): the paper preset has 180. Every claim rewrites
# the whole manifest (~1-2 kB a cell) and planning resolves each cell's config (~ms), so 5,000 cells is
# ~10 MB per rewrite and seconds of planning; a larger product is a mistake, or several sweeps on one --out.
MAX_SWEEP_CELLS = 5000


def parse_seeds(text: str) -> list[int]:
    """`0-2` → [0, 1, 2]; `0,3,5` → [0, 3, 5]; both forms mix (`0-2,7`). Linear in the seeds, at most MAX_SEEDS."""
    usage = "expected a range like 0-2 or a list like 0,3,5"
    text = str(text)
    shown = repr(text if len(text) <= 40 else f"{text[:37]}...")
    seeds: dict[int, None] = {}  # ordered and a set: repeats dropped in constant time
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = part.partition("-")
        try:
            first, last = (int(low), int(high)) if dash else (int(part), int(part))
        except ValueError:
            raise NashError(f"--seeds {shown}: {part[:40]!r} is not a seed; {usage}") from None
        if last < first:
            raise NashError(f"--seeds {shown}: range {part[:40]} is empty; write low-high, e.g. 0-2")
        if last >= SEED_LIMIT:
            raise NashError(f"--seeds {shown} names a seed above 2**32-1; seeds are 0 .. 2**32-1 (4294967295)")
        for seed in range(first, min(last, first + MAX_SEEDS) + 1):
            seeds[seed] = None
            if len(seeds) > MAX_SEEDS:
                raise NashError(
                    f"--seeds {shown} names more than {MAX_SEEDS} seeds; a sweep takes at most {MAX_SEEDS} "
                    "(run the rest as further sweeps on the same --out: done cells are kept)"
                )
    return list(seeds)


def parse_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    return list(dict.fromkeys(names))  # drop repeats, keep order


def build_config(spec: CellSpec, *, data: str | None = None) -> RunConfig:
    """The cell's resolved config, as `nash search` would build it; `data` bypasses the dataset lookup."""
    config = resolve_config(
        spec.benchmark,
        spec.searcher,
        spec.profile,
        spec.seed,
        epochs=spec.epochs,
        data=data,
        data_root=spec.data_root,
        device=spec.device,
    )
    if spec.config_file:  # same order as `nash search`: profile, file, --epochs, options, --set
        config = apply_config_values(config, spec.config_values, spec.config_file)
        if spec.epochs is not None:
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=spec.epochs))
    config = apply_overrides(with_searcher_options(config, spec.options), spec.overrides)
    config = dataclasses.replace(config, variant=spec.variant, deterministic=config.deterministic or spec.deterministic)
    check_config(config)
    check_published_setting(config)
    searcher_cls = get_searcher(config.searcher)
    searcher_cls.check_run(
        searcher_cls.options_type(**config.searcher_options),
        epochs=config.train.epochs,
        channels=config.network.channels,
    )
    return config


def with_searcher_options(config: RunConfig, options: dict[str, Any]) -> RunConfig:
    """Set several searcher options at once (a preset variant), validated together, not one by one."""
    if not options:
        return config
    for name, value in options.items():
        if name not in config.searcher_options:
            raise NashError(
                f"preset option {name!r} does not exist for {config.searcher}; "
                f"valid: {', '.join(config.searcher_options) or 'none'}"
            )
        current = config.searcher_options[name]
        if current is not None and type(value) is not type(current) and not isinstance(current, float):
            raise NashError(f"preset option {name}={value!r} must be a {type(current).__name__}")
    merged = {**config.searcher_options, **options}
    searcher_cls = get_searcher(config.searcher)
    # The benchmark's space is part of the check (ROME's topology on NB201 is refused).
    searcher_cls.validate_for_space(get_benchmark(config.benchmark).space, searcher_cls.options_type(**merged))
    return dataclasses.replace(config, searcher_options=merged)


def expand_specs(request: SweepRequest) -> list[CellSpec]:
    """The product in a stable order: benchmark, searcher, variant, seed."""
    variants = request.preset.variants if request.preset and request.preset.variants else [Variant("")]
    excluded = set(request.preset.exclude) if request.preset else set()
    specs = []
    for benchmark in request.benchmarks:
        for searcher in request.searchers:
            if (searcher, benchmark) in excluded:
                continue
            for variant in variants:
                epochs = request.epochs if request.epochs is not None else variant.epochs
                for seed in request.seeds:
                    spec = CellSpec(
                        benchmark=benchmark,
                        searcher=searcher,
                        profile=request.profile,
                        seed=seed,
                        epochs=epochs,
                        options=dict(variant.options),
                        overrides=list(request.overrides),
                        variant=variant.name,
                        data_root=request.data_root,
                        device=request.device,
                        config_file=request.config_file,
                        config_values=request.config_values,
                        deterministic=request.deterministic,
                    )
                    if request.preset and request.preset.keep_k_times_epochs and request.epochs is None:
                        spec = dataclasses.replace(spec, epochs=_budget_epochs(spec))
                    specs.append(spec)
    return specs


def _budget_epochs(spec: CellSpec) -> int:
    """Epochs keeping the variant's k × epochs at the profile's k × epochs."""
    base = build_config(dataclasses.replace(spec, options={}, overrides=[], variant=""), data=_NO_DATA_CHECK)
    if "k" not in spec.options or "k" not in base.searcher_options:
        raise NashError(f"keep_k_times_epochs needs a searcher with option k and a k per variant ({spec.searcher})")
    return scaled_epochs(base.searcher_options["k"], base.train.epochs, spec.options["k"])


def check_cell_count(request: SweepRequest) -> None:
    """Refuse a sweep of more than MAX_SWEEP_CELLS cells before any cell is built (a mistyped preset or range)."""
    variants = len(request.preset.variants) if request.preset and request.preset.variants else 1
    excluded = set(request.preset.exclude) if request.preset else set()
    searchers, benchmarks = set(request.searchers), set(request.benchmarks)
    pairs = len(searchers) * len(benchmarks) - sum(s in searchers and b in benchmarks for s, b in excluded)
    cells = pairs * variants * len(request.seeds)
    if cells > MAX_SWEEP_CELLS:
        raise NashError(
            f"this sweep has {cells:,} cells ({pairs} searcher x benchmark pairs x {variants} variants x "
            f"{len(request.seeds)} seeds), over the limit of {MAX_SWEEP_CELLS:,}; split it into several sweeps "
            "on the same --out (done cells are kept)"
        )


def plan_sweep(request: SweepRequest) -> list[PlannedCell]:
    """Resolve every cell (raises NashError on the first invalid one) and note missing datasets."""
    if not request.searchers or not request.benchmarks or not request.seeds:
        raise NashError("a sweep needs at least one searcher, benchmark and seed (--searchers, --benchmarks, --seeds)")
    check_cell_count(request)
    cells: list[PlannedCell] = []
    for spec in expand_specs(request):
        raise_if_stop_requested()  # planning a large sweep takes a while: SIGTERM stops it here
        config = build_config(spec, data=_NO_DATA_CHECK)
        try:
            build_config(spec)
            missing = None
        except NashError as err:  # everything but the data resolved above: the dataset is missing here
            missing = str(err)
        cells.append(PlannedCell(config.run_id, spec, config_fingerprint(config), missing, config.train.epochs))
    ids = [cell.cell_id for cell in cells]
    if len(set(ids)) != len(ids):
        raise NashError("two cells of this sweep share a run id; give preset variants distinct names")
    return cells


def config_fingerprint(config: RunConfig) -> str:
    """Hash of the resolved config without the data source and device, which may differ per machine."""
    facts = config.to_dict()
    facts["data"] = {k: v for k, v in facts["data"].items() if k != "source"}
    facts.pop("device")
    facts.pop("log")  # trackers may be switched on or off between sweeps of the same cells
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]
