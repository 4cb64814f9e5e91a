"""`peak_mem_mb` is the peak since the last reset (the run's, the epoch's), not the process's peak so far."""

from pathlib import Path

import numpy as np
import pytest
import torch

from harness.system.environment import peak_memory_mb, reset_peak_memory

CPU = torch.device("cpu")
RESETTABLE = Path("/proc/self/clear_refs").exists()


def touch(megabytes: int) -> np.ndarray:
    block = np.ones(megabytes * 2**20 // 8)  # every page written: resident
    return block


@pytest.mark.skipif(not RESETTABLE, reason="needs Linux /proc/self/clear_refs")
def test_a_reset_forgets_an_earlier_larger_peak():
    reset_peak_memory(CPU)
    block = touch(300)
    big_peak = peak_memory_mb(CPU)
    del block
    reset_peak_memory(CPU)  # a later run in the same process (the demo runs five)
    block = touch(30)
    small_peak = peak_memory_mb(CPU)
    del block
    assert big_peak - small_peak > 200  # the 300 MB block of the "earlier run" is not in the later peak
    assert small_peak > 0
