"""DrNAS (Chen et al., ICLR 2021): the mixing weights of each edge are a sample of a Dirichlet distribution.

α parameterises the concentration β = ELU(α) + 1 > 0 of one Dirichlet per edge. Every forward of
the search, in the arch step and the weight step alike, draws a fresh w ~ Dir(β) per edge and mixes
the edge's ops with it (one draw per forward, shared by the cells of a type); the arch step
differentiates through the draw (pathwise reparameterisation, `rsample`). Regulariser `reg_type`:
`l2` is Adam weight decay `reg_scale` on α (it replaces `train.arch_weight_decay`), `kl` adds
reg_scale · Σ_edges KL(Dir(β) ‖ Dir(1)) to the arch loss (no weight decay). The derived cell is
DARTS's rule on softmax(α) (argmax per edge on NB201). Draws come from the CPU generator and are
moved, so a seed gives the same samples on every device.

Source: xiangning-chen/DrNAS `201-space/train_search.py` (defaults: `--reg_type l2 --reg_scale 1e-3`,
first order, no partial channels `--k 1`, architect step then weight step), `201-space/search_model.py`
and `utils.py` (`process_step_vector`: `Dirichlet(F.elu(x) + 1).rsample()`; `_get_kl_reg`).

Not implemented: the progressive learning of the authors' DARTS-space script
(`DARTS-space/train_search.py`: partial channels 1/6 → 1/4 with the network widened in between,
ops pruned 8 → 4 per edge, 25 + 25 epochs on a 20-cell C=36 supernet). nash's `drnas` runs the
NB201 recipe above in every space, with the benchmark's search network and optimiser settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Dirichlet, kl_divergence

from benchmarks.errors import NashError
from searchers.base import Batch, BilevelSearcher, StepStats, TrainConfig, batch_sums
from searchers.mixing import SoftmaxMixer

REG_TYPES = ("l2", "kl")


@dataclass(frozen=True)
class DrNasOptions:
    """`reg_type`: `l2` (weight decay on α) or `kl` (KL to the uniform Dirichlet); `reg_scale`: its factor."""

    reg_type: str = "l2"  # --reg_type l2 (201-space/train_search.py)
    reg_scale: float = 1e-3  # --reg_scale 1e-3 (same file)

    def __post_init__(self) -> None:
        if self.reg_type not in REG_TYPES:
            raise NashError(f"drnas option reg_type must be one of {', '.join(REG_TYPES)}, got {self.reg_type!r}")
        if not self.reg_scale >= 0:
            raise NashError(f"drnas option reg_scale must be >= 0, got {self.reg_scale!r}")


def concentration(alpha: Tensor) -> Tensor:
    """β = ELU(α) + 1: positive, ≈ 1 + α for α ≥ 0 and → 0 for α → −∞."""
    return F.elu(alpha) + 1


def sample_dirichlet(conc: Tensor) -> Tensor:
    """One draw per row of Dir(conc), differentiable in `conc`; drawn on the CPU, returned on conc's device."""
    return Dirichlet(conc.cpu()).rsample().to(conc.device)


class DrNas(BilevelSearcher):
    """Arch step on a Dirichlet draw from β(α) with its pathwise gradient, then a weight step on a fresh draw."""

    name = "drnas"
    options_type = DrNasOptions

    def __init__(self, space, network, train: TrainConfig, options: DrNasOptions) -> None:
        super().__init__(space, network, train, options)
        decay = options.reg_scale if options.reg_type == "l2" else 0.0
        for group in self.arch_optimizer.param_groups:
            group["weight_decay"] = decay  # the reference's Architect: reg_scale for l2, none for kl

    def concentration(self) -> Tensor:
        return concentration(self.alpha)

    def kl_regulariser(self) -> Tensor:
        """reg_scale · Σ_edges KL(Dir(β) ‖ Dir(1, …, 1))."""
        conc = self.concentration()
        return self.options.reg_scale * kl_divergence(Dirichlet(conc), Dirichlet(torch.ones_like(conc))).sum()

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        self.arch_optimizer.zero_grad(set_to_none=True)
        x, y = val_batch
        logits = self.forward(x, SoftmaxMixer(sample_dirichlet(self.concentration())))
        loss = F.cross_entropy(logits, y)
        val_loss, val_correct = batch_sums(logits, y, loss)
        if self.options.reg_type == "kl":
            loss = loss + self.kl_regulariser()
        loss.backward()
        self.arch_optimizer.step()
        weights = sample_dirichlet(concentration(self.alpha.detach()))
        train_loss, train_correct = self.weight_step(train_batch, SoftmaxMixer(weights))
        return StepStats(train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, y.shape[0])

    def relaxed_mixer(self) -> SoftmaxMixer:
        """Deterministic, for the eigenvalue: the Dirichlet mean β / Σβ per edge (with a graph to α)."""
        conc = self.concentration()
        return SoftmaxMixer(conc / conc.sum(dim=-1, keepdim=True))

    def epoch_facts(self) -> dict[str, float]:
        total = concentration(self.alpha.detach()).sum(dim=-1).mean()
        return {**super().epoch_facts(), "concentration_sum": float(total)}
