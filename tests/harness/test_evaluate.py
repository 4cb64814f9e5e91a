"""`nash evaluate`: training from scratch, result files, exact resume, one-line errors for bad input."""

import json

import pandas as pd
import pytest
import torch

from benchmarks.errors import NashError
from harness.cli.main import main
from harness.evaluate.train import evaluate_genotype
from harness.system.checkpoint import CHECKPOINT_FILE
from harness.system.interrupt import RunInterrupted
from tests.benchmarks.dataset_files import write_cifar100, write_svhn

S2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 0), ('sep_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('sep_conv_3x3', 0), ('skip_connect', 1), ('skip_connect', 2), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('sep_conv_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
S4 = S2.replace("skip_connect", "noise")
# A network and data small enough for seconds per run, with every protocol feature on.
TINY = {
    "layers": 3,
    "channels": 4,
    "epochs": 3,
    "batch_size": 16,
    "train_per_class": 4,
    "test_per_class": 2,
    "drop_path": 0.3,
    "auxiliary_weight": 0.4,
    "cutout": 16,
    "label_smoothing": 0.1,
}
TIMING = ("epoch_seconds", "peak_mem_mb")


pytestmark = pytest.mark.usefixtures("deterministic_single_thread")


def _rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in result.rows]


def test_resume_after_a_stop_equals_an_uninterrupted_run(tmp_path):
    full = evaluate_genotype("s4-cifar10", S4, "quick", 1, tmp_path / "a", device="cpu", protocol_overrides=TINY)

    def stop_after_first_epoch(epoch, _row):
        if epoch == 0:
            raise RunInterrupted("stopped by the test")

    with pytest.raises(RunInterrupted):
        evaluate_genotype(
            "s4-cifar10", S4, "quick", 1, tmp_path / "b", device="cpu", protocol_overrides=TINY,
            on_epoch_end=stop_after_first_epoch,
        )  # fmt: skip
    run_dir = next((tmp_path / "b").iterdir())
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert len(pd.read_parquet(run_dir / "epochs.parquet")) == 1
    with pytest.raises(NashError, match="--resume"):  # a fresh start would silently discard the epoch
        evaluate_genotype("s4-cifar10", S4, "quick", 1, tmp_path / "b", device="cpu", protocol_overrides=TINY)
    resumed = evaluate_genotype(
        "s4-cifar10", S4, "quick", 1, tmp_path / "b", device="cpu", protocol_overrides=TINY, resume=True
    )
    assert _rows(resumed) == _rows(full)
    assert resumed.facts["resumed_from_epoch"] == 1
    for (name, a), (_, b) in zip(full.network.state_dict().items(), resumed.network.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    rows = full.rows
    assert [r["drop_path_prob"] for r in rows] == pytest.approx([0.0, 0.1, 0.2])
    assert rows[0]["lr"] == pytest.approx(0.025) and rows[2]["lr"] < rows[1]["lr"] < rows[0]["lr"]


def test_corrupt_checkpoint_is_one_line_naming_the_file(tmp_path, capsys):
    overrides = {**TINY, "epochs": 1}
    result = evaluate_genotype("s2-cifar10", S2, "quick", 0, tmp_path, device="cpu", protocol_overrides=overrides)
    checkpoint = result.run_dir / CHECKPOINT_FILE
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])
    (result.run_dir / "run.json").write_text(json.dumps({"status": "interrupted"}))
    with pytest.raises(NashError, match="truncated or corrupt") as err:
        evaluate_genotype(
            "s2-cifar10", S2, "quick", 0, tmp_path, device="cpu", protocol_overrides=overrides, resume=True
        )
    assert str(checkpoint) in str(err.value) and "\n" not in str(err.value)


def test_cli_quick_run_writes_its_result_files(tmp_path, capsys):
    args = ["evaluate", "--benchmark", "s2-cifar10", "--genotype", S2, "--epochs", "1", "--out", str(tmp_path)]
    assert main([*args, "--device", "cpu", "--no-progress"]) == 0
    run_dir = next(tmp_path.iterdir())
    facts = json.loads((run_dir / "run.json").read_text())
    assert facts["status"] == "done" and facts["kind"] == "evaluation"
    assert facts["data"] == {"source": "embedded", "train_images": 1000, "test_images": 200}
    final = facts["final"]
    assert 0.0 <= final["test_error"] <= 100.0 and final["params"] < final["params_with_aux"] and final["flops"] > 0
    epochs = pd.read_parquet(run_dir / "epochs.parquet")
    assert len(epochs) == 1
    assert {"train_loss", "train_acc", "test_loss", "test_acc", "test_error", "lr", "drop_path_prob"} <= set(epochs)
    assert '"test_error"' in capsys.readouterr().out
    assert main(args) == 2  # finished: not trained again without --overwrite
    assert "already holds a finished" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bench", "genotype", "fragment"),
    [
        ("s2-cifar10", "Genotype(normal=[('sep_conv_3x3', 0)]", "cannot parse genotype"),
        (
            "s2-cifar10",
            S2.replace("skip_connect", "max_pool_3x3", 1),
            "max_pool_3x3, not a candidate on edge 1 of the normal cell",
        ),
        ("s0-cifar10", S2.replace("skip_connect", "none", 1), "none, not a candidate on edge 1 of the normal"),
        ("nb201-cifar10", S2, "tabular oracle"),
        ("s2-cifar100", S2, "cifar100 not found"),
        ("s0-nope", S2, "unknown benchmark"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(bench, genotype, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NASH_DATA_ROOT", raising=False)
    out = tmp_path / "runs"
    assert main(["evaluate", "--benchmark", bench, "--genotype", genotype, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
    assert not out.exists()


@pytest.mark.parametrize("bench", ["s3-svhn", "s2-cifar100"])
def test_evaluation_reads_the_dataset_from_a_data_root(bench, tmp_path):
    if bench == "s3-svhn":
        write_svhn(tmp_path / "data", train=30, test=20)
    else:
        write_cifar100(tmp_path / "data", per_class_train=1, per_class_test=1)
    overrides = {**TINY, "epochs": 1, "train_per_class": None, "test_per_class": None}
    result = evaluate_genotype(
        bench, S2, "quick", 0, tmp_path / "runs", data_root=str(tmp_path / "data"), device="cpu",
        protocol_overrides=overrides,
    )  # fmt: skip
    expected = (30, 20) if bench == "s3-svhn" else (100, 100)
    assert (result.facts["data"]["train_images"], result.facts["data"]["test_images"]) == expected
    assert result.network.classifier.out_features == (10 if bench == "s3-svhn" else 100)
    assert result.facts["status"] == "done" and len(result.rows) == 1
