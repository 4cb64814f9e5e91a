"""SDARTS-RS (Chen & Hsieh, ICML 2020): DARTS whose weight step sees randomly perturbed mixing weights.

The arch step is DARTS's (first order by default, softmax(α) unperturbed). The weight step mixes
the edges with w = softmax(α) + U(−ε, ε) per entry, then per edge clamped to [0, 1] and divided by
its sum (an edge whose entries all clamp to 0 puts weight 1 on its largest perturbed entry):
training θ for a neighbourhood of α smooths the validation loss landscape in α. ε grows linearly
per epoch, ε_e = epsilon_min + (epsilon − epsilon_min) · e / epochs.

Source: xiangning-chen/SmoothDARTS `attacker/perturb.py` (`Random_alpha`, `clip` in
`sota/cnn/model_search.py`), `sota/cnn/train_search.py` (the ε schedule, `--epsilon_alpha 0.3`,
the step order: architect step, then softmax, perturb, weight step, restore). The noise is drawn
from the CPU generator and moved, so a seed gives the same perturbations on every device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from benchmarks.errors import NashError
from searchers.darts import Darts, DartsOptions
from searchers.mixing import SoftmaxMixer


@dataclass(frozen=True)
class SdartsRsOptions(DartsOptions):
    """ε of the uniform perturbation: `epsilon_min` at epoch 0, growing linearly towards `epsilon`."""

    epsilon: float = 0.3  # --epsilon_alpha 0.3 (sota/cnn/train_search.py)
    epsilon_min: float = 0.03  # the schedule's start, 0.03 + (ε − 0.03)·epoch/epochs (same file)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.epsilon_min <= self.epsilon:
            raise NashError(
                f"sdarts-rs options need 0 <= epsilon_min <= epsilon, got epsilon_min={self.epsilon_min}, "
                f"epsilon={self.epsilon}"
            )


def epsilon_at(epsilon_min: float, epsilon: float, epoch: int, total: int) -> float:
    return epsilon_min + (epsilon - epsilon_min) * epoch / max(total, 1)


def random_smoothing(probs: Tensor, noise: Tensor) -> Tensor:
    """softmax(α) + noise (noise in [−ε, ε]), each row clamped to [0, 1] and renormalised to sum 1.

    A row whose entries all clamp to 0 keeps weight 1 on its largest perturbed entry.
    """
    perturbed = probs + noise
    clamped = perturbed.clamp(0.0, 1.0)
    empty = clamped.sum(dim=-1) == 0
    if bool(empty.any()):
        rescue = F.one_hot(perturbed.argmax(dim=-1), probs.shape[-1]).to(probs.dtype)
        clamped = torch.where(empty.unsqueeze(-1), rescue, clamped)
    return clamped / clamped.sum(dim=-1, keepdim=True)


class SdartsRs(Darts):
    """DARTS, with `random_smoothing` of the mixing weights in the weight step only."""

    name = "sdarts-rs"
    options_type = SdartsRsOptions

    def __init__(self, space, network, train, options: SdartsRsOptions) -> None:
        super().__init__(space, network, train, options)
        self.epsilon = options.epsilon_min

    def new_epoch(self, epoch: int, total: int) -> None:
        super().new_epoch(epoch, total)
        self.epsilon = epsilon_at(self.options.epsilon_min, self.options.epsilon, epoch, total)

    def weight_mixer(self) -> SoftmaxMixer:
        probs = F.softmax(self.alpha.detach(), dim=-1)
        noise = torch.empty(probs.shape).uniform_(-self.epsilon, self.epsilon).to(probs.device)
        return SoftmaxMixer(random_smoothing(probs, noise))

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "epsilon": self.epsilon}

    def state_dict(self):
        return {**super().state_dict(), "epsilon": self.epsilon}

    def load_state_dict(self, state) -> None:
        super().load_state_dict(state)
        self.epsilon = float(state["epsilon"])
