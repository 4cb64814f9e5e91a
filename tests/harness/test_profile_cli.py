"""`nash profile`: the table and JSON with ratios to DARTS, the device header, one-line errors."""

import json

import pytest
import torch

from harness.cli.main import main

TINY = ["--channels", "4", "--cells", "1", "--batch", "4", "--size", "8", "--threads", "1", "--device", "cpu"]


def test_profile_prints_the_table_and_writes_json_with_ratios_to_darts(tmp_path, capsys):
    out = tmp_path / "profile.json"
    argv = ["profile", "--benchmark", "nb201-cifar10", "--steps", "1", "--warmup", "0", "--searchers", "darts,gdas"]
    assert main([*argv, *TINY, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("device: cpu (1 threads) (torch ")
    assert "ms/step (median)" in printed and "memory vs DARTS" in printed
    report = json.loads(out.read_text())
    assert report["setting"]["device"] == "cpu (1 threads)" and report["setting"]["torch"] == torch.__version__
    assert report["setting"]["precision"] == "fp32" and "fresh subprocess" in report["setting"]["memory"]
    darts, gdas = report["results"]
    assert (darts["searcher"], gdas["searcher"]) == ("darts", "gdas")
    assert darts["time_vs_darts"] == 1.0 and darts["memory_vs_darts"] == 1.0
    assert gdas["time_vs_darts"] == gdas["step_seconds_median"] / darts["step_seconds_median"]
    assert gdas["memory_vs_darts"] == gdas["peak_memory_mb"] / darts["peak_memory_mb"]
    assert len(gdas["step_seconds_all"]) == 1 and gdas["images_per_second"] == 8 / gdas["step_seconds_median"]


def test_profile_in_bf16_channels_last_prints_json(capsys):
    argv = ["profile", "--steps", "2", "--warmup", "1", "--searchers", "pcdarts", "--precision", "bf16"]
    assert main([*argv, "--channels-last", "--format", "json", *TINY]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["setting"]["precision"] == "bf16" and report["setting"]["channels_last"] is True
    (pcdarts,) = report["results"]
    assert pcdarts["time_vs_darts"] is None and len(pcdarts["step_seconds_all"]) == 2  # no DARTS in this run


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--precision", "fp8"], "unknown precision 'fp8'; valid: fp32, bf16"),
        (["--searchers", "darts,nope"], "nope"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--json", "/no/such/folder/p.json"], "does not exist"),
    ],
)
def test_profile_user_errors_are_one_line_and_exit_2(extra, message, capsys):
    assert main(["profile", *TINY, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_profile_on_cuda_without_a_gpu_is_one_line(capsys):
    assert main(["profile", "--device", "cuda", "--searchers", "gdas"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_ratios_are_to_darts_and_none_without_a_darts_memory_figure():
    from harness.instruments.profiling import add_ratios

    results = [
        {"searcher": "gdas", "step_seconds_median": 1.0, "peak_memory_mb": 30.0},
        {"searcher": "darts", "step_seconds_median": 4.0, "peak_memory_mb": 0.0},
    ]
    add_ratios(results)
    assert results[0]["time_vs_darts"] == 0.25 and results[0]["memory_vs_darts"] is None
    results[1]["peak_memory_mb"] = 120.0
    add_ratios(results)
    assert results[0]["memory_vs_darts"] == 0.25 and results[1]["memory_vs_darts"] == 1.0
