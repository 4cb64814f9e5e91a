"""DARTS-ADA (Zela et al., ICLR 2020, RobustDARTS §5.2): DARTS with adaptive weight-decay regularisation.

DARTS-ES's search and stop rule (`searchers.darts_es`), but a trigger does not end the search: it
rolls back to the end of the epoch the rule names (network, α, both optimisers and the rule's
measurements as they were then), multiplies the weights' L2 factor by `weight_decay_factor` and
searches on from the next epoch; once the weight decay has reached `max_weight_decay` the rule is
ignored and the search runs to its last epoch. Source: automl/RobustDARTS
`src/search/train_search.py` (`--early_stop 3`), factor 10 and maximum 0.03 from
`scripts/DARTS-ADA_search.sh` (from 3e-4: 3e-4 → 3e-3 → 3e-2, at most two roll-backs).

The runner keeps this searcher's state after every epoch the rule could name (`keeps_state`), as
the reference keeps a checkpoint per epoch. The learning rate follows the same cosine schedule
by epoch after a roll-back (the reference restarts its scheduler at that epoch). Differences:
the new weight decay is `min(wd · factor, max)` (the reference's "reached the maximum" test,
`round(log max / log wd, 1) == 1`, only holds when max = wd · factorⁿ; with the defaults both are
the same); and the second-order virtual step uses the new weight decay (the reference's
`Architect` keeps the one it was built with, a factor behind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks.errors import NashError
from searchers.base import EpochDecision, EpochEnd, TrainConfig
from searchers.darts_es import DartsEs, DartsEsOptions, _facts
from searchers.eigen_stop import Trigger


@dataclass(frozen=True)
class DartsAdaOptions(DartsEsOptions):
    """DARTS-ES's switches plus the regularisation schedule: ×`weight_decay_factor` per roll-back, up to the max."""

    weight_decay_factor: float = 10.0  # --mul_factor 10 (scripts/DARTS-ADA_search.sh)
    max_weight_decay: float = 0.03  # --max_weight_decay 0.03 (same script)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.weight_decay_factor > 1:
            raise NashError(f"darts-ada option weight_decay_factor must be > 1, got {self.weight_decay_factor!r}")
        if not self.max_weight_decay > 0:
            raise NashError(f"darts-ada option max_weight_decay must be positive, got {self.max_weight_decay!r}")


def next_weight_decay(current: float, factor: float, maximum: float) -> float | None:
    """The weight decay after one more roll-back, or None when `current` has reached the maximum."""
    if current >= maximum * (1 - 1e-9):
        return None
    return min(current * factor, maximum)


class DartsAda(DartsEs):
    """On a trigger: restore the named epoch's state, raise the weight decay, continue from there."""

    name = "darts-ada"
    options_type = DartsAdaOptions

    def __init__(self, space, network, train: TrainConfig, options: DartsAdaOptions) -> None:
        super().__init__(space, network, train, options)
        self.rollbacks: list[dict[str, Any]] = []

    @property
    def weight_decay(self) -> float:
        return float(self.weight_optimizer.param_groups[0]["weight_decay"])

    def set_weight_decay(self, value: float) -> None:
        for group in self.weight_optimizer.param_groups:
            group["weight_decay"] = value

    def keeps_state(self, epoch: int) -> bool:
        """Every epoch the rule may name later, while another roll-back is still possible."""
        rule = self.track.rule
        at_max = next_weight_decay(self.weight_decay, self.options.weight_decay_factor, self.options.max_weight_decay)
        return epoch % rule.every == 0 and epoch >= rule.start_epoch and at_max is not None

    def on_trigger(self, trigger: Trigger, end: EpochEnd) -> EpochDecision | None:
        raised = next_weight_decay(self.weight_decay, self.options.weight_decay_factor, self.options.max_weight_decay)
        if raised is None:
            return None  # the last iteration: the reference ignores the rule from here on
        history = [*self.rollbacks, {**_facts(trigger), "weight_decay": raised}]
        early_stop = self.early_stop or _facts(trigger)  # the first trigger: DARTS-ES's answer
        self.load_state_dict(end.saved_state(trigger.stop_epoch))
        self.rollbacks, self.early_stop = history, early_stop
        self.set_weight_decay(raised)
        return EpochDecision(trigger.stop_epoch)

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "weight_decay": self.weight_decay}

    def run_facts(self) -> dict[str, Any]:
        return {**super().run_facts(), "rollbacks": self.rollbacks, "weight_decay": self.weight_decay}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "rollbacks": [dict(r) for r in self.rollbacks]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.rollbacks = [dict(r) for r in state["rollbacks"]]
