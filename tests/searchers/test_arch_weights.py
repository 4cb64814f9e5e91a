"""The per-epoch α (β) record (`Searcher.arch_weights`): labelled, normalised, and what derivation reads."""

import json

import pytest
import torch
import torch.nn.functional as F

from benchmarks.darts.cell_edges import NODE_IN_EDGES
from benchmarks.darts.spaces import DartsSpace
from benchmarks.nb201.arch import OPS
from searchers.base import TrainConfig
from searchers.registry import BUILTIN_SEARCHERS, get_searcher
from searchers.topology import edge_pairs

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY_DARTS = {"channels": 4, "layers": 3, "stem_multiplier": 1, "affine": False}


def build(name, space, options=None, **size):
    cls = get_searcher(name)
    opts = cls.options_type(**(options or {}))
    torch.manual_seed(0)
    network = cls.build_supernet(space, num_classes=10, options=opts, **size)
    searcher = cls(space, network, TrainConfig(epochs=2), opts)
    with torch.no_grad():  # far from uniform, so a mislabelled or transposed table cannot pass
        for p in searcher.arch_parameters():
            p.copy_(torch.randn(p.shape))
    return searcher


@pytest.mark.parametrize("name", sorted(BUILTIN_SEARCHERS))
def test_every_searcher_records_softmax_alpha_per_nb201_edge(name, space):
    options = {"topology": False} if name == "rome" else {}  # NB201 has no topology (its profiles say so)
    searcher = build(name, space, options, channels=4, cells_per_stage=1, affine=False)
    weights = json.loads(json.dumps(searcher.arch_weights()))  # what the row stores survives JSON
    alpha = weights["alpha"]
    assert list(alpha) == ["1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2"]
    probs = F.softmax(searcher.alpha.detach(), dim=-1)
    for edge, (label, ops) in enumerate(alpha.items()):
        assert list(ops) == list(OPS), label
        assert list(ops.values()) == pytest.approx(probs[edge].tolist(), rel=1e-5)
    # NB201 derivation is the argmax per edge: the stored weights name the derived cell's ops.
    derived = [max(ops, key=ops.get) for ops in alpha.values()]
    assert derived == list(searcher.genotype().ops)


def test_pcdarts_beta_is_its_edge_normalisation_per_node(space):
    searcher = build("pcdarts", space, {"k": 2}, channels=4, cells_per_stage=1, affine=False)
    beta = searcher.arch_weights()["beta"]
    assert {node: list(edges) for node, edges in beta.items()} == {
        "1": ["1<-0"], "2": ["2<-0", "2<-1"], "3": ["3<-0", "3<-1", "3<-2"]
    }  # fmt: skip
    expected = searcher.edge_weights().tolist()
    stored = [w for edges in beta.values() for w in edges.values()]
    assert stored == pytest.approx(expected, rel=1e-5)
    assert all(sum(edges.values()) == pytest.approx(1, abs=1e-5) for edges in beta.values())


@pytest.mark.parametrize("sampler", ["top2", "pairs"])
def test_rome_topology_beta_per_node_matches_its_derivation(sampler):
    space = DartsSpace("s2")
    searcher = build("rome", space, {"k": 1, "topology_sampler": sampler}, **TINY_DARTS)
    weights = searcher.arch_weights()
    assert len(weights["alpha"]) == 28 and list(weights["alpha"])[14] == "reduce 2<-0"
    assert list(weights["alpha"]["normal 3<-2"]) == list(space.edge_ops(4))
    beta = weights["beta"]
    assert list(beta) == list(space.node_labels)
    chosen = searcher.topology.most_likely_edges()
    for (node, options), in_edges, (i, j) in zip(beta.items(), NODE_IN_EDGES * 2, chosen, strict=True):
        assert sum(options.values()) == pytest.approx(1, abs=1e-5)
        count = len(in_edges) if sampler == "top2" else len(edge_pairs(len(in_edges)))
        assert len(options) == count, node
        label_i, label_j = space.edge_label(i), space.edge_label(j)
        ranked = sorted(options, key=options.get, reverse=True)
        if sampler == "top2":  # the two kept edges are the two largest β
            assert set(ranked[:2]) == {label_i, label_j}
        else:
            assert ranked[0] == f"{label_i} & {label_j}"
