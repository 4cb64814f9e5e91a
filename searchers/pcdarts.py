"""PC-DARTS (Xu et al., ICLR 2020): partial channels, edge normalisation, arch warm-up.

First order, DARTS order per iteration (arch step on the val batch, then weight step). During
the first `warmup_epochs` epochs neither α nor β moves: only the weights train. The val batch
still runs forward (without gradients) so the val loss/accuracy columns cover every epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.errors import NashError
from benchmarks.kernels.mix_plan import MixPlan, plan_of
from benchmarks.nb201.arch import EDGES, NUM_NODES
from searchers.arch_weights import ArchWeights, node_option_weights
from searchers.base import Batch, BilevelSearcher, StepStats, TrainConfig, batch_sums
from searchers.derivation import strongest_edges_genotype
from searchers.mixing import FixedArchMixer, SoftmaxMixer, scaled_plan
from searchers.partial_channels import edge_normalization, partial_channel_edge


@dataclass(frozen=True)
class PcDartsOptions:
    """`k`: 1/k of each edge's channels go through the mixed op; `warmup_epochs`: epochs without arch updates."""

    k: int = 4
    warmup_epochs: int = 15

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise NashError(
                f"pcdarts option k must be an integer >= 1 (1/k of the channels are searched), got {self.k!r}"
            )
        if isinstance(self.warmup_epochs, bool) or not isinstance(self.warmup_epochs, int) or self.warmup_epochs < 0:
            raise NashError(f"pcdarts option warmup_epochs must be an integer >= 0, got {self.warmup_epochs!r}")


def nb201_node_edges() -> list[list[int]]:
    """Incoming edge indices of each NB201 node 1..3 (the grouping edge normalisation uses)."""
    return [[e for e, (_, dest) in enumerate(EDGES) if dest == node] for node in range(1, NUM_NODES)]


class PartialChannelMixer:
    """Edge = softmax(β)-over-the-node weight × partial-channel edge whose slice goes through `mixed`.

    `mixed` is the softmax(α) mixture in the search, a fixed op per edge when ranking cells.
    Nodes sum their incoming edges, so scaling each edge by its normalised β gives
    node = Σ_edges softmax_node(β)·edge. `strides[e]` tells the bypass of edge e to max-pool (2).
    """

    def __init__(self, mixed, edge_weights: Tensor, k: int, strides: Sequence[int]) -> None:
        self.mixed = mixed
        self.edge_weights = edge_weights
        self.k = k
        self.strides = strides

    def __call__(self, edge: int, ops: nn.ModuleList, x: Tensor) -> Tensor:
        out = partial_channel_edge(x, self.k, lambda part: self.mixed(edge, ops, part), stride=self.strides[edge])
        return self.edge_weights[edge] * out

    def plan(self) -> MixPlan | None:
        """The inner mixer's plan on C/K channels, every edge scaled (bypass included) by its weight."""
        plan = scaled_plan(plan_of(self.mixed), self.edge_weights)
        return None if plan is None else replace(plan, partial_channels=self.k)


class PcDarts(BilevelSearcher):
    """Partial-channel supernet, α per (edge, op) and β per edge, both on Adam after the warm-up."""

    name = "pcdarts"
    options_type = PcDartsOptions

    @classmethod
    def build_supernet(cls, space, *, num_classes, options: PcDartsOptions, **network):
        cls.check_run(options, epochs=None, channels=network["channels"])
        op_channels = network["channels"] // options.k
        reducing_skips = any(
            stride == 2 and "skip_connect" in space.edge_ops(e) for e, stride in enumerate(space.edge_strides)
        )
        if op_channels % 2 and reducing_skips:  # skip_connect at stride 2 is a FactorizedReduce (two halves)
            raise NashError(
                f"pcdarts: {network['channels']} channels / k={options.k} leaves {op_channels} per op, but "
                f"{space.name} has skip_connect on stride-2 edges, which needs an even count; change k or channels"
            )
        return space.build_supernet(num_classes=num_classes, op_channels_divisor=options.k, **network)

    @classmethod
    def check_run(cls, options: PcDartsOptions, *, epochs: int | None, channels: int) -> None:
        if channels % options.k:
            raise NashError(
                f"pcdarts option k={options.k} must divide the supernet's {channels} channels "
                "(set searcher.k or network.channels)"
            )
        if epochs is not None and options.warmup_epochs >= epochs:
            raise NashError(
                f"pcdarts warm-up of {options.warmup_epochs} epochs leaves no architecture update in a "
                f"{epochs}-epoch run; set searcher.warmup_epochs below {epochs}"
            )

    def __init__(self, space, network: nn.Module, train: TrainConfig, options: PcDartsOptions) -> None:
        self.node_edges = [list(edges) for edges in space.node_edge_groups]  # per node and cell type
        device = next(network.parameters()).device
        self.beta = nn.Parameter(1e-3 * torch.randn(space.num_edges).to(device))  # CPU draw, as α
        super().__init__(space, network, train, options)
        self.arch_updates = options.warmup_epochs == 0

    def arch_parameters(self) -> list[Tensor]:
        return [self.alpha, self.beta]

    def new_epoch(self, epoch: int, total: int) -> None:
        super().new_epoch(epoch, total)
        self.arch_updates = epoch >= self.options.warmup_epochs

    def mixer(self, detached: bool) -> PartialChannelMixer:
        alpha, beta = (self.alpha.detach(), self.beta.detach()) if detached else (self.alpha, self.beta)
        return PartialChannelMixer(
            SoftmaxMixer(F.softmax(alpha, dim=-1)),
            edge_normalization(beta, self.node_edges),
            self.options.k,
            self.space.edge_strides,
        )

    def relaxed_mixer(self) -> PartialChannelMixer:
        return self.mixer(detached=False)  # the arch step's own loss: softmax(α) and softmax(β)

    def fixed_arch_mixer(self, op_indices: list[int]) -> PartialChannelMixer:
        """One op per edge on the partial channels, edges still weighted by softmax(β) as they were trained."""
        return PartialChannelMixer(
            FixedArchMixer(op_indices), self.edge_weights(), self.options.k, self.space.edge_strides
        )

    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        if self.arch_updates:
            val_loss, val_correct = self.arch_step(val_batch, self.mixer(detached=False))
        else:
            with torch.no_grad():
                logits = self.forward(val_batch[0], self.mixer(detached=True))
                val_loss, val_correct = batch_sums(logits, val_batch[1], F.cross_entropy(logits, val_batch[1]))
        train_loss, train_correct = self.weight_step(train_batch, self.mixer(detached=True))
        return StepStats(
            train_loss, train_correct, train_batch[1].shape[0], val_loss, val_correct, val_batch[1].shape[0]
        )

    def edge_weights(self) -> Tensor:
        return edge_normalization(self.beta.detach(), self.node_edges)

    def cell_genotype(self):
        """Per node the 2 edges with the largest max non-`none` softmax(α)·softmax(β), argmax non-`none` op."""
        return strongest_edges_genotype(self.space, self.op_probabilities(), self.edge_weights())

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "arch_updates": float(self.arch_updates)}

    def arch_weights(self) -> ArchWeights:
        """softmax(α) per edge, and β's edge normalisation per node over its incoming edges."""
        weights = self.edge_weights().cpu().tolist()
        labels = [[self.space.edge_label(e) for e in edges] for edges in self.node_edges]
        values = [[weights[e] for e in edges] for edges in self.node_edges]
        return {**super().arch_weights(), "beta": node_option_weights(self.space.node_labels, labels, values)}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "beta": self.beta.detach().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        with torch.no_grad():
            self.beta.copy_(state["beta"])
