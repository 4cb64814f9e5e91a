"""The resolved configuration of one run: benchmark profile + searcher + command-line choices."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from benchmarks.batches.arch_sampling import resolve_arch_sampling
from benchmarks.datasets.catalog import find_in_root, missing_dataset_message
from benchmarks.errors import NashError
from harness.config.checks import check_epochs, check_field, check_seed
from harness.config.objects import RunObjects
from harness.system.environment import runs_on_cpu
from searchers.base import TrainConfig
from searchers.precision import PRECISIONS


@dataclass(frozen=True)
class NetworkConfig:
    """Supernet size. Each space reads the fields it names in `network_fields`."""

    channels: int = 16
    cells_per_stage: int = 5  # NB201: cells per stage (3 stages)
    affine: bool = False
    layers: int = 8  # DARTS-family spaces: cells in all, reductions at layers//3 and 2·layers//3
    stem_multiplier: int = 3  # DARTS-family spaces: the stem has stem_multiplier·C channels
    stem: str = "cifar"  # DARTS-family spaces: "cifar" (3x3, full size) or "imagenet" (three stride-2 convs, /8)


DATA_DIR_ENV = "NASH_DATA_DIR"  # CIFAR-10 only (kept from before data roots existed)
DATA_ROOT_ENV = "NASH_DATA_ROOT"


@dataclass(frozen=True)
class DataConfig:
    source: str = "embedded"  # "embedded" (shipped CIFAR-10 subset) or the path of the benchmark's dataset
    train_per_class: int | None = None  # class-balanced subsample of the train set; None = all
    arch_per_class: int | None = None  # same for the arch half (x-valid) of CIFAR-100 / ImageNet16; None = all
    # ImageNet search subsets (protocol imagenet_subsets): the share of every class's train images for the
    # weights and, disjoint from it, for the architecture.
    imagenet_weight_fraction: float = 0.1
    imagenet_arch_fraction: float = 0.1
    split_seed: int = 0  # the weight/arch split is fixed by this, not by the run seed
    augment: bool = True
    cutout: int = 0  # search batches (both halves): zero one cutout x cutout square per image; 0 = off
    # How arch batches are drawn (benchmarks.batches.arch_sampling): per_image, per_batch or epoch_pass;
    # None = the reference of the benchmark's space (NB201: per_image, DARTS-family: per_batch).
    arch_sampling: str | None = None


@dataclass(frozen=True)
class AnalysisConfig:
    """Measurements taken during the search (`harness.instruments.search_instruments`); 0 = off.

    Each runs after epochs E-1, 2E-1, ... (0-based) and after the last epoch, on fixed arch batches
    drawn by their own seeded generator, so the search's own rows do not change.
    """

    eigenvalue_every: int = 0  # dominant Hessian eigenvalue of L_val w.r.t. the arch parameters
    eigenvalue_batches: int = 2  # arch batches the loss is averaged over
    eigenvalue_iterations: int = 20  # power-iteration cap
    rank_every: int = 0  # one-shot ranking quality (NB201 benchmarks): Kendall τ vs the oracle
    rank_sample: int = 50  # cells in the fixed, seeded sample
    rank_batches: int = 2  # arch batches each sampled cell is evaluated on

    def __post_init__(self) -> None:
        for name in ("eigenvalue_every", "rank_every"):
            if getattr(self, name) < 0:
                raise NashError(f"analysis.{name} must be >= 0 (0 turns it off), got {getattr(self, name)}")
        for name in ("eigenvalue_batches", "eigenvalue_iterations", "rank_batches"):
            if getattr(self, name) < 1:
                raise NashError(f"analysis.{name} must be at least 1, got {getattr(self, name)}")
        if self.rank_sample < 2:
            raise NashError(f"analysis.rank_sample must be at least 2 cells (τ needs pairs), got {self.rank_sample}")


@dataclass(frozen=True)
class PerfConfig:
    """Speed switches, each off by default (docs/GPU.md) except where a profile sets them for CPU runs
    (`Profile.cpu_perf`: the NB201 paper profile, float32 only); the run's config records them.

    precision: "fp32" or "bf16" (autocast around the search step's forward passes; α, its
    softmax/Gumbel arithmetic and the losses stay float32; darts-v2's unrolled arch step stays
    float32). channels_last: network and batches in NHWC memory layout. pin_memory: page-locked,
    non-blocking host-to-GPU copies of the batches of memory-mapped sets (no effect on CPU).
    fused_edges (on): the supernet computes all edges leaving a node together (same values up to float
    summation order; off: edge by edge, the reference path). compile: torch.compile of the search cells
    or their op blocks, and of evaluation training (`benchmarks.kernels.compiled`; cache on disk).
    """

    precision: str = "fp32"
    channels_last: bool = False
    pin_memory: bool = False
    fused_edges: bool = True
    compile: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise NashError(f"perf.precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        for name in ("fused_edges", "compile"):
            if not isinstance(getattr(self, name), bool):
                raise NashError(f"perf.{name} must be true or false, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class LogConfig:
    """Each epoch's row also sent to experiment trackers (`harness.run.loggers`); the results never depend on it,
    so a run's identity (resume, sweep fingerprints) leaves it out. tensorboard: event files in
    `<run dir>/tensorboard/` (needs the `tensorboard` package); wandb: a W&B run in `wandb_project`
    (needs `wandb`; W&B's own settings, e.g. WANDB_MODE=offline, apply)."""

    tensorboard: bool = False
    wandb: bool = False
    wandb_project: str = "nash"


@dataclass(frozen=True)
class RunConfig:
    benchmark: str
    searcher: str
    profile: str
    seed: int
    network: NetworkConfig
    train: TrainConfig
    data: DataConfig
    searcher_options: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    deterministic: bool = False  # torch's deterministic algorithms, no cudnn autotuning (harness.system.environment)
    variant: str = ""  # a sweep preset's cell name (e.g. a ROME ablation switch set); keeps its run id unique
    perf: PerfConfig = field(default_factory=PerfConfig)
    log: LogConfig = field(default_factory=LogConfig)

    @property
    def run_id(self) -> str:
        base = f"{self.benchmark}__{self.searcher}__{self.profile}__seed{self.seed}"
        return f"{base}__{self.variant}" if self.variant else base

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = ("network", "train", "data", "analysis", "perf", "log", "searcher")


def apply_overrides(config: RunConfig, assignments: list[str], objects: RunObjects | None = None) -> RunConfig:
    """Apply `section.field=value` assignments (e.g. `train.arch_lr=3e-4`); unknown keys are errors."""
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or section not in SECTIONS:
            raise NashError(
                f"--set {assignment!r}: expected section.field=value with section one of "
                f"{', '.join(SECTIONS)}, e.g. --set train.arch_lr=3e-4"
            )
        config = set_field(config, section, name.strip(), text.strip(), f"--set {assignment!r}", objects)
    return config


def set_field(
    config: RunConfig, section: str, name: str, value: Any, where: str, objects: RunObjects | None = None
) -> RunConfig:
    """`config` with `section.name` = `value` (text is parsed by the field's declared type); checked.

    `objects`: the run's, when the caller resolved them (a searcher option is checked against them)."""
    if section == "searcher":
        objects = RunObjects.for_config(config, objects)
        searcher_cls = objects.searcher
        if name not in config.searcher_options:
            valid = ", ".join(config.searcher_options) or "none"
            raise NashError(f"{where}: {config.searcher} has no option {name!r}; valid: {valid}")
        typed = _typed(where, get_type_hints(searcher_cls.options_type)[name], value)
        check_field(section, name, typed, where)
        options = {**config.searcher_options, name: typed}
        # Validate before anything runs: the options themselves, then against the benchmark's space.
        searcher_cls.validate_for_space(objects.space.name, searcher_cls.options_type(**options))
        return dataclasses.replace(config, searcher_options=options)
    current = getattr(config, section)
    valid = [f.name for f in dataclasses.fields(current)]
    if name not in valid:
        raise NashError(f"{where}: unknown field {name!r} of {section}; valid: {', '.join(valid)}")
    typed = _typed(where, get_type_hints(type(current))[name], value)
    check_field(section, name, typed, where)
    return dataclasses.replace(config, **{section: dataclasses.replace(current, **{name: typed})})


def _typed(where: str, declared: Any, value: Any) -> Any:
    """`value` as the declared type (bool, int, float, str, optionally `| None`); text is parsed."""
    allowed = set(get_args(declared)) if get_origin(declared) in (Union, UnionType) else {declared}
    optional = type(None) in allowed
    kind = next((t for t in (bool, int, float, str) if t in allowed), str)
    if isinstance(value, str) and kind is not str:
        value = _parse(where, kind, value, optional)
    if value is None and optional:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not kind:
        raise NashError(f"{where}: {value!r} is not a valid {kind.__name__}")
    return value


def _parse(where: str, kind: type, text: str, optional: bool) -> Any:
    if optional and text.lower() == "none":
        return None
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        return kind(text)
    except ValueError:
        raise NashError(f"{where}: {text!r} is not a valid {kind.__name__}") from None


def check_published_setting(config: RunConfig, objects: RunObjects | None = None) -> None:
    """Refuse a searcher its profile's paper never ran (`Profile.unpublished`) unless the batch size was chosen.

    The profile's other values for it are the space's usual search setting; the batch size is what the
    paper could not fit, so choosing it (`--set train.batch_size=N`) is running an unpublished setting knowingly.
    """
    prof = RunObjects.for_config(config, objects).profile
    why = prof.unpublished.get(config.searcher)
    batch = prof.train_for(config.searcher).get("batch_size")
    if why and config.train.batch_size == batch:
        raise NashError(
            f"{config.benchmark} --profile {config.profile} has no {config.searcher} setting: {why}; to run one "
            f"anyway, choose its batch size: --set train.batch_size=N (other than {batch}; the rest stays the "
            "profile's search setting)"
        )


def resolve_data_source(dataset: str, data: str | None, data_root: str | None, needs_full: bool) -> str:
    """Where the benchmark's dataset is read from: a path, or "embedded" (CIFAR-10 quick runs only).

    Order: --data (the dataset itself); for CIFAR-10, $NASH_DATA_DIR; the dataset's folder under
    --data-root or $NASH_DATA_ROOT; for a CIFAR-10 run that does not need the full set, the
    embedded subset. Anything else is the one-line missing-dataset error.
    """
    if data:
        return data
    if dataset == "cifar10" and os.environ.get(DATA_DIR_ENV):
        return os.environ[DATA_DIR_ENV]
    root = data_root or os.environ.get(DATA_ROOT_ENV) or None
    found = find_in_root(dataset, root) if root else None
    if found is not None:
        return str(found)
    if dataset == "cifar10" and not needs_full:
        return "embedded"
    message = missing_dataset_message(dataset, root)
    if dataset == "cifar10":
        message += "; or pass --data PATH (a cifar-10-batches-py folder or the CIFAR-10 JPEG tarballs)"
    raise NashError(message)


def resolve_config(
    benchmark: str,
    searcher: str,
    profile: str = "quick",
    seed: int = 0,
    *,
    epochs: int | None = None,
    data: str | None = None,
    data_root: str | None = None,
    device: str = "auto",
    objects: RunObjects | None = None,
) -> RunConfig:
    """Merge the benchmark's profile with the searcher's defaults and explicit choices.

    `data` is the benchmark's dataset on disk, `data_root` a folder of datasets (docs/DATA.md);
    see `resolve_data_source` for the order. Only CIFAR-10 quick runs fall back to the embedded subset.
    `objects`: the names already resolved (`RunObjects.of(benchmark, searcher, profile)`), else resolved here.
    """
    if objects is None or objects.names != (benchmark, searcher, profile):
        objects = RunObjects.of(benchmark, searcher, profile)
    bench, prof, searcher_cls = objects.benchmark, objects.profile, objects.searcher
    check_seed(seed)
    n_epochs = prof.epochs_for(searcher) if epochs is None else epochs
    check_epochs(n_epochs)
    source = resolve_data_source(bench.dataset, data, data_root, needs_full=prof.data["source"] != "embedded")
    options = searcher_cls.options_type(**prof.options_for(searcher))
    searcher_cls.validate_for_space(bench.space, options)
    data_fields = {k: v for k, v in prof.data_for(searcher).items() if k != "source"}
    cpu_perf = prof.cpu_perf_for(searcher)
    config = RunConfig(
        benchmark=benchmark,
        searcher=searcher,
        profile=profile,
        seed=seed,
        network=NetworkConfig(**prof.network),
        train=TrainConfig(epochs=n_epochs, **prof.train_for(searcher)),
        data=DataConfig(source=source, **data_fields),
        searcher_options=dataclasses.asdict(options),
        device=device,
        perf=PerfConfig(**cpu_perf) if cpu_perf and runs_on_cpu(device) else PerfConfig(),
    )
    return with_explicit_arch_sampling(config, bench.space)


def with_explicit_arch_sampling(config: RunConfig, space: str) -> RunConfig:
    """`data.arch_sampling` named: unset, the space's reference, so run.json and the run's identity say which
    draw ran (a run.json without the field was written before it existed, and drew `epoch_pass`)."""
    data = dataclasses.replace(config.data, arch_sampling=resolve_arch_sampling(config.data.arch_sampling, space))
    return dataclasses.replace(config, data=data)
