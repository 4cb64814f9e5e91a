"""Stop a run whose losses or architecture parameters become NaN or infinite, naming epoch and step.

A diverged search otherwise runs to its end: every α is NaN, the derived cell is all `none`, and a
report counts it as collapse. Checking each step on the host would cost a device sync per step, so
the check stays on the device: after each step a flag records whether any watched tensor was not
finite, and a counter counts the steps before the first such one. Both are read once, at the end of
the epoch (one sync per epoch, beside the one that reads the epoch's loss sums).
"""

from __future__ import annotations

import torch

from benchmarks.errors import NashError


class DivergenceWatch:
    def __init__(self, device: torch.device) -> None:
        self.diverged = torch.zeros((), dtype=torch.bool, device=device)
        self.finite_steps = torch.zeros((), dtype=torch.int64, device=device)  # steps before the first bad one
        self.steps = 0  # steps observed (a host count)

    def observe(self, *tensors: torch.Tensor) -> None:
        """After a step: the step's loss sums and the architecture parameters (device ops only, no sync)."""
        finite = torch.stack([torch.isfinite(t.detach()).all() for t in tensors]).all()
        self.diverged |= ~finite
        self.finite_steps += ~self.diverged
        self.steps += 1

    def first_bad_step(self) -> int | None:
        """The 0-based step of the epoch whose tensors were first not finite, or None (one host sync)."""
        diverged, steps = torch.stack([self.diverged.long(), self.finite_steps]).tolist()
        return steps if diverged else None

    def check(self, what: str, epoch: int, advice: str) -> None:
        """Raise the one-line NashError when a step of this epoch diverged (a watch covers one epoch)."""
        step = self.first_bad_step()
        if step is not None:
            raise diverged_error(what, epoch, step, self.steps, advice)


def diverged_error(what: str, epoch: int, step: int, steps: int, advice: str) -> NashError:
    return NashError(
        f"{what} diverged at epoch {epoch}, step {step} of {steps} (both from 0): the loss or the architecture "
        f"parameters became NaN or infinite; {advice}"
    )
