"""DARTS-: the auxiliary skip on every edge (identity, or its own FactorizedReduce at stride 2), β decaying to 0."""

import copy

import pytest
import torch
import torch.nn.functional as F

from benchmarks.darts.ops import FactorizedReduce
from benchmarks.darts.spaces import get_darts_space
from benchmarks.errors import NashError
from searchers.base import TrainConfig
from searchers.darts import Darts, DartsOptions
from searchers.darts_minus import DartsMinus, DartsMinusOptions, aux_skip_beta, stride_two_edges
from searchers.mixing import AuxiliarySkipMixer, SoftmaxMixer


@pytest.mark.parametrize("decay", ["linear", "cosine"])
def test_beta_schedule_starts_at_beta_and_reaches_zero_at_the_end_of_the_search(decay):
    values = [aux_skip_beta(1.0, decay, epoch, 50) for epoch in range(51)]
    assert values[0] == 1.0 and values[50] == pytest.approx(0.0, abs=1e-12)
    assert all(a > b for a, b in zip(values, values[1:], strict=False))  # strictly decreasing
    if decay == "linear":  # the reference's `linear` DecayScheduler: β0 · (T − epoch) / T
        assert values[49] == pytest.approx(1 / 50) and values[25] == pytest.approx(0.5)
    assert aux_skip_beta(0.7, decay, 0, 10) == pytest.approx(0.7)


# The variants keep quark0/darts's loop on NB201 too (Darts.reference_loop): compare with DARTS run so.
QUARK0_LOOP = {"weights_first": False, "clip_includes_arch": False}


def test_mixer_adds_beta_times_the_edge_input_on_stride_one_edges(tiny_supernet):
    ops = tiny_supernet.layers[0].edges[2]
    x = torch.randn(2, 4, 8, 8)
    inner = SoftmaxMixer(F.softmax(torch.randn(6, len(ops)), dim=-1))
    torch.testing.assert_close(AuxiliarySkipMixer(inner, 0.3, {})(2, ops, x), inner(2, ops, x) + 0.3 * x)
    torch.testing.assert_close(AuxiliarySkipMixer(inner, 0.0, {})(2, ops, x), inner(2, ops, x))


def test_reduction_edges_get_their_own_factorized_reduce(one_torch_thread):
    space = get_darts_space("s2")
    torch.manual_seed(0)
    network = DartsMinus.build_supernet(
        space, num_classes=10, options=DartsMinusOptions(), channels=4, layers=3, stem_multiplier=3, affine=False
    )
    edges = stride_two_edges(network, space)
    assert len(edges) == 2 * 8  # layers=3: cells 1 and 2 reduce; 8 edges each come from the cell inputs
    assert len(network.auxiliary_skips) == 16
    assert all(isinstance(m, FactorizedReduce) for m in network.auxiliary_skips)
    searcher = DartsMinus(space, network, TrainConfig(epochs=4, batch_size=4), DartsMinusOptions())
    ops, _channels = edges[0]
    reducer = searcher.reducers[ops]
    x = torch.randn(2, 8, 8, 8)  # the second cell reduces C=8
    mixer = searcher.weight_mixer()
    torch.testing.assert_close(mixer(14, ops, x), mixer.inner(14, ops, x) + 1.0 * reducer(x))
    # The reducers are network weights: the weight step trains them.
    searcher.new_epoch(0, 4)
    batch = (torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,)))
    before = [p.detach().clone() for p in network.auxiliary_skips.parameters()]
    searcher.step(batch, batch)
    after = list(network.auxiliary_skips.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_with_beta_zero_it_is_darts_and_otherwise_both_steps_see_the_skip(space, tiny_supernet, batches):
    train = TrainConfig(epochs=4)
    runs = {}
    for name, cls, options in [
        ("darts", Darts, DartsOptions(**QUARK0_LOOP)),
        ("beta0", DartsMinus, DartsMinusOptions(beta=0.0)),
        ("beta1", DartsMinus, DartsMinusOptions(beta=1.0)),
    ]:
        torch.manual_seed(5)
        searcher = cls(space, copy.deepcopy(tiny_supernet), train, options)
        searcher.new_epoch(0, 4)
        searcher.step(*batches)
        runs[name] = searcher
    assert torch.equal(runs["beta0"].alpha, runs["darts"].alpha)
    for a, b in zip(runs["beta0"].network.parameters(), runs["darts"].network.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(runs["beta1"].alpha, runs["darts"].alpha)  # the arch step's forward has the skip
    assert runs["beta1"].epoch_facts()["aux_skip_beta"] == 1.0


def test_options_are_checked():
    with pytest.raises(NashError, match="decay"):
        DartsMinusOptions(decay="step")
    with pytest.raises(NashError, match="beta"):
        DartsMinusOptions(beta=-1.0)
