"""scripts/bench_evaluate.py: the quick setting measured in-process, the table names what is extrapolated."""

import torch

from tests.scripts.script_loader import load_script


def test_quick_setting_is_measured_and_tabulated():
    bench = load_script("bench_evaluate")
    args = bench.parse_args(["--settings", "quick", "--warmup", "0", "--steps", "1"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: extra threads only wait on a loaded machine
    try:
        result = bench.measure("quick", args, torch.device("cpu"))
    finally:
        torch.set_num_threads(threads)
    assert (result["cells"], result["channels"], result["batch"], result["steps_per_epoch"]) == (6, 8, 64, 16)
    assert result["epoch_seconds_extrapolated"] == result["step_seconds_median"] * 16
    assert bench.protocol_of("paper").layers == 20 and bench.train_images(bench.protocol_of("paper")) == 50_000
    table = bench.format_table([result])
    assert "| quick | cpu | 6 | 8 | 64 |" in table and "extrapolated" in table
