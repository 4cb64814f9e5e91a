"""DARTS (Liu et al., ICLR 2019): softmax-mixed edges, one arch step and one weight step per iteration.

First order by default; `unrolled=True` takes the arch gradient at the weights one virtual
SGD step ahead (second order, `searchers/unrolled.py`). `darts-v2` is the same searcher
with `unrolled=True` by default, so its runs get their own run ids and summary rows.

The loop follows the code behind each space's published numbers (`Darts.reference_loop`):
NAS-Bench-201's DARTS rows come from AutoDL-Projects `exps/NAS-Bench-201-algos/DARTS-V1.py`
(weight step, then arch step) and `DARTS-V2.py` (arch step, then weight step), both clipping
`network.parameters()`, which hold α; the DARTS spaces' numbers from quark0/darts
`cnn/train_search.py` (arch step, then weight step; α is no module parameter, so the clip
counts θ alone). `weights_first` and `clip_includes_arch` switch each difference.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch.nn.functional as F
from torch import Tensor

from benchmarks.errors import NashError
from searchers.base import Batch, BilevelSearcher, StepStats, batch_sums
from searchers.mixing import SoftmaxMixer
from searchers.precision import run_forward
from searchers.unrolled import unrolled_arch_gradient


@dataclass(frozen=True)
class DartsOptions:
    """`unrolled`: second-order arch gradient (finite-difference Hessian-vector product).

    `weights_first`: each iteration takes the weight step before the arch step (the arch step then
    sees the weights just updated). `clip_includes_arch`: the weight step's gradient-norm clip also
    counts α's gradient as it stands then (the weight forward's own plus what the last arch step
    left); α is never stepped by the weight step. None (default) = as the reference code of the
    space (`Darts.reference_loop`): NB201 first order true / true, NB201 second order false / true,
    DARTS-family spaces false / false.
    """

    unrolled: bool = False
    weights_first: bool | None = None
    clip_includes_arch: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.unrolled, bool):
            raise NashError(f"darts option unrolled must be true or false, got {self.unrolled!r}")
        for name in ("weights_first", "clip_includes_arch"):
            if not (getattr(self, name) is None or isinstance(getattr(self, name), bool)):
                raise NashError(
                    f"darts option {name} must be true, false or none (as the space's reference code), "
                    f"got {getattr(self, name)!r}"
                )


@dataclass(frozen=True)
class DartsSecondOrderOptions(DartsOptions):
    unrolled: bool = True


class Darts(BilevelSearcher):
    """Adam on ∇_α L_val (at θ, or at θ' when unrolled) and SGD on θ with the train batch, in the reference's order.

    The arch step mixes edges with `relaxed_mixer()` (softmax(α), with a graph to α), the weight step
    with `weight_mixer()`; variants (SDARTS, DARTS-) change one or both.
    """

    name = "darts"
    options_type = DartsOptions

    @classmethod
    def reference_loop(cls, space: str, unrolled: bool) -> tuple[bool, bool]:
        """(weights_first, clip_includes_arch) of the code that produced the space's published numbers.

        Only `darts` / `darts-v2` have NB201 reference scripts; the variants built on DARTS (SDARTS,
        DARTS-, DARTS-ES/ADA) released code derived from quark0/darts and keep its loop in every space.
        """
        if space == "nb201" and cls.name in ("darts", "darts-v2"):  # AutoDL-Projects DARTS-V1.py / DARTS-V2.py
            return not unrolled, True
        return False, False  # quark0/darts cnn/train_search.py, architect.py

    def __init__(self, space, network, train, options: DartsOptions) -> None:
        super().__init__(space, network, train, options)
        weights_first, clip_arch = self.reference_loop(space.name, options.unrolled)
        self.weights_first = weights_first if options.weights_first is None else options.weights_first
        self.clip_arch = clip_arch if options.clip_includes_arch is None else options.clip_includes_arch

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        if self.weights_first:
            train_loss, train_correct = self.mixture_weight_step(train_batch)
            val_loss, val_correct = self.darts_arch_step(train_batch, val_batch)
        else:
            val_loss, val_correct = self.darts_arch_step(train_batch, val_batch)
            train_loss, train_correct = self.mixture_weight_step(train_batch)
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )

    def darts_arch_step(self, train_batch: Batch, val_batch: Batch):
        if self.options.unrolled:
            return self.unrolled_arch_step(train_batch, val_batch)
        return self.arch_step(val_batch, self.relaxed_mixer())

    def mixture_weight_step(self, train_batch: Batch):
        return self.weight_step(train_batch, self.weight_mixer())

    def weight_mixer(self):
        """The weight step's edges: softmax(α) held constant; its graph to α is kept only when the clip
        counts α's gradient. SDARTS perturbs it, DARTS- adds its auxiliary skip."""
        alpha = self.alpha if self.clip_arch else self.alpha.detach()
        return SoftmaxMixer(F.softmax(alpha, dim=-1))

    def clipped_parameters(self) -> list[Tensor]:
        """θ, plus α when `clip_includes_arch` (the NB201 reference clips `network.parameters()`, α included)."""
        extra = self.arch_parameters() if self.clip_arch else []
        return [*self.network.parameters(), *extra]

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
