"""DARTS (Liu et al., ICLR 2019), first order: softmax-mixed edges, arch step then weight step."""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F

from searchers.base import Batch, BilevelSearcher, StepStats
from searchers.mixing import SoftmaxMixer


@dataclass(frozen=True)
class DartsOptions:
    """DARTS has no switches of its own in first order; the second order comes later."""


class Darts(BilevelSearcher):
    """∇_α L_val(θ, α) on the val batch, then SGD on θ with the train batch, per iteration."""

    name = "darts"
    options_type = DartsOptions

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        val_loss, val_correct = self.arch_step(val_batch, SoftmaxMixer(F.softmax(self.alpha, dim=-1)))
        # The weight step treats α as a constant: no graph through the softmax.
        weights = F.softmax(self.alpha.detach(), dim=-1)
        train_loss, train_correct = self.weight_step(train_batch, SoftmaxMixer(weights))
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )
