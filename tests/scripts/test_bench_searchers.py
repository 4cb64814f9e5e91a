"""scripts/bench_searchers.py: every registered searcher measured, ratios to DARTS, CPU subprocess plumbing."""

import json

import torch

from searchers.registry import SEARCHERS
from tests.scripts.script_loader import load_script

TINY = ["--channels", "4", "--cells", "1", "--batch", "4", "--size", "8", "--warmup", "0", "--steps", "2"]


def test_every_registered_searcher_is_measured_with_ratios_to_darts():
    bench = load_script("bench_searchers")
    args = bench.parse_args(TINY)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: extra threads only wait on a loaded machine
    try:
        results = [bench.measure(name, args, torch.device("cpu")) for name in SEARCHERS]
    finally:
        torch.set_num_threads(threads)
    bench.add_ratios(results)
    assert [r["searcher"] for r in results] == list(SEARCHERS)
    darts = next(r for r in results if r["searcher"] == "darts")
    assert darts["time_vs_darts"] == 1.0
    # In-process CPU RSS: 0 MB (no ratio) when earlier tests already raised the process's peak.
    assert darts["memory_vs_darts"] == (1.0 if darts["peak_memory_mb"] > 0 else None)
    for r in results:
        assert len(r["step_seconds_all"]) == 2 and r["step_seconds_median"] > 0
        assert r["images_per_second"] == 2 * 4 / r["step_seconds_median"]
    table = bench.format_table(results, "peak RSS +MB")
    assert all(name in table for name in SEARCHERS)


def test_cpu_run_measures_each_searcher_in_a_subprocess(capsys):
    bench = load_script("bench_searchers")
    assert bench.main([*TINY, "--device", "cpu", "--searchers", "gdas", "--threads", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "fresh subprocess" in report["setting"]["memory"]
    (gdas,) = report["results"]
    assert gdas["searcher"] == "gdas" and gdas["time_vs_darts"] is None  # no DARTS in this run


def test_darts_space_benchmark_measures_every_searcher_on_its_search_network():
    bench = load_script("bench_searchers")
    argv = ["--benchmark", "s2-cifar10", "--channels", "8", "--layers", "3", "--batch", "4", "--size", "8"]
    args = bench.parse_args([*argv, "--warmup", "0", "--steps", "1"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = [bench.measure(name, args, torch.device("cpu")) for name in SEARCHERS]
    finally:
        torch.set_num_threads(threads)
    assert [r["searcher"] for r in results] == list(SEARCHERS)
    rome = next(r for r in results if r["searcher"] == "rome")
    assert rome["options"]["topology"] is True  # the DARTS spaces sample ROME's topology
    assert bench.supernet_size(
        bench.get_space("s2"), bench.get_profile(bench.get_benchmark("s2-cifar10"), "paper"), args
    ) == {
        "channels": 8,
        "layers": 3,
        "stem_multiplier": 3,
        "affine": False,
        "stem": "cifar",
    }
