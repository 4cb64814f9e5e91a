"""The NAS-Bench-201 authors' reference networks (`xautodl` 1.0.0) beside nash's, with the same weights.

xautodl's search convs carry a bias (`bias=not affine`) that the BN right after them cancels, and its
state dict holds the architecture logits; apart from those, both state dicts list the same tensors in
the same order (stem, cells edge by edge in the same edge and op order, reductions, head).
"""

from __future__ import annotations

import pytest
import torch

xautodl_search = pytest.importorskip(
    "xautodl.models.cell_searchs", reason="needs xautodl (pip install --no-deps xautodl==1.0.0)"
)
from xautodl.models import get_search_spaces  # noqa: E402

NB201_OPS = get_search_spaces("cell", "nas-bench-201")


def shared_keys(reference: torch.nn.Module) -> list[str]:
    """The reference's state-dict keys that nash's network has too, in order."""
    state = reference.state_dict()
    return [
        key
        for key, value in state.items()
        if not key.startswith("arch_")
        and not (key.endswith(".bias") and state[key[: -len("bias")] + "weight"].dim() == 4)  # BN-cancelled conv bias
    ]


def copy_weights(reference: torch.nn.Module, mine: torch.nn.Module) -> None:
    """Load the reference's weights and BN buffers into nash's network (shapes checked pairwise)."""
    state = reference.state_dict()
    keys = shared_keys(reference)
    targets = list(mine.state_dict())
    assert len(keys) == len(targets), (len(keys), len(targets))
    loaded = {}
    for theirs, ours in zip(keys, targets, strict=True):
        assert state[theirs].shape == mine.state_dict()[ours].shape, (theirs, ours)
        loaded[ours] = state[theirs].clone()
    mine.load_state_dict(loaded)


def reference_weights(reference: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The reference's trainable weights in nash's parameter order (its BN-cancelled conv biases left out)."""
    params = dict(reference.named_parameters())
    return [params[k] for k in shared_keys(reference) if k in params]


def batch(seed: int, n: int = 6, side: int = 8, classes: int = 10):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, side, side, generator=generator), torch.randint(0, classes, (n,), generator=generator)


def gdas_reference(channels: int, cells: int, classes: int) -> torch.nn.Module:
    from xautodl.models.cell_searchs.search_model_gdas import TinyNetworkGDAS

    return TinyNetworkGDAS(channels, cells, 4, classes, NB201_OPS, False, True)


def darts_reference(channels: int, cells: int, classes: int) -> torch.nn.Module:
    """The supernet of NAS-Bench-201's DARTS-V1 / DARTS-V2 runs (BN without affine, running statistics tracked)."""
    from xautodl.models.cell_searchs.search_model_darts import TinyNetworkDarts

    return TinyNetworkDarts(channels, cells, 4, classes, NB201_OPS, False, True)


def discrete_reference(arch: str, channels: int, cells: int, classes: int) -> torch.nn.Module:
    """The NAS-Bench-201 network of one cell, as the benchmark's authors build it from its string."""
    from xautodl.models import get_cell_based_tiny_net
    from xautodl.models.cell_searchs.genotypes import Structure

    config = {"name": "infer.tiny", "C": channels, "N": cells, "num_classes": classes}
    return get_cell_based_tiny_net({**config, "genotype": Structure.str2structure(arch)})
