import torch
from torch import nn

from benchmarks.nb201.arch import EDGES, OPS, Nb201Arch
from benchmarks.nb201.network import Nb201Network, Nb201SuperNet, SearchCell
from benchmarks.nb201.space import Nb201Space

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


class OneHotMixer:
    """Runs exactly the op of `arch` on each edge, like the discrete network does."""

    def __init__(self, arch: Nb201Arch) -> None:
        self.index = arch.op_indices

    def __call__(self, edge, ops, x):
        return ops[self.index[edge]](x)


def _head_call_order(net, x):
    calls = []
    bn, relu = net.last_act
    bn.register_forward_hook(lambda *_: calls.append("bn"))
    relu.register_forward_hook(lambda *_: calls.append("relu"))
    net.pool.register_forward_hook(lambda *_: calls.append("pool"))
    net(x, OneHotMixer(Nb201Arch.from_string(BEST))) if isinstance(net, Nb201SuperNet) else net(x)
    return calls


def test_final_bn_relu_is_applied_before_pooling():
    for net in (Nb201SuperNet(8, 1), Nb201Network(Nb201Arch.from_string(BEST), 8, 1)):
        bn, relu = net.last_act
        assert isinstance(bn, nn.BatchNorm2d) and bn.num_features == 32 and isinstance(relu, nn.ReLU)
        assert _head_call_order(net, torch.randn(2, 3, 32, 32)) == ["bn", "relu", "pool"]


def test_macro_skeleton_stages_and_shapes():
    net = Nb201SuperNet(channels=16, cells_per_stage=5, num_classes=10)
    cells = [m for m in net.layers if isinstance(m, SearchCell)]
    assert len(cells) == 15 and len(net.layers) == 17
    assert [len(edge) for edge in cells[0].edges] == [len(OPS)] * len(EDGES)
    out = net(torch.randn(2, 3, 32, 32), OneHotMixer(Nb201Arch.from_string(BEST)))
    assert out.shape == (2, 10)
    assert net.classifier.in_features == 64


def test_supernet_bn_has_no_affine_but_discrete_network_does():
    net = Nb201SuperNet(8, 1)
    conv_op = net.layers[0].edges[0][OPS.index("nor_conv_3x3")]
    assert conv_op[2].affine is False
    discrete = Nb201Network(Nb201Arch.from_string(BEST), 8, 1)
    assert discrete.layers[0].ops["0"][2].affine is True


def test_supernet_path_equals_discrete_network_with_the_same_weights():
    arch = Nb201Arch.from_string(BEST)
    torch.manual_seed(0)
    supernet = Nb201SuperNet(8, 2, affine=True).eval()
    network = Nb201Network(arch, 8, 2).eval()
    # Copy the chosen op's weights edge by edge; the skeleton has the same names.
    source = supernet.state_dict()
    target = network.state_dict()
    for name in target:
        parts = name.split(".")
        if len(parts) > 2 and parts[0] == "layers" and parts[2] == "ops":
            edge = int(parts[3])
            mapped = ".".join(["layers", parts[1], "edges", str(edge), str(arch.op_indices[edge]), *parts[4:]])
            target[name] = source[mapped]
        else:
            target[name] = source[name]
    network.load_state_dict(target)
    x = torch.randn(3, 3, 32, 32)
    torch.testing.assert_close(network(x), supernet(x, OneHotMixer(arch)))


def test_none_edges_are_dropped_from_the_discrete_network():
    arch = Nb201Arch(("none",) * 6)
    net = Nb201Network(arch, 8, 1)
    assert len(net.layers[0].ops) == 0
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_space_derives_and_parses_genotypes():
    space = Nb201Space()
    arch = space.genotype_from_op_indices([3, 3, 3, 1, 3, 3])
    assert arch.to_string() == BEST
    assert space.parse(BEST) == arch
