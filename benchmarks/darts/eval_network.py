"""The discrete DARTS evaluation networks built from a Genotype (ALGORITHMS.md §1.2), trained from scratch.

CIFAR: a 3x3 stem with `stem_multiplier`·C channels, `layers` cells with reductions (channels
doubled, stride 2 on the edges from the cell inputs) at layers//3 and 2·layers//3, global pooling
and a linear classifier. ImageNet: a two-stage stem (224 → 28), the same cells, global pooling.
The auxiliary head reads the output of cell 2·layers//3 (the second reduction cell) during
training only. Drop-path zeroes a whole op output per sample (rescaled by 1/keep) on every gene
whose op is not the identity, only in training mode and only when a probability > 0 is passed to
`forward`. `none` genes add nothing; `noise` genes add N(0, 1) samples.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from benchmarks.darts.genotype import CellGenes, Genotype
from benchmarks.darts.ops import FactorizedReduce, ReluConvBn, Zero, make_op
from benchmarks.kernels.channel_concat import channel_concat


def drop_path(x: Tensor, drop_prob: float) -> Tensor:
    """Zero each sample's tensor with probability `drop_prob`, scale the kept ones by 1 / (1 - drop_prob)."""
    keep = 1.0 - drop_prob
    mask = torch.empty((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class EvalCell(nn.Module):
    """One cell of the evaluation network: 4 nodes, each the sum of its two genes' ops, output the concat."""

    def __init__(
        self, genes: CellGenes, concat: tuple[int, ...], c_prev_prev: int, c_prev: int, channels: int, reduction: bool,
        reduction_prev: bool,
    ) -> None:  # fmt: skip
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = (
            FactorizedReduce(c_prev_prev, channels, affine=True)
            if reduction_prev
            else ReluConvBn(c_prev_prev, channels, 1, 1, 0, affine=True)
        )
        self.preprocess1 = ReluConvBn(c_prev, channels, 1, 1, 0, affine=True)
        self.sources = [source for _op, source in genes]
        self.concat = tuple(concat)
        self.ops = nn.ModuleList(
            make_op(op, channels, 2 if reduction and source < 2 else 1, affine=True, search=False)
            for op, source in genes
        )
        self.multiplier = len(self.concat)

    def forward(self, s0: Tensor, s1: Tensor, drop_prob: float) -> Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self.ops) // 2):
            total = None
            for k in (2 * node, 2 * node + 1):
                op = self.ops[k]
                out = op(states[self.sources[k]])  # `none`: zeros, so it adds nothing (and fixes the shape)
                if drop_prob > 0.0 and self.training and not isinstance(op, (nn.Identity, Zero)):
                    out = drop_path(out, drop_prob)
                total = out if total is None else total + out
            states.append(total)
        return channel_concat([states[i] for i in self.concat])


class AuxiliaryHead(nn.Module):
    """ReLU, AvgPool 5x5 (stride 3 on CIFAR's 8x8 maps, 2 on ImageNet's 7x7), 1x1 conv 128, BN, ReLU,
    2x2 conv 768, [BN,] ReLU, linear: a 1x1x768 feature for 8x8 (CIFAR) or 7x7 (ImageNet at 224) inputs.

    `second_bn=False` is the ImageNet head of the code behind the published ImageNet numbers: DARTS's
    `AuxiliaryHeadImageNet` (quark0/darts cnn/model.py) leaves the BN after the 2x2 conv commented out
    ("omitted ... due to a typo", kept so for consistency with the paper), and PC-DARTS's `model.py`, whose
    `train_imagenet.py` produced the PC-DARTS numbers and the protocol ROME follows, keeps it out too.
    """

    def __init__(self, channels: int, num_classes: int, pool_stride: int, second_bn: bool = True) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=pool_stride, padding=0, count_include_pad=False),
            nn.Conv2d(channels, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False),
            *([nn.BatchNorm2d(768)] if second_bn else []),
            nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x).flatten(1))


class EvalNetwork(nn.Module):
    """Stem → cells → global pool → linear. `forward` returns (logits, auxiliary logits or None)."""

    def __init__(
        self, genotype: Genotype, channels: int, layers: int, num_classes: int, auxiliary: bool, imagenet: bool,
        stem_multiplier: int = 3,
    ) -> None:  # fmt: skip
        super().__init__()
        if layers < 3:
            raise ValueError(f"an evaluation network needs at least 3 cells (two reductions), got {layers}")
        self.genotype = genotype
        self.imagenet = imagenet
        self.aux_position = 2 * layers // 3
        if imagenet:
            half = channels // 2
            self.stem0 = nn.Sequential(
                nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(half),
                nn.ReLU(inplace=False),
                nn.Conv2d(half, channels, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(channels),
            )
            self.stem1 = nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(channels, channels, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(channels),
            )
            c_prev_prev, c_prev, c_curr, reduction_prev = channels, channels, channels, True
        else:
            stem = stem_multiplier * channels
            self.stem = nn.Sequential(nn.Conv2d(3, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem))
            c_prev_prev, c_prev, c_curr, reduction_prev = stem, stem, channels, False
        self.cells = nn.ModuleList()
        aux_channels = 0
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            genes, concat = (
                (genotype.reduce, genotype.reduce_concat) if reduction else (genotype.normal, genotype.normal_concat)
            )
            cell = EvalCell(genes, concat, c_prev_prev, c_prev, c_curr, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if i == self.aux_position:
                aux_channels = c_prev
        self.auxiliary_head = None
        if auxiliary:  # the ImageNet head has no BN after its 2x2 conv, as in the reference code (AuxiliaryHead)
            head_args = (2, False) if imagenet else (3, True)
            self.auxiliary_head = AuxiliaryHead(aux_channels, num_classes, *head_args)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)  # = AvgPool 7 on ImageNet's 7x7 maps, 8x8 on CIFAR's
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: Tensor, drop_path_prob: float = 0.0) -> tuple[Tensor, Tensor | None]:
        if self.imagenet:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        logits_aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, drop_path_prob)
            if i == self.aux_position and self.auxiliary_head is not None and self.training:
                logits_aux = self.auxiliary_head(s1)
        return self.classifier(self.global_pooling(s1).flatten(1)), logits_aux


def build_eval_network(genotype: Genotype, evaluation: dict, num_classes: int) -> EvalNetwork:
    """The evaluation network a benchmark profile's `evaluation` settings describe."""
    return EvalNetwork(
        genotype,
        channels=int(evaluation["channels"]),
        layers=int(evaluation["layers"]),
        num_classes=num_classes,
        auxiliary=float(evaluation.get("auxiliary_weight", 0.0)) > 0.0,
        imagenet=evaluation.get("network", "cifar") == "imagenet",
    )
