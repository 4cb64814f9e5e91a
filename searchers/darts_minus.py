"""DARTS- (Chu et al., ICLR 2021): DARTS with an auxiliary skip connection on every edge, decayed to 0.

Every edge adds β·skip(x) to its softmax(α) mixture, in the arch step and the weight step alike:
the skip's benefit to training is given to every edge outside α, so the learned `skip_connect`
weight no longer has to carry it, which is what DARTS- argues makes DARTS collapse. β is a schedule,
not a parameter: `linear` β₀·(1 − e/E) or `cosine` β₀·(1 + cos(πe/E))/2 at epoch e of E, so it
reaches 0 at the end of the search (the last trained epoch has β₀/E with `linear`), and the derived
cell (DARTS's rule on α) is the network without it. On stride-2 edges (the reduction cells' edges
from the cell inputs) the skip is its own FactorizedReduce, with its own weights.

Source: Meituan-AutoML/DARTS- `src/search/model_search.py` (`MixedOp`: the auxiliary op, Identity or
FactorizedReduce at stride 2, added as `aux(x) · decay_rate`), `src/utils.py` (`DecayScheduler`, stepped
by epoch), `scripts/run_darts_minus.sh` (`--auxiliary_skip --skip_beta 1 --decay linear`; its
`decay_max_epoch` 50 is the search's 50 epochs, so nash decays over the run's epochs). First order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from benchmarks.darts.ops import FactorizedReduce
from benchmarks.errors import NashError
from searchers.darts import Darts, DartsOptions
from searchers.mixing import AuxiliarySkipMixer

DECAYS = ("linear", "cosine")


@dataclass(frozen=True)
class DartsMinusOptions(DartsOptions):
    """`beta`: the auxiliary skip's weight at epoch 0; `decay`: how it falls to 0 over the search."""

    beta: float = 1.0  # --skip_beta 1 (scripts/run_darts_minus.sh)
    decay: str = "linear"  # --decay linear (same script)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.beta >= 0:
            raise NashError(f"darts-minus option beta must be >= 0, got {self.beta!r}")
        if self.decay not in DECAYS:
            raise NashError(f"darts-minus option decay must be one of {', '.join(DECAYS)}, got {self.decay!r}")


def aux_skip_beta(beta: float, decay: str, epoch: int, total: int) -> float:
    """β at `epoch` of a `total`-epoch search: beta at epoch 0, 0 at epoch `total`."""
    progress = epoch / max(total, 1)
    if decay == "linear":
        return beta * (1 - progress)
    return beta * (1 + math.cos(math.pi * progress)) / 2


def stride_two_edges(network: nn.Module, space) -> list[tuple[nn.ModuleList, int]]:
    """(op list, channels) of every stride-2 edge of a DARTS-family search network, in module order.

    Reads the network's `cells` (each with `edges`, `offset` and its preprocessing BN width); NB201
    networks have no stride-2 edge (their reductions are fixed residual blocks).
    """
    found = []
    for cell in getattr(network, "cells", ()):
        channels = next(m.num_features for m in cell.preprocess1.modules() if isinstance(m, nn.BatchNorm2d))
        for e, ops in enumerate(cell.edges):
            if space.edge_strides[cell.offset + e] == 2:
                found.append((ops, channels))
    return found


class DartsMinus(Darts):
    """DARTS whose arch-step and weight-step mixers both add the decaying auxiliary skip."""

    name = "darts-minus"
    options_type = DartsMinusOptions

    @classmethod
    def build_supernet(cls, space, *, num_classes: int, options, **network) -> nn.Module:
        """The space's supernet plus one FactorizedReduce per stride-2 edge (`auxiliary_skips`)."""
        net = space.build_supernet(num_classes=num_classes, **network)
        affine = network.get("affine", False)
        net.auxiliary_skips = nn.ModuleList(FactorizedReduce(c, c, affine) for _ops, c in stride_two_edges(net, space))
        return net

    def __init__(self, space, network, train, options: DartsMinusOptions) -> None:
        super().__init__(space, network, train, options)
        edges = stride_two_edges(network, space)
        skips = getattr(network, "auxiliary_skips", None)
        if edges and skips is None:
            raise ValueError("darts-minus needs the supernet of DartsMinus.build_supernet (its stride-2 skips)")
        self.reducers = {ops: reducer for (ops, _c), reducer in zip(edges, skips or (), strict=True)}
        self.beta = options.beta

    def new_epoch(self, epoch: int, total: int) -> None:
        super().new_epoch(epoch, total)
        self.beta = aux_skip_beta(self.options.beta, self.options.decay, epoch, total)

    def relaxed_mixer(self) -> AuxiliarySkipMixer:
        return AuxiliarySkipMixer(super().relaxed_mixer(), self.beta, self.reducers)

    def weight_mixer(self) -> AuxiliarySkipMixer:
        return AuxiliarySkipMixer(super().weight_mixer(), self.beta, self.reducers)

    def epoch_facts(self) -> dict[str, float]:
        return {**super().epoch_facts(), "aux_skip_beta": self.beta}

    def state_dict(self):
        return {**super().state_dict(), "aux_skip_beta": self.beta}

    def load_state_dict(self, state) -> None:
        super().load_state_dict(state)
        self.beta = float(state["aux_skip_beta"])
