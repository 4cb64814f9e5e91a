"""Host reads in a search step: none for the relaxed searchers, one per α for the single-path ones.

A host read of a tensor (`item`, `tolist`, `bool`/`float`/`int` of a tensor, `.cpu()`, `.numpy()`) waits
on a GPU for every queued kernel. A single-path searcher must read its sampled ops (the forward calls only
those modules): every sample drawn from one α (GDAS's two per step; a ROME phase's K, with their topology)
comes back in one read with its finiteness check. CPU only: counted by wrapping the Tensor methods that
read values, during `step`.
"""

from __future__ import annotations

import sys

import pytest
import torch

from benchmarks.darts.spaces import DartsSpace
from benchmarks.nb201.space import Nb201Space
from searchers.base import TrainConfig
from searchers.registry import get_searcher

READS = ("item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy")
TINY_DARTS = {"channels": 4, "layers": 3, "stem_multiplier": 1, "affine": False}
TINY_NB201 = {"channels": 4, "cells_per_stage": 1, "affine": False}


def host_reads_in_step(name: str, space, network_fields: dict, **options) -> int:
    cls = get_searcher(name)
    opts = cls.options_type(**options)
    torch.manual_seed(0)
    network = cls.build_supernet(space, num_classes=10, options=opts, **network_fields)
    searcher = cls(space, network, TrainConfig(epochs=4), opts)
    searcher.new_epoch(2, 4)  # past PC-DARTS's warm-up
    generator = torch.Generator().manual_seed(1)
    batch = (torch.randn(2, 3, 8, 8, generator=generator), torch.randint(0, 10, (2,), generator=generator))
    searcher.step(batch, batch)  # first step: optimiser state, lazy set-up
    count = 0
    originals = {name: getattr(torch.Tensor, name) for name in READS}

    def counting(original):
        def read(self, *args, **kwargs):
            nonlocal count
            # Adam's step counter is a host tensor by design (not capturable): reading it waits for nothing.
            count += not sys._getframe(1).f_globals["__name__"].startswith("torch.optim")
            return original(self, *args, **kwargs)

        return read

    try:
        for method, original in originals.items():
            setattr(torch.Tensor, method, counting(original))
        searcher.step(batch, batch)
    finally:
        for method, original in originals.items():
            setattr(torch.Tensor, method, original)
    return count


@pytest.mark.parametrize(
    ("name", "space", "fields", "options", "reads"),
    [
        ("darts", Nb201Space(), TINY_NB201, {}, 0),
        ("darts", DartsSpace("s1"), TINY_DARTS, {}, 0),
        ("darts-v2", DartsSpace("s1"), TINY_DARTS, {}, 0),  # ε of the finite difference stays on the device
        ("pcdarts", Nb201Space(), TINY_NB201, {"k": 2}, 0),
        ("pcdarts", DartsSpace("s1"), TINY_DARTS, {"k": 2}, 0),
        ("darts-minus", DartsSpace("s1"), TINY_DARTS, {}, 0),
        ("drnas", DartsSpace("s1"), TINY_DARTS, {}, 2),  # each Dirichlet draw copies β to the CPU
        ("sdarts-rs", DartsSpace("s1"), TINY_DARTS, {}, 0),
        ("gdas", Nb201Space(), TINY_NB201, {}, 1),  # both samples from one α: one read
        ("gdas", Nb201Space(), TINY_NB201, {"sample_per_step": False}, 1),
        ("rome", DartsSpace("s1"), TINY_DARTS, {"topology": False, "k": 1}, 2),  # one per phase (α steps between)
        ("rome", DartsSpace("s1"), TINY_DARTS, {"k": 1}, 2),
        ("rome", DartsSpace("s1"), TINY_DARTS, {"k": 3}, 2),  # K samples per phase, still one read each
        (
            "rome",
            DartsSpace("s1"),
            TINY_DARTS,
            {"topology": False, "accumulate_arch": False, "accumulate_weights": False, "k": 1},
            1,
        ),  # GDAS's step
    ],
    ids=[
        "darts-nb201",
        "darts-s1",
        "darts-v2",
        "pcdarts-nb201",
        "pcdarts-s1",
        "darts-minus",
        "drnas",
        "sdarts-rs",
        "gdas",
        "gdas-one-sample",
        "rome-no-topology",
        "rome",
        "rome-k3",
        "rome-as-gdas",
    ],
)
def test_host_reads_per_step(name, space, fields, options, reads, one_torch_thread):
    assert host_reads_in_step(name, space, fields, **options) == reads
