"""The supernets' fused path: every edge that leaves one node is computed together (`benchmarks.kernels.mix_plan`).

Per source node: one ReLU shared by every op that starts with one; the NB201 ReLU-Conv-BN ops of
the edges that run the same op in one convolution whose output channels stack the edges, and one
BN call; one pooling (and, in training, one BN output) for all the node's pooling edges; and each
op's weighted output added straight into its target node's running sum (`addcmul`), instead of
stacking every op's output per edge and summing. Edge scales are folded into the op weights, and
the per-edge scalar offsets into one scalar per node. The values equal the per-edge path's up to
float summation order (`tests/benchmarks/test_fused_edges.py`).

Random ops (`noise`, S4) are drawn before the cell's first op, in the per-edge path's edge order,
so both paths draw the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.darts.ops import Noise, PoolBn
from benchmarks.kernels.box_pool import BoxAverage, box_average
from benchmarks.kernels.compiled import compiled
from benchmarks.kernels.depthwise_conv import depthwise_conv, is_depthwise
from benchmarks.kernels.mix_plan import MixPlan

NONE = "none"


@dataclass(frozen=True)
class OutEdge:
    """One edge leaving a node: its row of the plan, candidate ops (and their names), target state, stride."""

    arch: int
    ops: nn.ModuleList
    names: Sequence[str]
    target: int
    stride: int = 1


class PreparedPlan:
    """A plan with the edge scale folded into the op weights (made once per network forward).

    `compile`: run compiled (`benchmarks.kernels.compiled`): the whole cell for a plan without a host-side op
    choice, else each op block.
    """

    def __init__(self, plan: MixPlan, compile: bool = False) -> None:
        self.plan = plan
        self.compile = compile
        weights, scale, offset = plan.weights, plan.edge_scale, plan.edge_offset
        self.op_scale = weights * scale[:, None] if weights is not None and scale is not None else weights
        self.edge_scale = scale
        self.offset = offset * scale if offset is not None and scale is not None else offset
        # A tensor, so a compiled cell keeps its graph while DARTS-'s β decays epoch by epoch.
        self.skip_weight = torch.tensor(float(plan.skip_weight)) if plan.skip_weight else None

    def cell_function(self, forward_fused):
        """The cell's fused forward to call: compiled whole when the plan's structure is the same every step."""
        return compiled(forward_fused) if self.compile and self.plan.selected is None else forward_fused

    def is_kept(self, edge: int) -> bool:
        return self.plan.kept is None or edge in self.plan.kept

    def computed_ops(self, edge: OutEdge) -> list[int]:
        if self.plan.selected is not None:
            return [self.plan.selected[edge.arch]]
        return [k for k, name in enumerate(edge.names) if name != NONE]

    def op_weight(self, edge: int, k: int) -> Tensor | None:
        if self.op_scale is not None:
            return self.op_scale[edge, k]
        return None if self.edge_scale is None else self.edge_scale[edge]


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave `groups` equal channel blocks: output channel c = input channel (c % g)·(C/g) + c // g.

    With PC-DARTS's mixed-op slice as block 0, its channels land on positions 0, g, 2g, ...
    """
    batch, channels, height, width = x.shape
    per_group = channels // groups
    return x.view(batch, groups, per_group, height, width).transpose(1, 2).reshape(batch, channels, height, width)


