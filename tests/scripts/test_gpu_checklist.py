"""scripts/gpu_checklist.py: the summary of the GPU checks, and (slow) the whole plumbing at toy sizes on CPU."""

import json

import pytest

from tests.scripts.script_loader import load_script


def report(darts_mb: float, gdas_mb: float) -> dict:
    results = [
        {"searcher": "darts", "peak_memory_mb": darts_mb, "step_seconds_median": 0.2, "memory_vs_darts": 1.0},
        {
            "searcher": "gdas",
            "peak_memory_mb": gdas_mb,
            "step_seconds_median": 0.1,
            "memory_vs_darts": gdas_mb / darts_mb,
        },
    ]
    return {"setting": {"device": "GPU X", "torch": "2.13", "cuda": "12.8", "date": "d"}, "results": results}


def test_memory_table_puts_fp32_bf16_and_the_paper_side_by_side():
    checklist = load_script("gpu_checklist")
    lines = checklist.memory_table(report(8192, 2048), report(4096, 1024))
    assert lines[2] == "| darts | 8.00 | 4.00 | 9.4 | 1.00x | 200.0 | 200.0 |"
    assert lines[3] == "| gdas | 2.00 | 1.00 | 3.1 | 0.25x | 100.0 | 100.0 |"
    assert checklist.memory_table(report(8192, 2048), None)[3] == "| gdas | 2.00 | - | 3.1 | 0.25x | 100.0 | - |"


def test_without_cuda_it_stops_at_once_with_one_line(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is here: the checklist would run")
    assert load_script("gpu_checklist").main(["--out", str(tmp_path / "gpu")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gpu_checklist: error: no CUDA device here") and "--smoke" in err[0]
    assert not (tmp_path / "gpu").exists()


def test_smoke_headings_name_the_sizes_that_ran(tmp_path, capsys):
    checklist = load_script("gpu_checklist")
    found = {"s0_fp32": report(8, 2), "s0_bf16": None, "nb201_fp32": report(8, 2), "nb201_bf16": None}
    found.update(epoch_times=[], trajectories=[], bf16_genotypes=[])
    checklist.write_summary(tmp_path, found, checklist.SMOKE_HEADINGS)
    text = (tmp_path / "summary.md").read_text()
    assert "smoke" in text and "C=8, N=1, batch 4" in text and "batch 64" not in text and "targets GDAS" not in text
    checklist.write_summary(tmp_path, found)
    assert "NB201 (C=16, N=5, batch 64):" in (tmp_path / "summary.md").read_text()


@pytest.mark.slow
def test_smoke_run_writes_every_section_of_the_summary(tmp_path):
    checklist = load_script("gpu_checklist")
    assert checklist.main(["--smoke", "--out", str(tmp_path)]) == 0
    found = json.loads((tmp_path / "summary.json").read_text())
    assert found["s0_fp32"]["setting"]["device"].startswith("cpu")
    assert found["nb201_bf16"]["setting"]["precision"] == "bf16"
    assert all(t["same_genotypes"] for t in found["trajectories"])  # CPU vs CPU here: must agree
    assert {g["searcher"] for g in found["bf16_genotypes"]} == {"darts", "gdas"}
    assert "NB201 epoch seconds" in (tmp_path / "summary.md").read_text()
