"""Files nash reads, malicious or damaged: no code runs, one line, exit 2, nothing lost or mistaken for a result."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.darts.genotype import parse_genotype
from harness.evaluate.protocol import eval_run_id
from tests.fuzz.conftest import RUN_ID, SEARCH, TINY, assert_no_result_left, status_of

S2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 0), ('sep_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('sep_conv_3x3', 0), ('skip_connect', 1), ('skip_connect', 2), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('sep_conv_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


class RunsCode:
    """A pickle that, when loaded with plain pickle, runs a command (here: it creates a marker file)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def plant(path: Path, marker: Path, **fields) -> None:
    """A checkpoint with a nash checkpoint's keys and the code-running object inside."""
    torch.save({"format": 2, "epoch": 1, "rows": [{}], **fields, "trap": RunsCode(marker)}, path)


def test_search_resume_never_runs_code_from_a_checkpoint(nash, stopped_copy, tmp_path):
    marker = tmp_path / "code-ran"
    checkpoint = stopped_copy / "checkpoint.pt"
    plant(checkpoint, marker)
    line = nash(*SEARCH, "--epochs", "2", "--out", stopped_copy.parent, "--resume").one_error_line("refused", "posix")
    assert not marker.exists(), "the checkpoint's code ran"
    assert "mv " in line and "delete" not in line  # keep it for inspection, never lose the run folder
    assert checkpoint.exists() and status_of(stopped_copy) == "failed"
    assert_no_result_left(stopped_copy.parent)


def test_evaluate_resume_never_runs_code_from_a_checkpoint(nash, tmp_path):
    marker, out = tmp_path / "code-ran", tmp_path / "runs"
    run_dir = out / eval_run_id("s2-cifar10", "quick", 0, parse_genotype(S2))
    run_dir.mkdir(parents=True)
    plant(run_dir / "checkpoint.pt", marker, genotype=S2)
    outcome = nash("evaluate", "--benchmark", "s2-cifar10", "--genotype", S2, "--out", out, "--epochs", "1",
                   "--device", "cpu", "--resume", "--no-progress")  # fmt: skip
    outcome.one_error_line("refused", "posix")
    assert not marker.exists(), "the checkpoint's code ran"
    assert_no_result_left(out)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [("epoch", "1", "'epoch' is a str"), ("rows", {"a": 1}, "'rows' is a dict"),
     ("search_seconds", float("nan"), "nan"),
     ("rng", {"python": 1, "numpy": 2, "torch": 3}, "does not fit this search")],
)  # fmt: skip
def test_a_checkpoint_with_the_right_keys_but_wrong_types_is_one_line(nash, stopped_copy, field, value, fragment):
    checkpoint = stopped_copy / "checkpoint.pt"
    payload = torch.load(checkpoint, weights_only=True)
    payload[field] = value
    torch.save(payload, checkpoint)
    line = nash(*SEARCH, "--epochs", "2", "--out", stopped_copy.parent, "--resume").one_error_line(fragment)
    assert "mv " in line and checkpoint.exists()  # left in place, with the way to go on without it
    assert_no_result_left(stopped_copy.parent)


def test_a_checkpoint_of_the_previous_format_still_resumes(nash, stopped_copy):
    """Format 1 kept the NumPy RNG state as an array: read through the narrow NumPy allow-list, not refused."""
    checkpoint = stopped_copy / "checkpoint.pt"
    payload = torch.load(checkpoint, weights_only=True)
    name, keys, *rest = payload["rng"]["numpy"]
    payload["rng"]["numpy"] = (name, keys.numpy().astype(np.uint32), *rest)
    payload["format"] = 1
    torch.save(payload, checkpoint)
    outcome = nash(*SEARCH, "--epochs", "2", "--out", stopped_copy.parent, "--resume")
    assert outcome.code == 0 and "resumed from epoch 1" in outcome.err, outcome.err
    assert status_of(stopped_copy) == "done"