class NodeSums:
    """Running sums of the terms each target node receives (op outputs, PC-DARTS bypasses, scalars)."""

    def __init__(self, partial_channels: int = 1) -> None:
        self.partial = partial_channels
        self.mixed: dict[int, Tensor] = {}
        self.bypass: dict[int, Tensor] = {}
        self.scalars: dict[int, list[Tensor]] = {}
        self.full: dict[int, Tensor] = {}  # terms on all channels, added after the partial-channel shuffle

    @staticmethod
    def _add(sums: dict[int, Tensor], target: int, y: Tensor, weight: Tensor | None) -> None:
        total = sums.get(target)
        if total is None:
            sums[target] = y if weight is None else y * weight
        else:
            sums[target] = total + y if weight is None else torch.addcmul(total, y, weight)

    def add(self, target: int, y: Tensor, weight: Tensor | None) -> None:
        self._add(self.mixed, target, y, weight)

    def add_bypass(self, target: int, y: Tensor, weight: Tensor | None) -> None:
        self._add(self.bypass, target, y, weight)

    def add_full(self, target: int, y: Tensor, weight: Tensor | None) -> None:
        self._add(self.full, target, y, weight)

    def add_scalar(self, target: int, value: Tensor) -> None:
        self.scalars.setdefault(target, []).append(value)

    def node(self, target: int, zeros_shape: Sequence[int], like: Tensor) -> Tensor:
        """The node's value; zeros of `zeros_shape` (the ops' output) when no op output reached it."""
        total = self.mixed.pop(target, None)
        bypass = self.bypass.pop(target, None)
        if total is None:  # no op output (every edge dropped or `none`); with no bypass either, all channels
            channels = zeros_shape[1] * (1 if bypass is not None else self.partial)
            total = like.new_zeros((zeros_shape[0], channels, *zeros_shape[2:]))
        if bypass is not None:
            total = channel_shuffle(torch.cat([total, bypass], dim=1), self.partial)
        full = self.full.pop(target, None)
        if full is not None:
            total = total + full
        scalars = self.scalars.pop(target, None)
        if scalars:
            total = total + (scalars[0] if len(scalars) == 1 else torch.stack(scalars).sum())
        return total


def live_nodes(out_edges: Sequence[Sequence[OutEdge]], plan: PreparedPlan, output: int) -> frozenset[int]:
    """The nodes whose value reaches node `output` through a kept edge that computes an op (or a bypass)."""
    live = {output}
    for source in reversed(range(len(out_edges))):
        for e in out_edges[source]:
            if e.target in live and plan.is_kept(e.arch):
                if (
                    plan.plan.partial_channels > 1
                    or plan.skip_weight is not None
                    or any(e.names[k] != NONE for k in plan.computed_ops(e))
                ):
                    live.add(source)
                    break
    return frozenset(live)


class SourceInput:
    """A source node's value as its ops see it, with the ReLU shared by every op that starts with one."""

    def __init__(self, x: Tensor) -> None:
        self.x = x
        self._relu: Tensor | None = None

    def relu(self) -> Tensor:
        if self._relu is None:
            self._relu = F.relu(self.x)
        return self._relu


def stacked_conv(convs: Sequence[nn.Conv2d], x: Tensor) -> Tensor:
    """The convolutions (same configuration, own weights) of one input, output channels stacked in order."""
    first = convs[0]
    weight = first.weight if len(convs) == 1 else torch.cat([c.weight for c in convs])
    return F.conv2d(x, weight, None, first.stride, first.padding, first.dilation, first.groups)


def stacked_batch_norm(bns: Sequence[nn.BatchNorm2d], x: Tensor, scale: Tensor | None = None) -> Tensor:
    """BN of stacked channels, each block with its own module: one call, running statistics written back.

    `scale` (one value per block): each block's output times its value, folded into BN's affine transform
    (the edge weight costs no pass of its own, forward or backward)."""
    first = bns[0]
    if len(bns) == 1 and scale is None:
        return first(x)
    training = first.training or first.running_mean is None
    if first.momentum is None or any(b.training != first.training for b in bns):
        outs = [b(part) for b, part in zip(bns, x.chunk(len(bns), dim=1), strict=True)]
        out = torch.cat(outs, dim=1)
        return out if scale is None else out * scale.repeat_interleave(first.num_features).view(1, -1, 1, 1)
    track = first.running_mean is not None
    single = len(bns) == 1  # its own buffers, updated in place by the call
    mean = (first.running_mean if single else torch.cat([b.running_mean for b in bns])) if track else None
    var = (first.running_var if single else torch.cat([b.running_var for b in bns])) if track else None
    weight = torch.cat([b.weight for b in bns]) if first.affine else None
    bias = torch.cat([b.bias for b in bns]) if first.affine else None
    if scale is not None:
        per_channel = scale.repeat_interleave(first.num_features)
        weight = per_channel if weight is None else weight * per_channel
        bias = None if bias is None else bias * per_channel
    out = F.batch_norm(x, mean, var, weight, bias, training, first.momentum, first.eps)
    if track and first.training:
        with torch.no_grad():
            if not single:
                channels = first.num_features
                torch._foreach_copy_([b.running_mean for b in bns], list(mean.split(channels)))
                torch._foreach_copy_([b.running_var for b in bns], list(var.split(channels)))
            torch._foreach_add_([b.num_batches_tracked for b in bns], 1)
    return out


