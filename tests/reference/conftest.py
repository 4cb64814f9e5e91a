import pytest
import torch


@pytest.fixture
def float64():
    """float64 and one thread, so that nash and the reference can be compared to ~1e-12."""
    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    yield
    torch.set_default_dtype(dtype)
    torch.set_num_threads(threads)
