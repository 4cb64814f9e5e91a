"""The resolved configuration of one run: benchmark profile + searcher + command-line choices."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from benchmarks.datasets.catalog import find_in_root, get_dataset, missing_dataset_message
from benchmarks.errors import NashError
from benchmarks.registry import get_benchmark, get_profile
from searchers.base import TrainConfig
from searchers.registry import get_searcher


@dataclass(frozen=True)
class NetworkConfig:
    """Supernet size. Each space reads the fields it names in `network_fields`."""

    channels: int = 16
    cells_per_stage: int = 5  # NB201: cells per stage (3 stages)
    affine: bool = False
    layers: int = 8  # DARTS-family spaces: cells in all, reductions at layers//3 and 2·layers//3
    stem_multiplier: int = 3  # DARTS-family spaces: the stem has stem_multiplier·C channels


DATA_DIR_ENV = "NASH_DATA_DIR"  # CIFAR-10 only (kept from before data roots existed)
DATA_ROOT_ENV = "NASH_DATA_ROOT"


@dataclass(frozen=True)
class DataConfig:
    source: str = "embedded"  # "embedded" (shipped CIFAR-10 subset) or the path of the benchmark's dataset
    train_per_class: int | None = None  # class-balanced subsample of the train set; None = all
    arch_per_class: int | None = None  # same for the arch half (x-valid) of CIFAR-100 / ImageNet16; None = all
    split_seed: int = 0  # the weight/arch split is fixed by this, not by the run seed
    augment: bool = True


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
    variant: str = ""  # a sweep preset's cell name (e.g. a ROME ablation switch set); keeps its run id unique

    @property
    def run_id(self) -> str:
        base = f"{self.benchmark}__{self.searcher}__{self.profile}__seed{self.seed}"
        return f"{base}__{self.variant}" if self.variant else base

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def apply_overrides(config: RunConfig, assignments: list[str]) -> RunConfig:
    """Apply `section.field=value` assignments (e.g. `train.arch_lr=3e-4`); unknown keys are errors."""
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        section, dot, name = key.strip().partition(".")
        sections = {"network": config.network, "train": config.train, "data": config.data}
        if not sep or not dot or section not in sections and section != "searcher":
            raise NashError(
                f"--set {assignment!r}: expected section.field=value with section one of "
                f"{', '.join([*sections, 'searcher'])}, e.g. --set train.arch_lr=3e-4"
            )
        if section == "searcher":
            if name not in config.searcher_options:
                raise NashError(
                    f"--set {assignment!r}: {config.searcher} has no option {name!r}; "
                    f"valid: {', '.join(config.searcher_options) or 'none'}"
                )
            options = {**config.searcher_options, name: _coerce(assignment, config.searcher_options[name], text)}
            searcher_cls = get_searcher(config.searcher)
            # Validate before anything runs: the options themselves, then against the benchmark's space.
            searcher_cls.validate_for_space(get_benchmark(config.benchmark).space, searcher_cls.options_type(**options))
            config = dataclasses.replace(config, searcher_options=options)
            continue
        current = sections[section]
        valid = [f.name for f in dataclasses.fields(current)]
        if name not in valid:
            raise NashError(f"--set {assignment!r}: unknown field {name!r} of {section}; valid: {', '.join(valid)}")
        value = _coerce(assignment, getattr(current, name), text)
        config = dataclasses.replace(config, **{section: dataclasses.replace(current, **{name: value})})
    return config


def _coerce(assignment: str, current: Any, text: str) -> Any:
    """Parse `text` as the type of the field's current value."""
    text = text.strip()
    if text.lower() == "none":
        return None
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        raise NashError(f"--set {assignment!r}: {text!r} is not a valid {type(current).__name__}") from None
    return text


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
) -> RunConfig:
    """Merge the benchmark's profile with the searcher's defaults and explicit choices.

    `data` is the benchmark's dataset on disk, `data_root` a folder of datasets (docs/DATA.md);
    see `resolve_data_source` for the order. Only CIFAR-10 quick runs fall back to the embedded subset.
    """
    bench = get_benchmark(benchmark)
    prof = get_profile(bench, profile)
    searcher_cls = get_searcher(searcher)
    if bench.space not in searcher_cls.spaces:
        raise NashError(
            f"searcher {searcher!r} cannot search the {bench.space} space of {benchmark}; "
            f"it runs on: {', '.join(searcher_cls.spaces)}"
        )
    if seed < 0:
        raise NashError(f"--seed must be a non-negative integer, got {seed}")
    n_epochs = prof.epochs_for(searcher) if epochs is None else epochs
    if n_epochs < 1:
        raise NashError(f"--epochs must be at least 1, got {n_epochs}")
    get_dataset(bench.dataset)
    source = resolve_data_source(bench.dataset, data, data_root, needs_full=prof.data["source"] != "embedded")
    options = searcher_cls.options_type(**prof.options_for(searcher))
    searcher_cls.validate_for_space(bench.space, options)
    return RunConfig(
        benchmark=benchmark,
        searcher=searcher,
        profile=profile,
        seed=seed,
        network=NetworkConfig(**prof.network),
        train=TrainConfig(epochs=n_epochs, **prof.train_for(searcher)),
        data=DataConfig(
            source=source,
            train_per_class=prof.data["train_per_class"],
            arch_per_class=prof.data.get("arch_per_class"),
        ),
        searcher_options=dataclasses.asdict(options),
        device=device,
    )
