"""scripts/gpu_checklist.py: the summary of the GPU checks, and (slow) the whole plumbing at toy sizes on CPU."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_checklist.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gpu_checklist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    checklist = load_script()
    lines = checklist.memory_table(report(8192, 2048), report(4096, 1024))
    assert lines[2] == "| darts | 8.00 | 4.00 | 9.4 | 1.00x | 200.0 | 200.0 |"
    assert lines[3] == "| gdas | 2.00 | 1.00 | 3.1 | 0.25x | 100.0 | 100.0 |"
    assert checklist.memory_table(report(8192, 2048), None)[3] == "| gdas | 2.00 | - | 3.1 | 0.25x | 100.0 | - |"


@pytest.mark.slow
def test_smoke_run_writes_every_section_of_the_summary(tmp_path):
    checklist = load_script()
    assert checklist.main(["--smoke", "--out", str(tmp_path)]) == 0
    found = json.loads((tmp_path / "summary.json").read_text())
    assert found["s0_fp32"]["setting"]["device"].startswith("cpu")
    assert found["nb201_bf16"]["setting"]["precision"] == "bf16"
    assert all(t["same_genotypes"] for t in found["trajectories"])  # CPU vs CPU here: must agree
    assert {g["searcher"] for g in found["bf16_genotypes"]} == {"darts", "gdas"}
    assert "NB201 epoch seconds" in (tmp_path / "summary.md").read_text()
