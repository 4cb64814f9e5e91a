"""The ImageNet stem of the DARTS search network: 224 -> 28 before the cells, chosen by the profile, every searcher."""

from __future__ import annotations

import pytest
import torch

from benchmarks.darts.spaces import DartsSpace
from benchmarks.errors import NashError
from harness.config.run_config import apply_overrides, resolve_config
from searchers.base import TrainConfig
from searchers.registry import get_searcher

SEARCHERS = {"darts": {}, "darts-v2": {}, "gdas": {}, "pcdarts": {"k": 2, "warmup_epochs": 0}, "rome": {"k": 2}}


@pytest.fixture(autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _sum_of_ops(_edge, ops, x):
    return sum(op(x) for op in ops)


def test_imagenet_stem_brings_224_to_28_at_the_first_cell():
    torch.manual_seed(0)
    net = DartsSpace("s0").build_supernet(
        channels=4, layers=3, num_classes=5, affine=False, stem="imagenet", stem_multiplier=1
    )
    seen = []
    net.cells[0].register_forward_hook(
        lambda _m, inputs, out: seen.append((inputs[0].shape, inputs[1].shape, out.shape))
    )
    logits = net(torch.randn(1, 3, 224, 224), _sum_of_ops)
    s0, s1, out = seen[0]
    assert logits.shape == (1, 5)
    assert s0[1:] == (4, 56, 56) and s1[1:] == (4, 28, 28)  # stem0 (56) and stem1 (28) feed the first cell
    assert out[2:] == (28, 28)  # cell 0 is a normal cell: it keeps 28x28
    assert type(net.cells[0].preprocess0).__name__ == "FactorizedReduce"  # its s0 input is twice as large
    # The CIFAR stem keeps full resolution and needs no FactorizedReduce on the first cell.
    cifar = DartsSpace("s0").build_supernet(channels=4, layers=3, num_classes=5, affine=False)
    assert type(cifar.cells[0].preprocess0).__name__ == "ReluConvBn"
    assert sum(p.numel() for p in net.stem0.parameters()) + sum(p.numel() for p in net.stem1.parameters()) == (
        3 * 2 * 9 + 2 * 2 + 2 * 4 * 9 + 2 * 4 + 4 * 4 * 9 + 2 * 4  # convs and BN affine weights
    )


def test_the_s0_imagenet_profiles_choose_the_imagenet_stem_and_others_do_not(tmp_path):
    for profile in ("paper", "quick"):
        config = resolve_config("s0-imagenet", "rome", profile, data=str(tmp_path))
        assert config.network.stem == "imagenet"
    assert resolve_config("s0-cifar10", "darts", "quick").network.stem == "cifar"
    chosen = apply_overrides(resolve_config("s2-cifar10", "darts", "quick"), ["network.stem=imagenet"])
    assert chosen.network.stem == "imagenet"
    with pytest.raises(NashError, match="unknown search-network stem 'tiny'"):
        DartsSpace("s0").build_supernet(channels=4, layers=3, num_classes=5, affine=False, stem="tiny")
    with pytest.raises(NashError, match="even stem_multiplier·C"):
        DartsSpace("s0").build_supernet(channels=5, layers=3, num_classes=5, affine=False, stem="imagenet")


def test_stem_multiplier_sets_the_imagenet_stem_width_as_in_pc_darts():
    """PC-DARTS model_search_imagenet.py: S = stem_multiplier·C, stem0 3 → S/2 → S, stem1 S → S (3 → 24 → 48 at
    C=16); the first cell preprocesses both stem outputs from S to C channels."""
    net = DartsSpace("s0").build_supernet(channels=16, layers=8, num_classes=5, affine=False, stem="imagenet")
    convs = [(m.in_channels, m.out_channels) for m in [*net.stem0, *net.stem1] if isinstance(m, torch.nn.Conv2d)]
    assert convs == [(3, 24), (24, 48), (48, 48)]
    first = net.cells[0]
    assert [m.in_channels for m in first.preprocess0.modules() if isinstance(m, torch.nn.Conv2d)] == [48, 48]
    assert [m.out_channels for m in first.preprocess1.modules() if isinstance(m, torch.nn.Conv2d)] == [16]
    assert (
        DartsSpace("s0")
        .build_supernet(channels=16, layers=8, num_classes=5, affine=False, stem="imagenet", stem_multiplier=1)
        .stem1[1]
        .out_channels
        == 16
    )


@pytest.mark.parametrize("name", list(SEARCHERS))
def test_every_searcher_steps_with_the_imagenet_stem(name):
    cls = get_searcher(name)
    options = cls.options_type(**SEARCHERS[name])
    torch.manual_seed(0)
    space = DartsSpace("s0")
    network = cls.build_supernet(
        space, num_classes=10, options=options, channels=4, layers=3, stem_multiplier=3, affine=False, stem="imagenet"
    )
    searcher = cls(space, network, TrainConfig(epochs=2), options)
    generator = torch.Generator().manual_seed(1)
    batch = [
        (torch.randn(4, 3, 32, 32, generator=generator), torch.randint(0, 10, (4,), generator=generator)) for _ in "tv"
    ]
    before = [p.detach().clone() for p in searcher.arch_parameters()]
    stem_before = network.stem0[0].weight.detach().clone()
    searcher.new_epoch(0, 2)
    stats = searcher.step(*batch)
    assert torch.isfinite(stats.train_loss_sum) and torch.isfinite(stats.val_loss_sum)
    assert not torch.equal(before[0], searcher.arch_parameters()[0].detach())  # the architecture moved
    assert not torch.equal(stem_before, network.stem0[0].weight.detach())  # the stem is trained with the weights
    space.check_genotype(searcher.genotype())
