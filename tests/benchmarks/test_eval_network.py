"""Evaluation networks built from genotypes: published sizes, shapes, drop-path, `none` and `noise` genes."""

import pytest
import torch

from benchmarks.darts.complexity import count_macs, count_params
from benchmarks.darts.eval_network import EvalCell, EvalNetwork
from benchmarks.darts.genotype import make_genotype, parse_genotype

DARTS_V2 = parse_genotype(
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small tensors gain nothing from intra-op threads; on a loaded machine they only spin and wait."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def uniform_cell(op: str):
    genes = [(op, 0), (op, 1)] * 4
    return make_genotype(genes, genes)


def test_darts_v2_cifar_size_matches_the_paper():
    # DARTS paper, Table 1: DARTS (second order) 3.3 M params (auxiliary head excluded). Tolerance 3 %.
    net = EvalNetwork(DARTS_V2, channels=36, layers=20, num_classes=10, auxiliary=True, imagenet=False)
    params = count_params(net)
    assert abs(params - 3.3e6) / 3.3e6 < 0.03
    assert params == 3_349_342  # what the DARTS code prints for this cell ("param size = 3.349342MB")
    assert count_params(net, with_aux=True) > params


def test_darts_v2_imagenet_size_and_mult_adds():
    # DARTS paper, Table 3: 4.7 M params (tolerance 2 %), 574 M mult-adds. Counting only conv + linear
    # MACs gives ~530 M (-7.7 %); the paper's extra ~44 M is not reproducible from its code (see
    # quark0/darts issue #46: others measured 523-545 M). Tolerance 10 %.
    net = EvalNetwork(DARTS_V2, channels=48, layers=14, num_classes=1000, auxiliary=True, imagenet=True)
    params = count_params(net)
    assert abs(params - 4.7e6) / 4.7e6 < 0.02
    macs = count_macs(net, (3, 224, 224))
    assert abs(macs - 574e6) / 574e6 < 0.10
    assert net.training  # counting restores the mode


def test_cifar_shapes_and_auxiliary_head():
    net = EvalNetwork(DARTS_V2, channels=4, layers=5, num_classes=7, auxiliary=True, imagenet=False)
    x = torch.randn(2, 3, 32, 32)
    logits, aux = net(x, drop_path_prob=0.2)
    assert logits.shape == (2, 7) and aux.shape == (2, 7)
    net.eval()
    logits, aux = net(x)
    assert logits.shape == (2, 7) and aux is None
    no_aux = EvalNetwork(DARTS_V2, channels=4, layers=5, num_classes=7, auxiliary=False, imagenet=False)
    assert no_aux(x)[1] is None and count_params(no_aux) == count_params(no_aux, with_aux=True)


def test_imagenet_shapes_and_auxiliary_head():
    net = EvalNetwork(DARTS_V2, channels=4, layers=3, num_classes=11, auxiliary=True, imagenet=True)
    logits, aux = net(torch.randn(2, 3, 224, 224))
    assert logits.shape == (2, 11) and aux.shape == (2, 11)
    # The stem takes 224 to 28; two reductions leave 7x7 maps for the final pooling.
    assert net.stem1(net.stem0(torch.randn(1, 3, 224, 224))).shape[-1] == 28
    # The head of the reference code behind the published ImageNet numbers (DARTS's AuxiliaryHeadImageNet,
    # PC-DARTS's model.py): BN after the 1x1 conv, none after the 2x2 conv. CIFAR's head has both.
    head_bns = [m.num_features for m in net.auxiliary_head.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert head_bns == [128]
    cifar = EvalNetwork(DARTS_V2, channels=4, layers=5, num_classes=7, auxiliary=True, imagenet=False)
    assert [m.num_features for m in cifar.auxiliary_head.modules() if isinstance(m, torch.nn.BatchNorm2d)] == [128, 768]


def _cell_outputs(genotype, drop_prob: float, training: bool):
    cell = EvalCell(genotype.normal, genotype.normal_concat, 8, 8, 4, reduction=False, reduction_prev=False)
    cell.train(training)
    torch.manual_seed(0)
    s0, s1 = torch.randn(8, 8, 6, 6), torch.randn(8, 8, 6, 6)
    out = []
    for p in (0.0, drop_prob):
        torch.manual_seed(1)
        out.append(cell(s0, s1, p))
    return out


def test_drop_path_only_in_training_and_only_on_non_identity_ops():
    with_p, without = _cell_outputs(uniform_cell("sep_conv_3x3"), 0.5, training=True)
    assert not torch.equal(with_p, without)
    with_p, without = _cell_outputs(uniform_cell("sep_conv_3x3"), 0.5, training=False)
    assert torch.equal(with_p, without)
    with_p, without = _cell_outputs(uniform_cell("skip_connect"), 0.5, training=True)  # identities
    assert torch.equal(with_p, without)
    # A dropped sample of a conv op is exactly zero; kept ones are scaled by 1 / keep.
    cell = EvalCell(uniform_cell("sep_conv_3x3").normal, (2,), 8, 8, 4, reduction=False, reduction_prev=False)
    cell.ops[0].register_forward_hook(lambda _m, _i, o: o.fill_(1.0))
    cell.ops[1].register_forward_hook(lambda _m, _i, o: o.fill_(1.0))
    out = cell(torch.randn(64, 8, 3, 3), torch.randn(64, 8, 3, 3), 0.5)
    assert set(out[:, 0, 0, 0].tolist()) <= {0.0, 2.0, 4.0}


def test_noise_genes_ignore_their_input_and_none_genes_add_nothing():
    noise = uniform_cell("noise")
    cell = EvalCell(noise.normal, noise.normal_concat, 8, 8, 4, reduction=False, reduction_prev=False).eval()
    outs = []
    for scale in (1.0, 100.0):
        torch.manual_seed(3)
        outs.append(cell(scale * torch.randn(4, 8, 6, 6), torch.zeros(4, 8, 6, 6), 0.0))
    assert torch.equal(outs[0], outs[1]) and outs[0].std() > 0.5
    none_genes = [("none", 0), ("none", 1), ("skip_connect", 0), ("none", 2), ("none", 0), ("none", 1)] * 1
    none_genes += [("skip_connect", 1), ("none", 3)]
    genotype = make_genotype(none_genes, none_genes)
    cell = EvalCell(genotype.normal, genotype.normal_concat, 8, 8, 4, reduction=False, reduction_prev=False).eval()
    out = cell(torch.randn(2, 8, 5, 5), torch.randn(2, 8, 5, 5), 0.0)
    assert out.shape == (2, 16, 5, 5) and torch.count_nonzero(out[:, :4]) == 0  # node 0 = none + none
    s4 = make_genotype([("noise", 0), ("sep_conv_3x3", 1)] * 4, [("sep_conv_3x3", 0), ("noise", 1)] * 4)
    net = EvalNetwork(s4, channels=4, layers=3, num_classes=10, auxiliary=False, imagenet=False).eval()
    x = torch.randn(2, 3, 32, 32)
    assert not torch.equal(net(x)[0], net(x)[0])  # fresh noise every forward


def test_cutout_zeroes_one_clipped_square_per_image():
    from benchmarks.batches.augment import cutout

    x = torch.ones(64, 3, 32, 32)
    out = cutout(x, 16, torch.Generator().manual_seed(0))
    holes = (out[:, 0] == 0).sum(dim=(1, 2))
    assert holes.max() == 256 and holes.min() >= 64  # whole 16x16 inside, at least a quarter at a corner
    assert torch.equal(out[:, 0] == 0, out[:, 2] == 0)  # the same square on every channel
    rows = (out[:, 0] == 0).any(dim=2).sum(dim=1)
    assert rows.max() <= 16
