"""The searcher contract, and the bi-level machinery DARTS-family searchers share.

A searcher owns its architecture parameters and both optimisers, decides how each edge
is mixed or sampled (by handing an `EdgeMixer` to the shared supernet), performs one
bi-level iteration per `step`, and derives the genotype. It never loops over epochs,
loads data, or writes files: that is the harness's job.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.errors import NashError
from benchmarks.registry.spaces import SPACE_NAMES
from searchers.arch_weights import ArchWeights, edge_op_weights
from searchers.derivation import has_cells, strongest_edges_genotype
from searchers.mixing import FixedArchMixer, SoftmaxMixer
from searchers.precision import ForwardMode, run_forward, to_memory_format

Batch = tuple[Tensor, Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser settings of the bi-level search (defaults: the NAS-Bench-201 search setting)."""

    epochs: int = 50
    batch_size: int = 64
    lr: float = 0.025
    lr_min: float = 0.001
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float = 5.0
    arch_lr: float = 3e-4
    arch_beta1: float = 0.5
    arch_beta2: float = 0.999
    arch_weight_decay: float = 1e-3
    # Weight lr warm-up: epoch e < lr_warmup_epochs uses lr·(e+1)/lr_warmup_epochs instead of the cosine value
    # (PC-DARTS's ImageNet search, train_search_imagenet.py: 5 epochs at batch > 256). 0 = none.
    lr_warmup_epochs: int = 0
    # Gradient-norm clip of the arch step (PC-DARTS's ImageNet search clips α and β at 5). 0 = none.
    arch_grad_clip: float = 0.0


@dataclass
class StepStats:
    """Sums over one iteration's batches, kept as device tensors so the loop never syncs."""

    train_loss_sum: Tensor
    train_correct: Tensor
    train_count: int
    val_loss_sum: Tensor
    val_correct: Tensor
    val_count: int


@dataclass(frozen=True)
class EpochEnd:
    """What the epoch loop tells a searcher after each epoch (`Searcher.end_epoch`).

    `row` is the epoch's finished row (genotype, losses, `hessian_eigenvalue` where measured);
    `saved_state(e)` returns the `state_dict()` the runner kept after an earlier epoch e of this
    trajectory, for an e where `keeps_state(e)` was true (KeyError otherwise).
    """

    epoch: int
    total: int
    row: Mapping[str, Any]
    saved_state: Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class EpochDecision:
    """A searcher's answer to the epoch loop: keep epochs 0..last_epoch, then stop or go on from there.

    stop=False (roll back): the rows after `last_epoch` are dropped and the search continues with
    epoch last_epoch + 1; the searcher has already put itself in the state it continues from.
    stop=True: the rows after `last_epoch` are dropped and the search ends; its result is the row of
    `last_epoch` (RobustDARTS' early stop returns the cell of an earlier epoch).
    """

    last_epoch: int
    stop: bool = False


class Searcher(ABC):
    """One differentiable NAS algorithm behind the harness's contract.

    Optional epoch-level control (RobustDARTS' early stop and adaptive regularisation): a searcher
    may ask for the dominant Hessian eigenvalue of chosen epochs (`wants_eigenvalue`), have the
    runner keep its state after chosen epochs (`keeps_state`), and answer each finished epoch with
    an `EpochDecision` (`end_epoch`). The defaults do none of this.
    """

    name: ClassVar[str]
    options_type: ClassVar[type]  # dataclass of the searcher's own switches; validates in __post_init__
    spaces: ClassVar[tuple[str, ...]] = SPACE_NAMES  # search spaces this searcher can run on

    @classmethod
    def validate_for_space(cls, space: str, options: Any) -> None:
        """Raise NashError when `options` make no sense on the named space (checked before any training)."""
        return None  # most searchers' options mean the same on every space they run on

    @classmethod
    def build_supernet(cls, space, *, num_classes: int, options: Any, **network: Any) -> nn.Module:
        """The supernet this searcher searches; override when it needs a different one (e.g. partial channels).

        `network` holds the size fields the space uses (`space.network_fields`): channels and
        cells_per_stage (NB201) or layers and stem_multiplier (DARTS spaces), and affine.
        """
        return space.build_supernet(num_classes=num_classes, **network)

    @classmethod
    def check_run(cls, options: Any, *, epochs: int | None, channels: int) -> None:
        """Raise NashError when the options cannot work with this run (checked before anything is written)."""
        return None  # nothing to check by default

    @abstractmethod
    def arch_parameters(self) -> list[Tensor]: ...

    @abstractmethod
    def new_epoch(self, epoch: int, total: int) -> None:
        """Apply per-epoch schedules (learning rates, τ, warm-up)."""

    @abstractmethod
    def step(self, train_batch: Batch, val_batch: Batch) -> StepStats:
        """One bi-level iteration."""

    @abstractmethod
    def genotype(self) -> Any:
        """The currently derived architecture."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]: ...

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def epoch_facts(self) -> dict[str, float]:
        """Per-epoch scalars worth recording (τ, learning rates, entropy)."""
        return {}

    def arch_weights(self) -> ArchWeights:
        """The architecture's normalised weights, labelled (`searchers.arch_weights`), stored after every epoch
        as the `arch_weights` column of epochs.parquet; {} stores nothing."""
        return {}

    def wants_eigenvalue(self, epoch: int, total: int) -> bool:
        """Whether `end_epoch` needs this epoch's `hessian_eigenvalue` (measured whatever `analysis` says)."""
        return False

    def keeps_state(self, epoch: int) -> bool:
        """Whether the runner should keep `state_dict()` after this epoch, for a later roll-back to it."""
        return False

    def end_epoch(self, end: EpochEnd) -> EpochDecision | None:
        """Called after each epoch's row is complete and before its checkpoint; None: carry on."""
        return None

    def run_facts(self) -> dict[str, Any]:
        """Facts about the whole search for run.json (`searcher_facts`), e.g. where a stop rule fired."""
        return {}

    def arch_loss(self, batch: Batch) -> Tensor:
        """A deterministic loss of the architecture parameters on `batch`, with a graph to them.

        What the Hessian-eigenvalue indicator differentiates twice (`harness.instruments.search_instruments`).
        """
        raise NashError(f"searcher {self.name} defines no deterministic architecture loss; the eigenvalue needs one")

    def fixed_arch_mixer(self, op_indices: list[int]):
        """The edge mixer that runs one given op per edge with the supernet's inherited weights."""
        raise NashError(f"searcher {self.name} cannot run a fixed architecture on its supernet")


