"""Per-epoch rows mirrored to experiment trackers: TensorBoard and Weights & Biases (both optional).

Switched on by `log.tensorboard` / `log.wandb` (`nash search --log tensorboard`). Each tracker gets
the columns of `epochs.parquet`, one step per epoch: numbers (bools as 0/1) as scalars under their
column names, the genotype as text; a value not measured that epoch (NaN, e.g. an eigenvalue taken
every E epochs) is left out rather than drawn as a gap. The parquet file stays the record: the
trackers are a view for people who watch runs there.

TensorBoard needs only the `tensorboard` package (through `torch.utils.tensorboard`), not TensorFlow.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import numbers
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.safe_files import real_folder, refuse_link

TENSORBOARD_DIR = "tensorboard"
_TEXT_COLUMNS = ("genotype",)  # strings that change over epochs; the others (run_id, searcher, ...) are constant
_INSTALL = {
    "tensorboard": "pip install tensorboard (or the extra: pip install 'nas-harness[tensorboard]')",
    "wandb": "pip install wandb (or the extra: pip install 'nas-harness[wandb]')",
}


def check_loggers(log) -> None:
    """Before a run starts: every tracker asked for is installed, else one line naming the install command."""
    for name in ("tensorboard", "wandb"):
        if getattr(log, name) and importlib.util.find_spec(name) is None:
            raise NashError(f"log.{name} is on but the {name} package is not installed: {_INSTALL[name]}")


def scalars(row: dict[str, Any]) -> dict[str, float]:
    """The row's numeric columns as floats (bools as 0/1), NaN and infinities left out."""
    values = {}
    for name, value in row.items():
        if isinstance(value, numbers.Real):  # numpy's scalars too; bool is an int
            number = float(value)
            if math.isfinite(number):
                values[name] = number
    return values


class EpochLoggers:
    """The trackers a run's config switches on; `log(row)` after every epoch, `close()` at the end."""

    def __init__(self, config, run_dir: Path) -> None:
        check_loggers(config.log)
        self._tensorboard = self._wandb = None
        if config.log.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            # The writer would follow a planted link; a real folder keeps its event files in the run.
            self._tensorboard = SummaryWriter(log_dir=str(real_folder(Path(run_dir) / TENSORBOARD_DIR)))
        if config.log.wandb:
            import wandb

            refuse_link(Path(run_dir) / "wandb", "W&B folder")  # wandb.init(dir=run_dir) writes into run_dir/wandb
            self._wandb = wandb.init(
                project=config.log.wandb_project,
                name=config.run_id,
                # One W&B run per run folder: a resumed search continues it, the same id elsewhere does not.
                id=hashlib.sha1(str(Path(run_dir).resolve()).encode()).hexdigest()[:16],
                resume="allow",
                dir=str(run_dir),
                config=config.to_dict(),
            )

    def log(self, row: dict[str, Any]) -> None:
        epoch = int(row["epoch"])
        numbers = scalars(row)
        if self._tensorboard is not None:
            for name, value in numbers.items():
                self._tensorboard.add_scalar(name, value, epoch)
            for name in _TEXT_COLUMNS:
                if name in row:
                    self._tensorboard.add_text(name, str(row[name]), epoch)
            self._tensorboard.flush()  # a killed run keeps the epochs it logged
        if self._wandb is not None:
            self._wandb.log({**numbers, **{n: str(row[n]) for n in _TEXT_COLUMNS if n in row}}, step=epoch)

    def close(self) -> None:
        if self._tensorboard is not None:
            self._tensorboard.close()
        if self._wandb is not None:
            self._wandb.finish()