def shared_batch_norm(bns: Sequence[nn.BatchNorm2d], x: Tensor) -> list[Tensor]:
    """The same input through several non-affine BNs. In training their outputs are equal: computed once,
    and each module's running statistics updated as its own call would."""
    first = bns[0]
    same = first.training and not first.affine and first.momentum is not None and all(b.training for b in bns)
    if not same or len(bns) == 1:
        return [b(x) for b in bns]
    out = first(x)
    with torch.no_grad():
        for b in bns[1:]:
            if b.running_mean is not None:
                torch.batch_norm_update_stats(x, b.running_mean, b.running_var, b.momentum)
                b.num_batches_tracked.add_(1)
    return [out] * len(bns)


def starts_with_relu(module: nn.Module) -> bool:
    while isinstance(module, nn.Sequential) and len(module) > 0:
        module = module[0]
        if isinstance(module, nn.ReLU):
            return True
    return False


def after_relu(module: nn.Sequential, relu_x: Tensor, scale: Tensor | None = None) -> Tensor:
    """`module(x)` given relu(x), for a Sequential whose first leaf is a ReLU (possibly nested); times
    `scale` (a scalar) when given, folded into the last BN."""
    first, rest = module[0], list(module)[1:]
    if not rest:
        y = relu_x if isinstance(first, nn.ReLU) else after_relu(first, relu_x, scale)
        return y if scale is None or not isinstance(first, nn.ReLU) else y * scale
    y = relu_x if isinstance(first, nn.ReLU) else after_relu(first, relu_x)
    for layer in rest[:-1]:
        y = run_layer(layer, y)
    return scaled_forward(rest[-1], y, scale)


def run_layer(layer: nn.Module, x: Tensor) -> Tensor:
    """`layer(x)`; a depthwise convolution with the backward of `benchmarks.kernels.depthwise_conv`."""
    return depthwise_conv(layer, x) if is_depthwise(layer) else layer(x)


def scaled_forward(module: nn.Module, x: Tensor, scale: Tensor | None) -> Tensor:
    """`module(x) * scale`; a trailing BN (possibly nested in Sequentials) applies the scale itself."""
    if scale is None:
        return module(x)
    if isinstance(module, nn.BatchNorm2d):
        return stacked_batch_norm([module], x, scale.view(1))
    if isinstance(module, nn.Sequential) and len(module) > 0:
        for layer in list(module)[:-1]:
            x = run_layer(layer, x)
        return scaled_forward(module[-1], x, scale)
    return module(x) * scale


def _is_relu_conv_bn(module: nn.Module) -> bool:
    return (
        isinstance(module, nn.Sequential)
        and len(module) == 3
        and isinstance(module[0], nn.ReLU)
        and isinstance(module[1], nn.Conv2d)
        and isinstance(module[2], nn.BatchNorm2d)
    )


def relu_conv_bn_group(modules: tuple[nn.Sequential, ...], relu_x: Tensor, scale: Tensor | None = None) -> Tensor:
    """ReLU-Conv-BN ops (one config, own weights) on one input, given its ReLU: output channels stacked,
    block i times `scale[i]` when given."""
    return stacked_batch_norm([m[2] for m in modules], stacked_conv([m[1] for m in modules], relu_x), scale)


