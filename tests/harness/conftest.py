"""Fixtures shared by the harness tests."""

import pytest
import torch


@pytest.fixture
def deterministic_single_thread():
    """One thread and torch's deterministic algorithms: bit-exact comparisons of two training runs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(threads)