@pytest.mark.parametrize("content", ["[1, 2]", '"done"', "null", "\xff\xfe{", "[" * 100_000])
def test_a_run_json_that_is_not_an_object_is_one_line(nash, stopped_copy, content):
    (stopped_copy / "run.json").write_bytes(content.encode("latin-1"))
    for extra in ([], ["--resume"]):
        line = nash(*SEARCH, "--epochs", "2", "--out", stopped_copy.parent, *extra).one_error_line("run.json")
        # The folder holds a checkpoint: the advice keeps it.
        assert "delete" not in line and "--resume" in line and "mv " in line
    assert (stopped_copy / "checkpoint.pt").exists() and (stopped_copy / "epochs.parquet").exists()


def test_a_done_run_with_a_corrupt_epochs_file_is_one_line(nash, done_run, tmp_path):
    run_dir = tmp_path / "runs" / RUN_ID
    shutil.copytree(done_run, run_dir)
    epochs = run_dir / "epochs.parquet"
    epochs.write_bytes(epochs.read_bytes()[:100])
    line = nash(*SEARCH, "--epochs", "1", "--out", run_dir.parent, "--resume").one_error_line("epochs.parquet")
    assert "--overwrite" in line and (run_dir / "run.json").read_bytes() == (done_run / "run.json").read_bytes()


@pytest.mark.parametrize(
    "manifest",
    [{"cells": []}, {"cells": {"a": 1}}, {"cells": {"a": {"state": "running"}}}, [], {"version": 1},
     {"cells": {"a": {"state": "done", "fingerprint": "x", "spec": {}, "history": [], "seconds": "slow"}}},
     {"cells": {"a": {"state": "running", "fingerprint": "x", "spec": {}, "history": [], "host": "h", "pid": 0,
                      "started": 1.0}}}],
)  # fmt: skip
def test_a_sweep_json_with_a_wrong_schema_is_one_line(nash, tmp_path, manifest):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps(manifest))
    line = nash("status", out).one_error_line("sweep.json")
    assert "delete" not in line and "mv " in line
    argv = ["sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--out", out, *TINY[:2]]
    nash(*argv).one_error_line("sweep.json")
    assert json.loads((out / "sweep.json").read_text()) == manifest  # untouched


