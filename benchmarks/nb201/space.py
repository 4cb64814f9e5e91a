"""The NAS-Bench-201 search space as searchers see it: edges, ops, networks, genotypes."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.nb201.arch import EDGES, NUM_EDGES, NUM_NODES, OPS, PARAMETER_FREE_OPS, Nb201Arch
from benchmarks.nb201.network import Nb201Network, Nb201SuperNet


class Nb201Space:
    """Every node keeps all its inputs; `none` is a candidate op (it plays the topology's role)."""

    name = "nb201"
    ops: tuple[str, ...] = OPS
    num_edges: int = NUM_EDGES
    parameter_free_ops = PARAMETER_FREE_OPS
    num_ops: int = len(OPS)
    none_index: int | None = OPS.index("none")
    edge_strides: tuple[int, ...] = (1,) * NUM_EDGES
    # Incoming edges of each node 1..3 (every node sums all of them; PC-DARTS normalises over them).
    node_edge_groups: tuple[tuple[int, ...], ...] = tuple(
        tuple(e for e, (_, dest) in enumerate(EDGES) if dest == node) for node in range(1, NUM_NODES)
    )
    node_labels: tuple[str, ...] = tuple(str(node) for node in range(1, NUM_NODES))  # of node_edge_groups
    network_fields = ("channels", "cells_per_stage", "affine")  # the NetworkConfig fields the supernet uses
    # No `node_in_edges`: there is no topology to sample (ROME refuses topology=true here).

    def edge_ops(self, edge: int) -> tuple[str, ...]:
        """The op names of α row `edge`: the same five ops on every edge."""
        if not 0 <= edge < NUM_EDGES:
            raise IndexError(f"NAS-Bench-201 edges are 0..{NUM_EDGES - 1}, got {edge}")
        return OPS

    def edge_label(self, edge: int) -> str:
        """α row `edge` as `target<-source`, nodes numbered as in the official string (0: the cell input)."""
        source, target = EDGES[edge]
        return f"{target}<-{source}"

    def build_supernet(
        self, channels: int, cells_per_stage: int, num_classes: int, affine: bool, op_channels_divisor: int = 1
    ) -> Nb201SuperNet:
        return Nb201SuperNet(channels, cells_per_stage, num_classes, affine, op_channels_divisor)

    def build_network(self, arch: Nb201Arch, channels: int, cells_per_stage: int, num_classes: int) -> Nb201Network:
        return Nb201Network(arch, channels, cells_per_stage, num_classes)

    def genotype_from_op_indices(self, op_indices: Sequence[int]) -> Nb201Arch:
        """Derivation rule of the space: one op per edge (argmax taken by the searcher)."""
        return Nb201Arch.from_op_indices(op_indices)

    def parse(self, text: str) -> Nb201Arch:
        return Nb201Arch.from_string(text)
