"""scripts/bench_speed.py: every variant beside xautodl's reference, ratios printed, at a tiny size."""

import json

import pytest
import torch

from tests.scripts.script_loader import load_script

TINY = ["--channels", "4", "--cells", "1", "--batch", "4", "--size", "8", "--warmup", "0", "--repeats", "2"]


def test_side_by_side_table_has_every_ratio_to_the_reference(tmp_path, capsys):
    pytest.importorskip("xautodl")
    bench = load_script("bench_speed")
    threads = torch.get_num_threads()
    out = tmp_path / "speed.json"
    try:
        code = bench.main([*TINY, "--searchers", "darts,gdas", "--no-compile", "--json", str(out)])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    table = capsys.readouterr().out.splitlines()[-4:]
    assert table[0].split() == [
        "searcher", "reference", "s", "per-edge", "s", "fused", "s", "fused-cl", "s", "fused/ref", "fused-cl/ref",
        "compiled/ref", "fused/per-edge", "fused-cl/per-edge", "compiled/per-edge", "compile", "s",
    ]  # fmt: skip
    for row, name in zip(table[2:], ("darts", "gdas"), strict=True):
        cells = row.split()
        assert cells[0] == name and all(c.endswith("x") for c in cells[5:7] + cells[8:10])
    results = json.loads(out.read_text())["results"]
    for r in results:
        assert r["vs_reference"]["reference"] == 1.0 and r["vs_per_edge"]["per-edge"] == 1.0
        assert all(len(times) == 2 for times in r["all_seconds"].values())
