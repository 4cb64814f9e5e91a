"""DARTS-ES (Zela et al., ICLR 2020, RobustDARTS §4.3): DARTS with early stopping on the Hessian eigenvalue.

Second-order DARTS, as RobustDARTS searched (`--unrolled` in scripts/DARTS-ADA_search.sh; the
README says DARTS-ES is the cell an ADA run logs at its first roll-back). The dominant eigenvalue
of the validation-loss Hessian w.r.t. α is measured after epochs 0, 2, 4, … (`eigenvalue_every`);
when `searchers.eigen_stop`'s rule fires the search ends and returns the cell of the epoch the rule
names, an earlier one: the runner drops the rows after it, so the run's last row is its result.
`run.json` `searcher_facts.early_stop` says where the rule fired (null: it never did, and the
result is the last epoch's cell, as in the reference).

The eigenvalue is nash's instrument (`harness.instruments.search_instruments`): power iteration on the mean arch loss
of 2 fixed val batches (`analysis.eigenvalue_batches`), and the rule reads the largest algebraic
eigenvalue (`hessian_max_eigenvalue`), as the reference's `max(eigvals(H))`. The reference builds
the whole Hessian on the last search batch of the epoch (plus the arch weight decay, 1e-3·I); the
fixed batches make the series less noisy and the same for every run of a benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from searchers.base import EpochDecision, EpochEnd, TrainConfig
from searchers.darts import DartsSecondOrder, DartsSecondOrderOptions
from searchers.eigen_stop import EigenStopRule, EigenvalueTrack, Trigger

MAX_EIGEN_COLUMN = "hessian_max_eigenvalue"  # the runner adds it on the epochs `wants_eigenvalue` names


@dataclass(frozen=True)
class DartsEsOptions(DartsSecondOrderOptions):
    """The stop rule's switches (`searchers.eigen_stop`, defaults from RobustDARTS' code); `unrolled` as DARTS."""

    eigenvalue_every: int = 2
    window: int = 5
    delta: int = 4
    factor: float = 1.3
    start_epoch: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rule()  # validates

    def rule(self) -> EigenStopRule:
        return EigenStopRule(self.eigenvalue_every, self.window, self.delta, self.factor, self.start_epoch)


class DartsEs(DartsSecondOrder):
    """DARTS second order + the eigenvalue stop rule; subclasses decide what a trigger does (`on_trigger`)."""

    name = "darts-es"
    options_type = DartsEsOptions

    def __init__(self, space, network, train: TrainConfig, options: DartsEsOptions) -> None:
        super().__init__(space, network, train, options)
        self.track = EigenvalueTrack(options.rule())
        self.early_stop: dict[str, Any] | None = None

    def wants_eigenvalue(self, epoch: int, total: int) -> bool:
        return self.track.rule.measures(epoch, total)

    def end_epoch(self, end: EpochEnd) -> EpochDecision | None:
        if not self.wants_eigenvalue(end.epoch, end.total):
            return None  # an eigenvalue the analysis asked for is not part of the rule's series
        trigger = self.track.observe(end.epoch, float(end.row[MAX_EIGEN_COLUMN]))
        return None if trigger is None else self.on_trigger(trigger, end)

    def on_trigger(self, trigger: Trigger, end: EpochEnd) -> EpochDecision | None:
        self.early_stop = _facts(trigger)
        return EpochDecision(trigger.stop_epoch, stop=True)

    def run_facts(self) -> dict[str, Any]:
        return {"early_stop": self.early_stop}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "eigen_track": self.track.state_dict(), "early_stop": self.early_stop}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.track.load_state_dict(state["eigen_track"])
        self.early_stop = state["early_stop"]


def _facts(trigger: Trigger) -> dict[str, Any]:
    return {"trigger_epoch": trigger.trigger_epoch, "stop_epoch": trigger.stop_epoch, "ratio": trigger.ratio}
