"""GDAS (Dong & Yang, CVPR 2019): one Gumbel-sampled op per edge, straight-through gradient."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from benchmarks.errors import NashError
from searchers.base import Batch, BilevelSearcher, StepStats
from searchers.derivation import top_pairs_genotype
from searchers.mixing import SingleOpMixer, gumbel_sample_check, gumbel_softmax_hard, read_on_host, sample_gumbel

# Spaces whose GDAS reference cell adds the unselected ops' hard weights to each edge's output.
UNSELECTED_BY_REFERENCE = {"nb201"}


@dataclass(frozen=True)
class GdasOptions:
    """GDAS's switches; the defaults are the authors' code (AutoDL-Projects `exps/NAS-Bench-201-algos/GDAS.py`,
    `exps/algos/GDAS.py`, the cells of `xautodl/models/cell_searchs/`), which produced NAS-Bench-201's GDAS rows.

    τ is annealed linearly per epoch from `tau_max` to `tau_min`.
    `sample_per_step`: the weight step and the arch step each draw their own Gumbel sample (the reference
    calls the network twice per iteration and every forward draws fresh noise); false: one sample drives both.
    `unselected_hard_weights`: each edge's output also gets the hard weights of its unselected ops (value 0,
    straight-through gradient to their α); None = as the reference cell of the space (on in nb201, off in
    the DARTS-family spaces, whose reference `MixedOp.forward_gdas` returns only the sampled op's term).
    `clip_includes_arch`: the weight step's gradient-norm clip also counts α's gradient as it stands then:
    the previous arch step's gradient plus the weight forward's own (the reference clips
    `network.parameters()`, which include its α, and clears α's gradient only before the arch step);
    α is never stepped by the weight step. False: the clip counts θ alone.
    `distinct_edges` (DARTS-family spaces only): the derived node's two (op, input) pairs must come
    from two different edges; off (default) follows the reference code, which may keep two ops of one edge.
    """

    tau_max: float = 10.0
    tau_min: float = 0.1
    distinct_edges: bool = False
    sample_per_step: bool = True
    unselected_hard_weights: bool | None = None
    clip_includes_arch: bool = True

    def __post_init__(self) -> None:
        if not (self.tau_min > 0 and self.tau_max > 0):
            raise NashError(f"tau_max and tau_min must be positive, got tau_max={self.tau_max}, tau_min={self.tau_min}")
        if self.tau_min > self.tau_max:
            raise NashError(f"tau_min ({self.tau_min}) must not exceed tau_max ({self.tau_max}): tau decreases")
        for name in ("distinct_edges", "sample_per_step", "clip_includes_arch"):
            if not isinstance(getattr(self, name), bool):
                raise NashError(f"option {name} must be true or false, got {getattr(self, name)!r}")
        if not (self.unselected_hard_weights is None or isinstance(self.unselected_hard_weights, bool)):
            raise NashError(
                "option unselected_hard_weights must be true, false or none (as the space's reference code), "
                f"got {self.unselected_hard_weights!r}"
            )


MAX_DRAWS = 100  # redraws of a non-finite sample before giving up (the logits themselves are not finite)


@dataclass
class PathSample:
    """One sampled path: its Gumbel noise, and what the forward needs on the host (the op per edge).

    `noise`: the op noise first, then any a subclass adds (ROME: per node its topology noise); `host`: the
    sampled indices read from the device (the op per edge first, then the subclass's).
    """

    noise: list[Tensor]
    host: list[int] = field(default_factory=list)


def linear_tau(tau_max: float, tau_min: float, epoch: int, total: int) -> float:
    """τ at `epoch`: tau_max at the first epoch, tau_min at the last."""
    if total <= 1:
        return tau_max
    return tau_max - (tau_max - tau_min) * epoch / (total - 1)


class Gdas(BilevelSearcher):
    """Weight step then arch step, each on its own hard sample of one op per edge (by default)."""

    name = "gdas"
    options_type = GdasOptions

    @classmethod
    def validate_for_space(cls, space: str, options: GdasOptions) -> None:
        if options.distinct_edges and space == "nb201":
            raise NashError("distinct_edges has no effect on nb201 (every node keeps all its edges); leave it false")

    def __init__(self, space, network, train, options: GdasOptions) -> None:
        super().__init__(space, network, train, options)
        self.tau = options.tau_max
        reference = space.name in UNSELECTED_BY_REFERENCE
        self.unselected = reference if options.unselected_hard_weights is None else options.unselected_hard_weights

    def new_epoch(self, epoch: int, total: int) -> None:
        super().new_epoch(epoch, total)
        self.tau = linear_tau(self.options.tau_max, self.options.tau_min, epoch, total)

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        # The weight step changes θ only, so both samples come from this α: drawn together, one host read.
        # The weight forward keeps the graph to α only when the clip counts α's gradient.
        samples = self.draw_samples(2 if self.options.sample_per_step else 1)
        train_loss, train_correct = self.weight_step(
            train_batch, self.mixer_for(samples[0], self.options.clip_includes_arch)
        )
        val_loss, val_correct = self.arch_step(val_batch, self.mixer_for(samples[-1], True))
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )

    def clipped_parameters(self) -> list[Tensor]:
        """What the weight step's gradient-norm clip counts: θ, plus α when `clip_includes_arch` (reference)."""
        extra = self.arch_parameters() if self.options.clip_includes_arch else []
        return [*self.network.parameters(), *extra]

    def draw_samples(self, count: int) -> list[PathSample]:
        """`count` independent samples from the current α (β): the noise drawn sample by sample (CPU
        generator), then every sample's indices and finiteness check read to the host at once, the one
        read a single-path step needs (the forward calls only the sampled modules). A sample whose noise
        or scores are not finite is drawn again, whole (GDAS redraws inf/nan samples)."""
        samples = [PathSample(self.draw_noise()) for _ in range(count)]
        for _ in range(MAX_DRAWS):
            checks = [self.sample_check(sample.noise) for sample in samples]
            rows = read_on_host([torch.cat([finite.view(1).long(), index.long()]) for finite, index in checks])
            bad = [i for i, (ok, *_) in enumerate(rows) if not ok]
            if not bad:
                for sample, (_ok, *host) in zip(samples, rows, strict=True):
                    sample.host = host
                return samples
            for i in bad:
                samples[i] = PathSample(self.draw_noise())
        raise FloatingPointError("could not draw a finite Gumbel sample; the architecture logits are not finite")

    def draw_noise(self) -> list[Tensor]:
        return [sample_gumbel(self.alpha.shape, self.alpha.device)]

    def sample_check(self, noise: list[Tensor]) -> tuple[Tensor, Tensor]:
        """(all finite, indices to read) of one sample's noise, on the device."""
        return gumbel_sample_check(self.alpha, self.tau, noise[0])

    def mixer_for(self, sample: PathSample, with_graph: bool) -> SingleOpMixer:
        """The sample's single-path mixer; `with_graph`: its hard weights carry the graph to α."""
        hard, _ = gumbel_softmax_hard(self.alpha if with_graph else self.alpha.detach(), self.tau, sample.noise[0])
        return SingleOpMixer(hard, sample.host[: self.alpha.shape[0]], self.unselected)

    def sample_mixer(self, with_graph: bool) -> SingleOpMixer:
        """A fresh sample's mixer (one host read)."""
        return self.mixer_for(self.draw_samples(1)[0], with_graph)

    def cell_genotype(self):
        """DARTS-family spaces: per node the top-2 (op, input) pairs by softmax(α), `none` excluded."""
        return top_pairs_genotype(self.space, self.op_probabilities(), self.options.distinct_edges)

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "tau": self.tau}

    def state_dict(self):
        # α's gradient outlives the step (the next weight step's clip counts it): the base class keeps it.
        return {**super().state_dict(), "tau": self.tau}

    def load_state_dict(self, state) -> None:
        super().load_state_dict(state)
        self.tau = state["tau"]
