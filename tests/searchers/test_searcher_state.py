"""Every registered searcher's state is tensors and plain Python values: it survives torch.load(weights_only=True)."""

import io

import pytest
import torch

from benchmarks.registry.spaces import get_space
from searchers.base import TrainConfig
from searchers.registry import SEARCHERS

OPTIONS = {"pcdarts": {"warmup_epochs": 0}, "rome": {"topology": False, "k": 2}, "darts-es": {"unrolled": False}}


def tiny(name: str):
    cls = SEARCHERS[name]
    options = cls.options_type(**OPTIONS.get(name, {}))
    space = get_space("nb201")
    network = cls.build_supernet(space, num_classes=10, options=options, channels=4, cells_per_stage=1, affine=False)
    return cls(space, network, TrainConfig(epochs=3, batch_size=4), options)


@pytest.mark.parametrize("name", list(SEARCHERS))
def test_state_loads_with_weights_only_and_restores_the_searcher(name, batches, one_torch_thread):
    torch.manual_seed(0)
    searcher = tiny(name)
    searcher.new_epoch(1, 3)
    searcher.step(*batches)
    buffer = io.BytesIO()
    torch.save(searcher.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    torch.manual_seed(1)
    fresh = tiny(name)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.alpha, searcher.alpha)
    assert fresh.genotype().to_string() == searcher.genotype().to_string()
    assert fresh.epoch_facts() == searcher.epoch_facts()
