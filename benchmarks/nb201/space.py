"""The NAS-Bench-201 search space as searchers see it: edges, ops, networks, genotypes."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.nb201.arch import NUM_EDGES, OPS, PARAMETER_FREE_OPS, Nb201Arch
from benchmarks.nb201.network import Nb201Network, Nb201SuperNet


class Nb201Space:
    """Every node keeps all its inputs; `none` is a candidate op (it plays the topology's role)."""

    name = "nb201"
    ops: tuple[str, ...] = OPS
    num_edges: int = NUM_EDGES
    parameter_free_ops = PARAMETER_FREE_OPS

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
