"""GDAS (Dong & Yang, CVPR 2019): one Gumbel-sampled op per edge, straight-through gradient."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.errors import NashError
from searchers.base import Batch, BilevelSearcher, StepStats
from searchers.derivation import top_pairs_genotype
from searchers.mixing import SingleOpMixer, draw_finite_gumbel, gumbel_softmax_hard


@dataclass(frozen=True)
class GdasOptions:
    """τ is annealed linearly per epoch from `tau_max` to `tau_min`.

    `distinct_edges` (DARTS-family spaces only): the derived node's two (op, input) pairs must come
    from two different edges; off (default) follows the reference code, which may keep two ops of one edge.
    """

    tau_max: float = 10.0
    tau_min: float = 0.1
    distinct_edges: bool = False

    def __post_init__(self) -> None:
        if not (self.tau_min > 0 and self.tau_max > 0):
            raise NashError(f"tau_max and tau_min must be positive, got tau_max={self.tau_max}, tau_min={self.tau_min}")
        if self.tau_min > self.tau_max:
            raise NashError(f"tau_min ({self.tau_min}) must not exceed tau_max ({self.tau_max}): tau decreases")
        if not isinstance(self.distinct_edges, bool):
            raise NashError(f"option distinct_edges must be true or false, got {self.distinct_edges!r}")


def linear_tau(tau_max: float, tau_min: float, epoch: int, total: int) -> float:
    """τ at `epoch`: tau_max at the first epoch, tau_min at the last."""
    if total <= 1:
        return tau_max
    return tau_max - (tau_max - tau_min) * epoch / (total - 1)


class Gdas(BilevelSearcher):
    """Weight step then arch step, both on the same hard sample of one op per edge."""

    name = "gdas"
    options_type = GdasOptions

    @classmethod
    def validate_for_space(cls, space: str, options: GdasOptions) -> None:
        if options.distinct_edges and space == "nb201":
            raise NashError("distinct_edges has no effect on nb201 (every node keeps all its edges); leave it false")

    def __init__(self, space, network, train, options: GdasOptions) -> None:
        super().__init__(space, network, train, options)
        self.tau = options.tau_max

    def new_epoch(self, epoch: int, total: int) -> None:
        super().new_epoch(epoch, total)
        self.tau = linear_tau(self.options.tau_max, self.options.tau_min, epoch, total)

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        weight_mixer, arch_mixer = self.sample_mixers()
        train_loss, train_correct = self.weight_step(train_batch, weight_mixer)
        val_loss, val_correct = self.arch_step(val_batch, arch_mixer)
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )

    def sample_mixers(self) -> tuple[SingleOpMixer, SingleOpMixer]:
        """One Gumbel draw → (weight-step mixer, arch-step mixer) that run the same op per edge.

        The weight-step mixer takes α as a constant (sample from a detached copy); the arch-step
        mixer carries the straight-through graph to α. Subclasses (ROME) extend the sample.
        """
        gumbel = draw_finite_gumbel(self.alpha, self.tau)
        hard, index = gumbel_softmax_hard(self.alpha.detach(), self.tau, gumbel)
        ops = index.tolist()
        arch_hard, _ = gumbel_softmax_hard(self.alpha, self.tau, gumbel)
        return SingleOpMixer(hard, ops), SingleOpMixer(arch_hard, ops)

    def cell_genotype(self):
        """DARTS-family spaces: per node the top-2 (op, input) pairs by softmax(α), `none` excluded."""
        return top_pairs_genotype(self.space, self.op_probabilities(), self.options.distinct_edges)

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "tau": self.tau}

    def state_dict(self):
        return {**super().state_dict(), "tau": self.tau}

    def load_state_dict(self, state) -> None:
        super().load_state_dict(state)
        self.tau = state["tau"]
