"""nash's DARTS on NB201 against the NAS-Bench-201 authors' reference (`xautodl` 1.0.0), float64.

The reference supernet is `TinyNetworkDarts`; its search loops are AutoDL-Projects
`exps/NAS-Bench-201-algos/DARTS-V1.py` (weight step, clip over `network.parameters()` with α among them,
then arch step) and `DARTS-V2.py` (unrolled arch step, then the same weight step). The loops below
restate those scripts step by step on the reference network; nash's `Darts` must land on the same α and θ.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from benchmarks.darts.spaces import DartsSpace
from benchmarks.nb201.space import Nb201Space
from searchers.base import TrainConfig
from searchers.darts import Darts, DartsOptions, DartsSecondOrder
from tests.reference.xautodl_nets import batch, copy_weights, darts_reference, reference_weights

pytestmark = pytest.mark.usefixtures("float64")
CLIP = 0.05  # small enough to bind, so the clip's parameter set shows in the result


def pair(cls=Darts, options: DartsOptions | None = None, grad_clip: float = 5.0):
    """(reference network, nash DARTS) with the same weights and α, at epoch 1 of 4."""
    torch.manual_seed(0)
    reference = darts_reference(4, 1, 10)
    with torch.no_grad():
        reference.arch_parameters.normal_(0, 0.5)  # away from uniform, so every op's weight differs
    darts = cls(
        Nb201Space(),
        Nb201Space().build_supernet(channels=4, cells_per_stage=1, num_classes=10, affine=False),
        TrainConfig(epochs=4, grad_clip=grad_clip),
        options or cls.options_type(),
    )
    copy_weights(reference, darts.network)
    with torch.no_grad():
        darts.alpha.copy_(reference.arch_parameters)
    darts.new_epoch(1, 4)
    return darts, reference


def reference_optimizers(darts: Darts, reference):
    """The reference scripts' optimisers (NAS-Bench-201 DARTS config: SGD Nesterov, Adam betas (0.5, 0.999))."""
    lr = darts.weight_optimizer.param_groups[0]["lr"]
    weights = torch.optim.SGD(reference.get_weights(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    arch = torch.optim.Adam([reference.arch_parameters], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    return weights, arch


def reference_weight_step(reference, w_optimizer, train_batch) -> None:
    """Both scripts: zero θ's gradients only, backward through the mixture (α gets its share), clip every
    parameter of the network, α included, step θ."""
    w_optimizer.zero_grad()
    F.cross_entropy(reference(train_batch[0])[1], train_batch[1]).backward()
    torch.nn.utils.clip_grad_norm_(reference.parameters(), CLIP)
    w_optimizer.step()


def reference_unrolled_gradient(reference, w_optimizer, train_batch, val_batch) -> torch.Tensor:
    """DARTS-V2.py's hypergradient: ∇α L_val(θ') − ξ·(∇α L_train(θ + R·v) − ∇α L_train(θ − R·v)) / 2R with
    θ' = θ − ξ(m·buffer + ∇θ L_train + wd·θ), v = ∇θ' L_val, R = 0.01 / ‖v‖ (a deep copy holds θ')."""
    group = w_optimizer.param_groups[0]
    lr, decay, momentum = group["lr"], group["weight_decay"], group["momentum"]
    weights = reference.get_weights()
    grads = torch.autograd.grad(F.cross_entropy(reference(train_batch[0])[1], train_batch[1]), weights)
    buffers = [w_optimizer.state.get(w, {}).get("momentum_buffer") for w in weights]
    unrolled = copy.deepcopy(reference)
    with torch.no_grad():
        for mine, w, g, buffer in zip(unrolled.get_weights(), weights, grads, buffers, strict=True):
            step = g + decay * w + (0 if buffer is None else momentum * buffer)
            mine.copy_(w - lr * step)
    unrolled.zero_grad()
    F.cross_entropy(unrolled(val_batch[0])[1], val_batch[1]).backward()
    vector = [w.grad for w in unrolled.get_weights()]
    radius = 0.01 / torch.cat([v.flatten() for v in vector]).norm()

    def train_alpha_grad(sign: float) -> torch.Tensor:
        with torch.no_grad():
            for w, v in zip(weights, vector, strict=True):
                w.add_(v, alpha=sign * radius)
        loss = F.cross_entropy(reference(train_batch[0])[1], train_batch[1])
        grad = torch.autograd.grad(loss, [reference.arch_parameters])[0]
        with torch.no_grad():
            for w, v in zip(weights, vector, strict=True):
                w.sub_(v, alpha=sign * radius)
        return grad

    implicit = (train_alpha_grad(1.0) - train_alpha_grad(-1.0)) / (2 * radius)
    return unrolled.arch_parameters.grad - lr * implicit


def assert_same_or_not(darts: Darts, reference, same: bool) -> None:
    ours = [darts.alpha, *darts.network.parameters()]
    theirs = [reference.arch_parameters, *reference_weights(reference)]
    pairs = zip(ours, theirs, strict=True)
    close = all(torch.allclose(a.detach(), b.detach(), rtol=1e-9, atol=1e-12) for a, b in pairs)
    assert close == same  # the reference defaults match; each switch departs from the reference


def test_same_weights_give_the_same_logits_and_gradients_as_the_reference():
    darts, reference = pair()
    x, y = batch(1)
    theirs = reference(x)[1]
    ours = darts.forward(x, darts.relaxed_mixer())
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    F.cross_entropy(theirs, y).backward()
    F.cross_entropy(ours, y).backward()
    torch.testing.assert_close(darts.alpha.grad, reference.arch_parameters.grad, rtol=1e-10, atol=1e-13)
    for mine, theirs_param in zip(darts.network.parameters(), reference_weights(reference), strict=True):
        torch.testing.assert_close(mine.grad, theirs_param.grad, rtol=1e-10, atol=1e-13)
    # `none` is not computed by nash, yet its α still gets the softmax normaliser's gradient, as in the reference.
    assert bool((darts.alpha.grad[:, 0] != 0).all())


def test_the_defaults_follow_each_space_s_reference_loop():
    first = pair()[0]
    assert first.weights_first and first.clip_arch  # DARTS-V1.py
    second = pair(DartsSecondOrder)[0]
    assert not second.weights_first and second.clip_arch  # DARTS-V2.py
    space = DartsSpace("s2")
    network = space.build_supernet(channels=4, layers=3, num_classes=10, affine=False, stem_multiplier=1)
    quark0 = Darts(space, network, TrainConfig(epochs=2), DartsOptions())
    assert not quark0.weights_first and not quark0.clip_arch  # quark0/darts cnn/train_search.py


@pytest.mark.parametrize(
    "options, same",
    [
        (DartsOptions(), True),
        (DartsOptions(weights_first=False), False),
        (DartsOptions(clip_includes_arch=False), False),
    ],
)
def test_a_darts_v1_iteration_equals_the_reference_search_loop(options, same):
    """Two iterations of DARTS-V1.py (weight step, then arch step) against nash's first-order step."""
    darts, reference = pair(Darts, options, grad_clip=CLIP)
    w_optimizer, a_optimizer = reference_optimizers(darts, reference)
    batches = [(batch(10 + i), batch(20 + i)) for i in range(2)]
    for train_batch, (xv, yv) in batches:
        reference_weight_step(reference, w_optimizer, train_batch)
        a_optimizer.zero_grad()
        F.cross_entropy(reference(xv)[1], yv).backward()
        a_optimizer.step()
    for train_batch, val_batch in batches:
        darts.step(train_batch, val_batch)
    assert_same_or_not(darts, reference, same)


@pytest.mark.parametrize(
    "options, same",
    [
        (DartsOptions(unrolled=True), True),
        (DartsOptions(unrolled=True, weights_first=True), False),
        (DartsOptions(unrolled=True, clip_includes_arch=False), False),
    ],
)
def test_a_darts_v2_iteration_equals_the_reference_search_loop(options, same):
    """Two iterations of DARTS-V2.py (unrolled arch step, then weight step) against nash's `darts-v2`."""
    darts, reference = pair(DartsSecondOrder, options, grad_clip=CLIP)
    w_optimizer, a_optimizer = reference_optimizers(darts, reference)
    batches = [(batch(10 + i), batch(20 + i)) for i in range(2)]
    for train_batch, val_batch in batches:
        a_optimizer.zero_grad()
        reference.arch_parameters.grad = reference_unrolled_gradient(reference, w_optimizer, train_batch, val_batch)
        a_optimizer.step()
        reference_weight_step(reference, w_optimizer, train_batch)
    for train_batch, val_batch in batches:
        darts.step(train_batch, val_batch)
    assert_same_or_not(darts, reference, same)