def test_a_damaged_sweep_json_says_how_to_keep_the_finished_cells(nash, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text('{"cells": {')
    line = nash("status", out).one_error_line("sweep.json")
    assert "delete" not in line and "finished cells" in line


@pytest.mark.parametrize("content", [b'[train]\nlr = "\xff\xfe"\n', b"\xef\xbb\xbf\xff[train]", b"a = " + b"[" * 5000])
def test_a_config_file_that_is_not_utf8_toml_is_one_line(nash, tmp_path, content):
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    nash(*SEARCH, "--config", config, "--out", tmp_path / "runs").one_error_line(str(config))
    assert not (tmp_path / "runs").exists()
    argv = ["sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--config", config]
    nash(*argv, "--out", tmp_path / "sweep").one_error_line(str(config))
    assert not (tmp_path / "sweep").exists()


def test_a_preset_file_that_is_not_utf8_or_of_the_wrong_shape_is_one_line(nash, tmp_path):
    for content in (
        b'searchers = "\xff"',
        b"searchers = 3\nbenchmarks = 4",
        b"searchers=[]\nbenchmarks=[]\nvariants=1",
    ):
        preset = tmp_path / "p.toml"
        preset.write_bytes(content)
        nash("sweep", "--preset", preset, "--out", tmp_path / "sweep").one_error_line()
    assert not (tmp_path / "sweep").exists()


def test_every_searchers_checkpoint_is_tensors_and_plain_types(tmp_path):
    """What the loader allows is all a checkpoint of any registered searcher holds: nothing needs an import."""
    from benchmarks.registry.spaces import get_space
    from harness.config.run_config import apply_overrides, resolve_config
    from harness.run.checkpoint import save_search_checkpoint
    from harness.run.data import load_search_batches
    from searchers.registry import SEARCHERS, get_searcher

    for name in SEARCHERS:
        cls = get_searcher(name)
        config = resolve_config("nb201-cifar10", name, "quick", 0, epochs=2, device="cpu")
        config = apply_overrides(config, ["data.train_per_class=8", "network.channels=4"])
        options, space = cls.options_type(**config.searcher_options), get_space("nb201")
        fields = {field: getattr(config.network, field) for field in space.network_fields}
        searcher = cls(
            space, cls.build_supernet(space, num_classes=10, options=options, **fields), config.train, options
        )
        run_dir = tmp_path / name
        run_dir.mkdir()
        batches = load_search_batches(config, torch.device("cpu"))
        save_search_checkpoint(run_dir, config, [{"epoch": 0, "x": np.float64(1.0)}], searcher, batches, 1.0)
        assert torch.serialization.get_unsafe_globals_in_checkpoint(run_dir / "checkpoint.pt") == [], name


def test_a_damaged_ranking_file_on_resume_is_one_line(tmp_path):
    from benchmarks.errors import NashError
    from benchmarks.nb201.oracle import default_oracle
    from benchmarks.registry.catalog import get_benchmark
    from harness.instruments.supernet_ranking import SupernetRanking

    path = tmp_path / "ranking.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(NashError, match=r"cannot read .*ranking.parquet .*mv .*resume again") as caught:
        SupernetRanking(get_benchmark("nb201-cifar10"), default_oracle(), 50, path, start_epoch=1)
    assert "\n" not in str(caught.value) and path.exists()


@pytest.mark.parametrize(
    "content", ['{"kind": [1], "status": {"a": 1}}', '{"status": 3}', '{"kind": null}', "[1]", '{"status": "do']
)
def test_status_of_a_results_folder_shows_an_odd_run_json_as_damaged(nash, done_run, tmp_path, content):
    """`nash status` outside a sweep: the odd run is one row saying so, the others are listed as usual."""
    runs = tmp_path / "runs"
    shutil.copytree(done_run, runs / RUN_ID)
    (runs / "odd").mkdir()
    (runs / "odd" / "run.json").write_text(content)
    outcome = nash("status", runs)
    assert outcome.code == 0 and outcome.err == "", outcome.err
    rows = {line.split()[0]: line for line in outcome.out.splitlines()[1:-1]}
    assert "damaged" in rows["odd"] and "cannot read run.json" in rows["odd"]
    assert " done " in rows[RUN_ID] and outcome.out.splitlines()[-1] == "2 runs: 1 done, 1 damaged"


def test_a_kept_searcher_state_never_runs_code_and_a_damaged_one_is_one_line(tmp_path):
    """DARTS-ADA's roll-back reads `epoch_states/epoch_NNNN.pt` as checkpoints are read."""
    from benchmarks.errors import NashError
    from harness.run.epoch_states import EpochStates

    states = EpochStates(tmp_path, torch.device("cpu"))
    states.save(1, {"alpha": torch.ones(2), "tau": 3.0, "arch_grads": [torch.zeros(2), None]})
    assert states.load(1)["arch_grads"][1] is None
    marker = tmp_path / "code-ran"
    torch.save({"alpha": torch.ones(2), "trap": RunsCode(marker)}, states.path(2))
    with pytest.raises(NashError, match=r"refused to load .*epoch_0002.pt: its pickle imports posix") as refused:
        states.load(2)
    assert not marker.exists() and "\n" not in str(refused.value) and "--overwrite" in str(refused.value)
    states.path(3).write_bytes(states.path(1).read_bytes()[:50])
    with pytest.raises(NashError, match=r"epoch_0003.pt is truncated or corrupt .*roll-back to epoch 3"):
        states.load(3)
