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
        "searcher", "reference", "s", "per-edge", "s", "fused", "s", "fused-cl", "s", "per-edge/ref", "fused/ref",
        "fused-cl/ref", "fused/per-edge", "fused-cl/per-edge", "fused-cl/fused",
    ]  # fmt: skip
    for row, name in zip(table[2:], ("darts", "gdas"), strict=True):
        cells = row.split()
        assert cells[0] == name and all(c.endswith("x") for c in cells[5:])
    results = json.loads(out.read_text())["results"]
    for r in results:
        assert r["vs_reference"]["reference"] == 1.0 and r["vs_per_edge"]["per-edge"] == 1.0
        assert r["vs_fused"]["fused"] == 1.0
        assert all(len(times) == 2 for times in r["all_seconds"].values())


def test_opt_in_variants_and_minutes_per_epoch(capsys):
    """bf16 and channels-last + bf16 beside the fused default, and the epoch's minutes from its step count."""
    bench = load_script("bench_speed")
    threads = torch.get_num_threads()
    try:
        code = bench.main([*TINY, "--searchers", "gdas", "--variants", "fused,bf16,cl-bf16", "--epoch-steps", "391"])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    header, _rule, row = capsys.readouterr().out.splitlines()[-3:]
    names = header.split("  ")
    names = [n.strip() for n in names if n.strip()]
    assert names == ["searcher", "fused s", "bf16 s", "cl-bf16 s", "bf16/fused", "cl-bf16/fused", "fused min/epoch",
                     "bf16 min/epoch", "cl-bf16 min/epoch"]  # fmt: skip
    cells = row.split()
    seconds, minutes = float(cells[1]), float(cells[6])
    assert minutes == pytest.approx(seconds * 391 / 60, abs=0.01 * 391 / 60 + 0.01)  # from the printed 2 decimals
