"""DARTS (Liu et al., ICLR 2019): softmax-mixed edges, arch step then weight step.

First order by default; `unrolled=True` takes the arch gradient at the weights one virtual
SGD step ahead (second order, `searchers/unrolled.py`). `darts-v2` is the same searcher
with `unrolled=True` by default, so its runs get their own run ids and summary rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch.nn.functional as F

from benchmarks.errors import NashError
from searchers.base import Batch, BilevelSearcher, StepStats, batch_sums
from searchers.mixing import SoftmaxMixer
from searchers.precision import run_forward
from searchers.unrolled import unrolled_arch_gradient


@dataclass(frozen=True)
class DartsOptions:
    """`unrolled`: second-order arch gradient (finite-difference Hessian-vector product)."""

    unrolled: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.unrolled, bool):
            raise NashError(f"darts option unrolled must be true or false, got {self.unrolled!r}")


@dataclass(frozen=True)
class DartsSecondOrderOptions(DartsOptions):
    unrolled: bool = True


class Darts(BilevelSearcher):
    """∇_α L_val on the val batch (at θ, or at θ' when unrolled), then SGD on θ with the train batch.

    The arch step mixes edges with `relaxed_mixer()` (softmax(α), with a graph to α), the weight step
    with `weight_mixer()`; variants (SDARTS, DARTS-) change one or both.
    """

    name = "darts"
    options_type = DartsOptions

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        if self.options.unrolled:
            val_loss, val_correct = self.unrolled_arch_step(train_batch, val_batch)
        else:
            val_loss, val_correct = self.arch_step(val_batch, self.relaxed_mixer())
        train_loss, train_correct = self.weight_step(train_batch, self.weight_mixer())
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )

    def weight_mixer(self):
        """The weight step's edges: softmax(α) taken as a constant (no graph to α). SDARTS perturbs it."""
        return SoftmaxMixer(F.softmax(self.alpha.detach(), dim=-1))

    def unrolled_arch_step(self, train_batch: Batch, val_batch: Batch):
        """Adam on the second-order gradient; the virtual step uses the train batch the weight step will use."""

        # float32 in every precision: the finite-difference Hessian term perturbs the weights
        # by ~0.01/‖g‖, below bf16's resolution, so it would vanish in rounding. (The weight step
        # that follows still runs in the configured precision.)
        mode = replace(self.forward_mode, precision="fp32")

        def loss_on(batch: Batch):
            def loss_fn():
                logits = run_forward(self.network, batch[0], self.relaxed_mixer(), mode)
                return logits, F.cross_entropy(logits, batch[1])

            return loss_fn

        result = unrolled_arch_gradient(
            self.network, [self.alpha], loss_on(train_batch), loss_on(val_batch), self.weight_optimizer
        )
        self.arch_optimizer.zero_grad(set_to_none=True)
        self.alpha.grad = result.arch_grads[0]
        self.arch_optimizer.step()
        # Val statistics of a second-order step are those of the forward at θ'.
        return batch_sums(result.val_logits, val_batch[1], result.val_loss)


class DartsSecondOrder(Darts):
    """DARTS with the unrolled (second-order) arch gradient by default."""

    name = "darts-v2"
    options_type = DartsSecondOrderOptions