def group_outputs(
    modules: list[nn.Module],
    source: SourceInput,
    drawn: list[Tensor | None],
    compile_blocks: bool = False,
    weights: list[Tensor | None] | None = None,
) -> tuple[list[Tensor], bool]:
    """Each module's output on the source (one op on several edges), computed together where possible.

    `drawn`: per module, its output drawn in advance (random ops) or None. `compile_blocks`: the
    parametric blocks run compiled (single-path plans under `perf.compile`). `weights`: per module, its
    weight in the sum (all tensors, or None); where an op ends in BN the weight is applied there. Returns
    the outputs and whether they are already weighted.
    """
    first = modules[0]
    x = source.x
    scale = None if weights is None or any(w is None for w in weights) else weights
    if isinstance(first, nn.Identity):
        return [x] * len(modules), False
    if isinstance(first, BoxAverage):
        return [box_average(x, first.stride)] * len(modules), False
    if isinstance(first, Noise) and all(d is not None for d in drawn):
        return [d.to(x.dtype) for d in drawn], False
    if _is_relu_conv_bn(first):
        block = compiled(relu_conv_bn_group) if compile_blocks else relu_conv_bn_group
        y = block(tuple(modules), source.relu(), None if scale is None else torch.stack(scale))
        return ([y] if len(modules) == 1 else list(y.unflatten(1, (len(modules), -1)).unbind(1))), scale is not None
    if isinstance(first, PoolBn):  # one pooling; in training one BN output for every edge
        return shared_batch_norm([m[1] for m in modules], first[0](x)), False
    if starts_with_relu(first):
        block = compiled(after_relu) if compile_blocks else after_relu
        scales = [None] * len(modules) if scale is None else scale
        return [block(m, source.relu(), w) for m, w in zip(modules, scales, strict=True)], scale is not None
    return [m(x) for m in modules], False


def fused_source(
    x: Tensor,
    edges: Sequence[OutEdge],
    plan: PreparedPlan,
    sums: NodeSums,
    noise: dict[int, Tensor] | None = None,
    live: frozenset[int] | None = None,
) -> None:
    """Add every op output of the edges leaving `x` to their target nodes' sums.

    `noise`: random ops' outputs drawn per edge in advance. `live`: the target nodes that reach the
    cell output (None: all). Edges into a dead node are never stacked with live ones, so their weights
    get no gradient (None, as in the per-edge path) rather than a zero one that weight decay would act on.
    """
    edges = [e for e in edges if plan.is_kept(e.arch)]
    if not edges:
        return
    if plan.skip_weight is not None:  # DARTS-'s auxiliary skip, on the whole input
        reducers = plan.plan.skip_reducers or {}
        for e in edges:
            reducer = reducers.get(e.ops)
            sums.add_full(e.target, x if reducer is None else reducer(x), plan.skip_weight)
    partial = plan.plan.partial_channels
    if partial > 1:
        part = x.shape[1] // partial
        bypass = x[:, part:]
        if edges[0].stride == 2:
            bypass = F.max_pool2d(bypass, kernel_size=2, stride=2)
        for e in edges:
            sums.add_bypass(e.target, bypass, None if plan.edge_scale is None else plan.edge_scale[e.arch])
        x = x[:, :part].contiguous()
    source = SourceInput(x)
    groups: dict[tuple[str, bool], list[tuple[OutEdge, int]]] = {}
    for e in edges:
        for k in plan.computed_ops(e):
            if e.names[k] == NONE:  # a sampled `none`: zeros, whose weight still gets its (zero) gradient
                weight = plan.op_weight(e.arch, k)
                if weight is not None:
                    sums.add_scalar(e.target, weight * 0.0)
                continue
            groups.setdefault((e.names[k], live is None or e.target in live), []).append((e, k))
    for members in groups.values():
        drawn = [None if noise is None else noise.get(e.arch) for e, _ in members]
        compile_blocks = plan.compile and plan.plan.selected is not None
        weights = [plan.op_weight(e.arch, k) for e, k in members]
        outputs, weighted = group_outputs([e.ops[k] for e, k in members], source, drawn, compile_blocks, weights)
        for (e, _), y, weight in zip(members, outputs, weights, strict=True):
            sums.add(e.target, y, None if weighted else weight)
    if plan.offset is not None:
        for e in edges:
            sums.add_scalar(e.target, plan.offset[e.arch])