def cosine_lr(base: float, minimum: float, epoch: int, total: int) -> float:
    """Cosine annealing from `base` at epoch 0 towards `minimum` at `total` (per epoch)."""
    return minimum + (base - minimum) * (1 + math.cos(math.pi * epoch / max(total, 1))) / 2


def batch_sums(logits: Tensor, labels: Tensor, loss: Tensor) -> tuple[Tensor, Tensor]:
    """Detached (loss × batch size, number correct) for epoch averages without a host sync."""
    n = labels.shape[0]
    correct = (logits.detach().argmax(dim=1) == labels).sum()
    return loss.detach() * n, correct


class BilevelSearcher(Searcher):
    """Per-edge op logits α, SGD on the weights, Adam on α (DARTS / GDAS family)."""

    forward_mode = ForwardMode()  # fp32, default layout, until the harness configures it

    def __init__(self, space, network: nn.Module, train: TrainConfig, options: Any) -> None:
        self.space = space
        self.network = network
        self.train = train
        self.options = options
        device = next(network.parameters()).device
        # Small random init as in the reference implementations: near-uniform, ties broken.
        # Drawn on the CPU generator, then moved: the same seed gives the same α on every device.
        self.alpha = nn.Parameter(1e-3 * torch.randn(space.num_edges, space.num_ops).to(device))
        self.weight_optimizer = torch.optim.SGD(
            network.parameters(),
            lr=train.lr,
            momentum=train.momentum,
            nesterov=train.nesterov,
            weight_decay=train.weight_decay,
        )
        self.arch_optimizer = torch.optim.Adam(
            self.arch_parameters(),
            lr=train.arch_lr,
            betas=(train.arch_beta1, train.arch_beta2),
            weight_decay=train.arch_weight_decay,
        )

    def arch_parameters(self) -> list[Tensor]:
        return [self.alpha]

    def new_epoch(self, epoch: int, total: int) -> None:
        lr = cosine_lr(self.train.lr, self.train.lr_min, epoch, total)
        if epoch < self.train.lr_warmup_epochs:
            lr = self.train.lr * (epoch + 1) / self.train.lr_warmup_epochs
        for group in self.weight_optimizer.param_groups:
            group["lr"] = lr

    def weight_step(self, batch: Batch, mixer) -> tuple[Tensor, Tensor]:
        """SGD on θ (gradient-norm clipped) from one batch; α gets no update here."""
        self.weight_optimizer.zero_grad(set_to_none=True)
        sums = self._backward(batch, mixer)
        nn.utils.clip_grad_norm_(self.clipped_parameters(), self.train.grad_clip)
        self.weight_optimizer.step()
        return sums

    def arch_loss_terms(self) -> Tensor | None:
        """Terms added to the cross-entropy of the first-order arch step (a regulariser of α, e.g. FairDARTS's
        zero-one loss), with a graph to the arch parameters; None adds nothing. The epoch's `val_loss` and the
        Hessian eigenvalue stay the cross-entropy alone."""
        return None

    def clipped_parameters(self) -> list[Tensor]:
        """The parameters whose gradients the weight step's norm clip counts (θ; GDAS adds α)."""
        return list(self.network.parameters())

    def arch_step(self, batch: Batch, mixer) -> tuple[Tensor, Tensor]:
        """Adam on α from one batch (first order: θ is held where it is).

        The backward computes the arch parameters' gradients only: θ's would be cleared unused before
        the next weight step, and skipping them drops the convolutions' weight gradients (a third of
        the backward's work).
        """
        self.arch_optimizer.zero_grad(set_to_none=True)
        sums = self._backward(batch, mixer, self.arch_parameters(), extra=self.arch_loss_terms())
        if self.train.arch_grad_clip > 0:
            nn.utils.clip_grad_norm_(self.arch_parameters(), self.train.arch_grad_clip)
        self.arch_optimizer.step()
        return sums

    def configure_forward(self, mode: ForwardMode) -> None:
        """Precision and memory format of the search step's forward passes (the run's `perf` switches)."""
        self.forward_mode = mode
        to_memory_format(self.network, mode)

    def forward(self, x: Tensor, mixer) -> Tensor:
        """float32 logits of the search step's forward (bf16 autocast inside when configured)."""
        return run_forward(self.network, x, mixer, self.forward_mode)

    def _backward(
        self, batch: Batch, mixer, inputs: list[Tensor] | None = None, extra: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Forward, loss (+ `extra`), backward into `inputs` (None: every leaf); the sums are the loss's alone."""
        x, y = batch
        logits = self.forward(x, mixer)
        loss = F.cross_entropy(logits, y)
        (loss if extra is None else loss + extra).backward(inputs=inputs)
        return batch_sums(logits, y, loss)

    def relaxed_mixer(self):
        """The continuous relaxation of the current architecture, with a graph to α: softmax(α) per edge.

        Sampling searchers (GDAS, ROME) keep this default: their straight-through sample is a
        random, piecewise-constant function of α whose "Hessian" is an artefact of the estimator,
        so their eigenvalue is that of the same relaxed loss as DARTS (comparable across searchers).
        """
        return SoftmaxMixer(F.softmax(self.alpha, dim=-1))

    def arch_loss(self, batch: Batch) -> Tensor:
        # float32 whatever the run's precision: the eigenvalue differentiates it twice.
        x, y = batch
        return F.cross_entropy(self.network(x, self.relaxed_mixer()), y)

    def fixed_arch_mixer(self, op_indices: list[int]):
        return FixedArchMixer(op_indices)

    def genotype(self):
        """NB201: argmax per edge (`none` included). Spaces with cells: `cell_genotype` (per node, 2 inputs)."""
        if has_cells(self.space):
            return self.cell_genotype()
        return self.space.genotype_from_op_indices(self.alpha.detach().argmax(dim=1).tolist())

    def cell_genotype(self):
        """DARTS rule: per node the 2 edges with the largest max non-`none` softmax weight, argmax op on each."""
        return strongest_edges_genotype(self.space, self.op_probabilities())

    def op_probabilities(self) -> Tensor:
        return F.softmax(self.alpha.detach(), dim=-1)

    def arch_weights(self) -> ArchWeights:
        return {"alpha": edge_op_weights(self.space, F.softmax(self.alpha.detach(), dim=-1))}

    def epoch_facts(self) -> dict[str, float]:
        probs = self.op_probabilities()
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum(dim=-1).mean()
        return {
            "lr_weights": self.weight_optimizer.param_groups[0]["lr"],
            "lr_arch": self.arch_optimizer.param_groups[0]["lr"],
            "arch_entropy": float(entropy),
        }

    def state_dict(self) -> dict[str, Any]:
        # The arch parameters' gradients outlive the step where a weight-step clip counts them (the
        # NB201 reference loops of GDAS and DARTS), so exact resume keeps them.
        grads = [None if p.grad is None else p.grad.detach().clone() for p in self.arch_parameters()]
        return {
            "alpha": self.alpha.detach().clone(),
            "network": self.network.state_dict(),
            "weight_optimizer": self.weight_optimizer.state_dict(),
            "arch_optimizer": self.arch_optimizer.state_dict(),
            "arch_grads": grads,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            self.alpha.copy_(state["alpha"])
        self.network.load_state_dict(state["network"])
        self.weight_optimizer.load_state_dict(state["weight_optimizer"])
        self.arch_optimizer.load_state_dict(state["arch_optimizer"])
        for parameter, grad in zip(self.arch_parameters(), state.get("arch_grads", []), strict=False):
            parameter.grad = None if grad is None else grad.to(parameter.device).clone()
