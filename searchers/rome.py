"""ROME (Wang, Chu et al., ICCV 2023): single-path sampling with topology disentanglement and
gradient accumulation.

Each sampled architecture keeps two incoming edges per intermediate node (topology β,
`searchers.topology`) and runs one Gumbel-sampled op on each kept edge (op logits α, the
GDAS straight-through estimator). Per iteration, with accumulation on:

1. arch: K architectures on the same val batch; α and β step with the *mean* of their gradients;
2. weights: K fresh architectures on the same train batch; θ steps with the *sum* of their
   gradients, clipped as a whole.

Every part is a switch (`RomeOptions`). With both accumulations off the step *is* GDAS's
(one sample, weight step then arch step on it; same random draws in the same order), so
"all switches off = GDAS" holds exactly. With only one accumulation on, the iteration keeps
ROME's order and fresh samples per phase, and the other phase uses a single sample: the
switches change how many samples a phase averages or sums, never the order.

In the DARTS-family spaces (S0–S4) topology is on by default: β per intermediate node of each
cell type (`space.node_in_edges`, 8 nodes). On NAS-Bench-201 every node keeps all its inputs and
`none` is an op, so there is no topology to disentangle: ROME on NB201 is GDAS + gradient
accumulation (`topology=False`, which the nb201 profiles set; `topology=True` there is an error
before training).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.errors import NashError
from searchers.arch_weights import ArchWeights, node_option_weights
from searchers.base import Batch, StepStats
from searchers.derivation import op_argmax
from searchers.gdas import Gdas, GdasOptions, PathSample
from searchers.mixing import EdgeScaledMixer, SingleOpMixer
from searchers.topology import (
    TOP2,
    TOPOLOGY_SAMPLERS,
    NodeTopology,
    SampledPathMixer,
    TopologySample,
    edge_pairs,
    inclusion_probabilities,
)

# Spaces whose nodes keep every input (the reason, for the error message).
SPACES_WITHOUT_TOPOLOGY = {"nb201": "every node keeps all inputs"}


@dataclass(frozen=True)
class RomeOptions(GdasOptions):
    """ROME's switches (the paper's Table 6 ablation). τ as GDAS: linear per epoch, tau_max → tau_min."""

    k: int = 7  # architectures sampled per phase when accumulating
    topology: bool = True  # sample two incoming edges per node from β (needs a space with a topology)
    topology_sampler: str = TOP2  # "top2": Gumbel-Top2 over edges (v2); "pairs": Gumbel-Max over edge pairs (v1)
    accumulate_weights: bool = True  # θ steps with the sum of K samples' gradients
    accumulate_arch: bool = True  # α (and β) step with the mean of K samples' gradients

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise NashError(f"rome option k must be an integer >= 1 (architectures per phase), got {self.k!r}")
        if self.topology_sampler not in TOPOLOGY_SAMPLERS:
            raise NashError(
                f"unknown rome topology_sampler {self.topology_sampler!r}; valid: {', '.join(TOPOLOGY_SAMPLERS)}"
            )
        if not self.topology and self.topology_sampler != TOP2:
            raise NashError(
                f"rome topology_sampler={self.topology_sampler!r} has no effect with topology=false; "
                "set topology=true or leave the sampler at its default"
            )
        if self.k > 1 and not (self.accumulate_weights or self.accumulate_arch):
            raise NashError(
                f"rome k={self.k} has no effect with accumulate_weights and accumulate_arch both off "
                "(one sample per step, as GDAS): set k=1 or turn an accumulation on"
            )


class Rome(Gdas):
    """GDAS's single path plus topology sampling and K-sample gradient accumulation."""

    name = "rome"
    options_type = RomeOptions

    @classmethod
    def validate_for_space(cls, space: str, options: RomeOptions) -> None:
        super().validate_for_space(space, options)
        if options.topology and space in SPACES_WITHOUT_TOPOLOGY:
            raise NashError(
                f"{space} has no topology to disentangle: {SPACES_WITHOUT_TOPOLOGY[space]}; "
                f"use topology=false, which the {space} profiles set"
            )

    def __init__(self, space, network: nn.Module, train, options: RomeOptions) -> None:
        self.validate_for_space(space.name, options)
        node_in_edges = getattr(space, "node_in_edges", None)
        if options.topology and node_in_edges is None:
            raise NashError(
                f"{space.name} has no topology to disentangle: the space lists no incoming edges per node; "
                "use topology=false"
            )
        self.topology: NodeTopology | None = None  # before super().__init__, which reads arch_parameters()
        super().__init__(space, network, train, options)
        if options.topology:
            self.topology = NodeTopology(node_in_edges, options.topology_sampler, self.alpha.device)
            self.arch_optimizer.add_param_group({"params": [self.topology.beta]})

    def arch_parameters(self) -> list[Tensor]:
        return [self.alpha] + ([self.topology.beta] if self.topology else [])

    def draw_noise(self) -> list[Tensor]:
        """GDAS's op noise first (so topology off consumes exactly GDAS's random numbers), then β's per node."""
        noise = super().draw_noise()
        return noise if self.topology is None else noise + self.topology.draw_noise()

    def sample_check(self, noise: list[Tensor]) -> tuple[Tensor, Tensor]:
        finite, index = super().sample_check(noise)
        if self.topology is None:
            return finite, index
        topology_finite, kept = self.topology.sample_check(self.tau, noise[1:])
        return finite & topology_finite, torch.cat([index, kept])

    def mixer_for(self, sample: PathSample, with_graph: bool) -> SingleOpMixer:
        """GDAS's single path, with topology each edge also scaled by its straight-through keep weight."""
        mixer = super().mixer_for(sample, with_graph)
        if self.topology is None:
            return mixer
        kept = sample.host[self.alpha.shape[0] :]
        topology = self.topology.sample(self.tau, sample.noise[1:], kept, with_graph=with_graph)
        weights = self.topology.edge_weights(topology, self.space.num_edges)
        return SampledPathMixer(
            mixer.hard, mixer.index, weights, self.topology.kept_edges(topology), mixer.unselected is not None
        )

    def relaxed_mixer(self):
        """softmax(α) on every edge; with topology, each edge also scaled by its probability of being kept."""
        mixer = super().relaxed_mixer()
        if self.topology is None:
            return mixer
        return EdgeScaledMixer(mixer, self.keep_probabilities())

    def keep_probabilities(self) -> Tensor:
        """P(edge kept) under the topology sampler, differentiable in β (the relaxed topology)."""
        topology, masks = self.topology, []
        for logits, degree in zip(topology.node_logits(), topology.in_degrees, strict=True):
            probs = F.softmax(logits, dim=-1)
            if topology.sampler == TOP2:
                masks.append(inclusion_probabilities(probs))
            else:  # pairs: an edge is kept with every pair that contains it
                incidence = torch.zeros(len(probs), degree, dtype=probs.dtype, device=probs.device)
                for p, (i, j) in enumerate(edge_pairs(degree)):
                    incidence[p, i] = incidence[p, j] = 1.0
                masks.append(probs @ incidence)
        return topology.edge_weights(TopologySample(masks, []), self.space.num_edges)

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        if not (self.options.accumulate_arch or self.options.accumulate_weights):
            return super().step(train_batch, val_batch)  # GDAS: one sample, weight step then arch step
        k = self.options.k
        val_loss, val_correct, val_count = self._arch_phase(val_batch, k if self.options.accumulate_arch else 1)
        train_loss, train_correct, train_count = self._weight_phase(
            train_batch, k if self.options.accumulate_weights else 1
        )
        return StepStats(train_loss, train_correct, train_count, val_loss, val_correct, val_count)

    def _arch_phase(self, batch: Batch, samples: int) -> tuple[Tensor, Tensor, int]:
        """Adam on α (and β) with the mean gradient of `samples` architectures on one val batch."""
        self.arch_optimizer.zero_grad(set_to_none=True)
        loss_sum, correct = self._accumulate(batch, samples, arch=True)
        for parameter in self.arch_parameters():
            if parameter.grad is not None:
                parameter.grad.div_(samples)
        self.arch_optimizer.step()
        return loss_sum, correct, samples * batch[1].shape[0]

    def _weight_phase(self, batch: Batch, samples: int) -> tuple[Tensor, Tensor, int]:
        """SGD on θ with the summed gradient of `samples` fresh architectures on one train batch, clipped."""
        self.weight_optimizer.zero_grad(set_to_none=True)
        loss_sum, correct = self._accumulate(batch, samples, arch=False)
        nn.utils.clip_grad_norm_(self.network.parameters(), self.train.grad_clip)
        self.weight_optimizer.step()
        return loss_sum, correct, samples * batch[1].shape[0]

    def _accumulate(self, batch: Batch, samples: int, *, arch: bool) -> tuple[Tensor, Tensor]:
        """Backward of `samples` freshly sampled architectures; gradients add up in .grad.

        The phase's samples are drawn first, in one host read (α and β do not change within a phase).

        The weight phase samples without a graph to α/β and clips θ alone: ROME's own phase (no
        reference code exists); `clip_includes_arch` applies where ROME is GDAS (both accumulations off).
        """
        loss_sum, correct = None, None
        inputs = self.arch_parameters() if arch else None  # the arch phase needs no θ gradient
        for sample in self.draw_samples(samples):
            sample_loss, sample_correct = self._backward(batch, self.mixer_for(sample, with_graph=arch), inputs)
            loss_sum = sample_loss if loss_sum is None else loss_sum + sample_loss
            correct = sample_correct if correct is None else correct + sample_correct
        return loss_sum, correct

    def genotype(self):
        """Topology on: the two most likely edges per node by β, argmax non-`none` α on each.

        Off: GDAS's derivation (argmax α per edge on NB201; top-2 (op, input) pairs per node with cells).
        """
        if self.topology is None:
            return super().genotype()
        ops = op_argmax(self.alpha, getattr(self.space, "none_index", None))
        return self.space.genotype_from_kept_edges(self.topology.most_likely_edges(), ops)

    def arch_weights(self) -> ArchWeights:
        """softmax(α) per edge; with topology, softmax(β) per node over its incoming edges (or edge pairs)."""
        weights = super().arch_weights()
        if self.topology is not None:
            labels = self.topology.option_labels(self.space.edge_label)
            weights["beta"] = node_option_weights(self.space.node_labels, labels, self.topology.probabilities())
        return weights

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        if self.topology is not None:
            state["beta"] = self.topology.beta.detach().clone()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        if self.topology is not None:
            with torch.no_grad():
                self.topology.beta.copy_(state["beta"])
