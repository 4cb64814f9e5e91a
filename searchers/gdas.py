"""GDAS (Dong & Yang, CVPR 2019): one Gumbel-sampled op per edge, straight-through gradient."""

from __future__ import annotations

from dataclasses import dataclass

from searchers.base import Batch, BilevelSearcher, StepStats
from searchers.mixing import SingleOpMixer, draw_finite_gumbel, gumbel_softmax_hard


@dataclass(frozen=True)
class GdasOptions:
    """τ is annealed linearly per epoch from `tau_max` to `tau_min`."""

    tau_max: float = 10.0
    tau_min: float = 0.1


def linear_tau(tau_max: float, tau_min: float, epoch: int, total: int) -> float:
    """τ at `epoch`: tau_max at the first epoch, tau_min at the last."""
    if total <= 1:
        return tau_max
    return tau_max - (tau_max - tau_min) * epoch / (total - 1)


class Gdas(BilevelSearcher):
    """Weight step then arch step, both on the same hard sample of one op per edge."""

    name = "gdas"
    options_type = GdasOptions

    def __init__(self, space, network, train, options: GdasOptions) -> None:
        super().__init__(space, network, train, options)
        self.tau = options.tau_max

    def new_epoch(self, epoch: int, total: int) -> None:
        super().new_epoch(epoch, total)
        self.tau = linear_tau(self.options.tau_max, self.options.tau_min, epoch, total)

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        gumbel = draw_finite_gumbel(self.alpha, self.tau)
        # Weight step: α is a constant here, so the sample is taken from a detached copy.
        hard, index = gumbel_softmax_hard(self.alpha.detach(), self.tau, gumbel)
        ops = index.tolist()
        train_loss, train_correct = self.weight_step(train_batch, SingleOpMixer(hard, ops))
        # Arch step: the same noise gives the same ops, now with the straight-through graph to α.
        hard, _ = gumbel_softmax_hard(self.alpha, self.tau, gumbel)
        val_loss, val_correct = self.arch_step(val_batch, SingleOpMixer(hard, ops))
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "tau": self.tau}

    def state_dict(self):
        return {**super().state_dict(), "tau": self.tau}

    def load_state_dict(self, state) -> None:
        super().load_state_dict(state)
        self.tau = state["tau"]
