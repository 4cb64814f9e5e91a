"""nash's GDAS against the NAS-Bench-201 authors' reference (`xautodl` 1.0.0), float64, on forced samples.

The reference draws its Gumbel noise from the global generator in every forward, exactly as nash's
`sample_gumbel` does (same count, same dtype), so one seed gives both the same samples.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from benchmarks.nb201.space import Nb201Space
from searchers.base import TrainConfig
from searchers.gdas import Gdas, GdasOptions
from tests.reference.xautodl_nets import batch, copy_weights, gdas_reference, reference_weights

pytestmark = pytest.mark.usefixtures("float64")


def pair(options: GdasOptions | None = None, grad_clip: float = 5.0):
    """(reference network, nash GDAS) with the same weights, α and τ."""
    torch.manual_seed(0)
    reference = gdas_reference(4, 1, 10)
    with torch.no_grad():
        reference.arch_parameters.normal_(0, 0.5)  # away from uniform, so the sampled ops differ by edge
    gdas = Gdas(
        Nb201Space(),
        Nb201Space().build_supernet(channels=4, cells_per_stage=1, num_classes=10, affine=False),
        TrainConfig(epochs=4, grad_clip=grad_clip),
        options or GdasOptions(),
    )
    copy_weights(reference, gdas.network)
    with torch.no_grad():
        gdas.alpha.copy_(reference.arch_parameters)
    gdas.new_epoch(1, 4)
    reference.set_tau(gdas.tau)
    return reference, gdas


def nash_forward(gdas: Gdas, x, seed: int):
    torch.manual_seed(seed)
    mixer = gdas.sample_mixer(with_graph=True)
    return gdas.network(x, mixer), mixer


def reference_forward(reference, x, seed: int):
    torch.manual_seed(seed)
    return reference(x)[1]


def test_same_sample_gives_the_same_logits_and_gradients_as_the_reference():
    reference, gdas = pair()
    x, y = batch(1)
    theirs = reference_forward(reference, x, seed=3)
    ours, mixer = nash_forward(gdas, x, seed=3)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    F.cross_entropy(theirs, y).backward()
    F.cross_entropy(ours, y).backward()
    torch.testing.assert_close(gdas.alpha.grad, reference.arch_parameters.grad, rtol=1e-10, atol=1e-12)
    grads = [p.grad for p in gdas.network.parameters()]
    reference_grads = [p.grad for p in reference_weights(reference)]
    for ours_grad, theirs_grad in zip(grads, reference_grads, strict=True):
        torch.testing.assert_close(ours_grad, theirs_grad, rtol=1e-10, atol=1e-12)


def test_without_the_unselected_term_the_alpha_gradient_departs_from_the_reference():
    reference, gdas = pair(GdasOptions(unselected_hard_weights=False))
    x, y = batch(1)
    theirs = reference_forward(reference, x, seed=3)
    ours, _ = nash_forward(gdas, x, seed=3)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)  # the switch leaves the forward as it is
    F.cross_entropy(theirs, y).backward()
    F.cross_entropy(ours, y).backward()
    relative = (gdas.alpha.grad - reference.arch_parameters.grad).norm() / reference.arch_parameters.grad.norm()
    assert relative > 0.05, relative


@pytest.mark.parametrize(
    "options, same",
    [
        (GdasOptions(), True),
        (GdasOptions(sample_per_step=False), False),
        (GdasOptions(clip_includes_arch=False), False),
        (GdasOptions(unselected_hard_weights=False), False),
    ],
)
def test_a_gdas_iteration_equals_the_reference_search_loop(options, same):
    """Two iterations of nash's step against the reference loop (weights: own sample, clip over θ and α;
    then arch: own sample), with a clip small enough to bind, so every switch's difference shows."""
    clip = 0.05
    reference, gdas = pair(options, grad_clip=clip)
    weights = reference_weights(reference)
    w_optimizer = torch.optim.SGD(
        weights, lr=gdas.weight_optimizer.param_groups[0]["lr"], momentum=0.9, nesterov=True, weight_decay=5e-4
    )
    a_optimizer = torch.optim.Adam([reference.arch_parameters], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    batches = [(batch(10 + i), batch(20 + i)) for i in range(2)]

    torch.manual_seed(42)
    for (xt, yt), (xv, yv) in batches:
        w_optimizer.zero_grad()
        F.cross_entropy(reference(xt)[1], yt).backward()
        torch.nn.utils.clip_grad_norm_(reference.parameters(), clip)
        w_optimizer.step()
        a_optimizer.zero_grad()
        F.cross_entropy(reference(xv)[1], yv).backward()
        a_optimizer.step()

    torch.manual_seed(42)
    for train_batch, val_batch in batches:
        gdas.step(train_batch, val_batch)

    pairs = [(gdas.alpha, reference.arch_parameters), *zip(gdas.network.parameters(), weights, strict=True)]
    close = all(torch.allclose(ours.detach(), theirs.detach(), rtol=1e-9, atol=1e-12) for ours, theirs in pairs)
    assert close == same  # the reference defaults match; each switch departs from the reference
