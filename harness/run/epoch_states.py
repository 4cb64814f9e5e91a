"""Searcher states the runner keeps after chosen epochs, for a searcher that may roll back (DARTS-ADA).

`<run>/epoch_states/epoch_NNNN.pt` holds `searcher.state_dict()` after epoch NNNN of the current
trajectory, written (atomically) when `searcher.keeps_state(epoch)` says so. A roll-back to epoch
e drops the files after e; a finished run, or a run started again from epoch 0, drops them all.
They are loaded with `weights_only=True` (`harness.system.checkpoint.read_checkpoint`): a searcher's state holds
tensors and plain Python values, and a file asking for more, or a damaged one, is a one-line NashError.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from benchmarks.errors import NashError
from benchmarks.safe_files import real_folder, refuse_link, remove_file
from harness.system.checkpoint import CheckpointUnreadable, read_checkpoint
from harness.system.store import atomic_write

STATES_DIR = "epoch_states"


def _epoch_of(path: Path) -> int:
    return int(path.stem.removeprefix("epoch_"))


class EpochStates:
    """Save and load the kept states of one run (a resumed run finds those of its earlier attempts)."""

    def __init__(self, run_dir: Path, device: torch.device) -> None:
        self.folder = Path(run_dir) / STATES_DIR
        self.device = device

    def path(self, epoch: int) -> Path:
        return self.folder / f"epoch_{epoch:04d}.pt"

    def save(self, epoch: int, state: dict[str, Any]) -> None:
        real_folder(self.folder)  # a planted link would put the states elsewhere
        atomic_write(self.path(epoch), lambda handle: torch.save(state, handle))

    def load(self, epoch: int) -> dict[str, Any]:
        path = self.path(epoch)
        if not path.exists():
            raise KeyError(f"no kept searcher state of epoch {epoch} ({path}); the searcher did not ask to keep it")
        # Read as checkpoints are (harness.system.checkpoint): nothing in the file runs; foreign or damaged is one line.
        keep_hint = (
            f"the roll-back to epoch {epoch} needs it, so this run cannot go on: keep its folder for inspection and "
            "run again into another --out, or start over with --overwrite"
        )
        try:
            return read_checkpoint(path, self.device, keep_hint)
        except CheckpointUnreadable as err:
            raise NashError(f"kept searcher state {path} is truncated or corrupt ({err}); {keep_hint}") from None

    def discard_after(self, epoch: int) -> None:
        """Drop the states of epochs after `epoch` (a roll-back to it made them another trajectory)."""
        refuse_link(self.folder)  # its listing would be another folder's files, deleted below
        for path in self.folder.glob("epoch_*.pt") if self.folder.exists() else ():
            if _epoch_of(path) > epoch:
                remove_file(path)


def remove_epoch_states(run_dir: Path) -> None:
    folder = Path(run_dir) / STATES_DIR
    if folder.is_symlink():  # rmtree refuses a link; removed itself, so no later save goes through it
        remove_file(folder)
    shutil.rmtree(folder, ignore_errors=True)  # follows no link inside
