"""The fuzz suite's tools: run `nash` in this process, judge its failure, make tiny runs and datasets.

Every case asserts the same promise (docs/RESULTS.md, "What every run promises"): a bad argument, a damaged
or malicious file, a kill or a full disk ends with exit 2 (130 for a stop) and ONE line on stderr, without a
traceback; no code from a file runs; and nothing is left that a later run would take for a result.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import harness.evaluate.data
import harness.run.data
from harness.cli.main import main
from tests.benchmarks.dataset_files import py2_pickle

RUN_ID = "nb201-cifar10__darts__quick__seed0"
TINY = ["--device", "cpu", "--set", "data.train_per_class=8", "--set", "network.channels=4", "--no-progress"]
SEARCH = ["search", "--benchmark", "nb201-cifar10", "--searcher", "darts", *TINY]
_cached_load_cifar10 = functools.cache(harness.run.data.load_cifar10)


@pytest.fixture(autouse=True)
def fuzz_environment(monkeypatch):
    """The embedded subset decoded once (seconds of JPEG decoding each time, not what is tested); no data roots."""
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)
    monkeypatch.setattr(harness.evaluate.data, "load_cifar10", _cached_load_cifar10)
    for name in ("NASH_DATA_ROOT", "NASH_DATA_DIR", "NASH_ORACLE"):
        monkeypatch.delenv(name, raising=False)


@dataclasses.dataclass
class Outcome:
    code: int
    out: str
    err: str

    def one_error_line(self, *fragments: str, code: int = 2) -> str:
        """Assert exit `code` and exactly one stderr line, `nash: error: ...`, holding every fragment."""
        assert self.code == code, (self.code, self.err)
        assert "Traceback" not in self.err, self.err
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert lines[0].startswith("nash: error: " if code == 2 else "nash: "), lines[0]
        for fragment in fragments:
            assert fragment in lines[0], (fragment, lines[0])
        return lines[0]


@pytest.fixture
def nash(capsys):
    """`nash(*argv)`: the CLI in this process (no interpreter start-up per case); its exit code and output."""

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def status_of(run_dir: Path) -> str | None:
    path = run_dir / "run.json"
    return json.loads(path.read_text()).get("status") if path.exists() else None


def assert_no_result_left(folder: Path, allowed_done: tuple[Path, ...] = ()) -> None:
    """Nothing a later run or report would take for a result: no `done` run.json (but those named),
    no half-written temporary file, no half-built report."""
    if not folder.exists():
        return
    for path in folder.rglob("run.json"):
        if path.parent not in allowed_done:
            assert status_of(path.parent) != "done", path
    leftovers = [p for p in folder.rglob("*") if p.name.endswith((".tmp", ".partial")) or p.name == "index.html"]
    assert not leftovers, leftovers


@pytest.fixture(scope="session")
def stopped_run(tmp_path_factory) -> Path:
    """A tiny darts search stopped after epoch 1 of 2: run.json `interrupted`, epochs.parquet, checkpoint.pt."""
    import harness.run.runner as runner
    from harness.config.run_config import apply_overrides, resolve_config

    out = tmp_path_factory.mktemp("stopped")
    config = resolve_config("nb201-cifar10", "darts", "quick", 0, epochs=2, device="cpu")
    config = apply_overrides(config, ["data.train_per_class=8", "network.channels=4"])
    save = runner.save_search_checkpoint

    def save_then_stop(run_dir, config, rows, *args):
        save(run_dir, config, rows, *args)
        raise KeyboardInterrupt

    runner.save_search_checkpoint = save_then_stop
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run_search(config, out, progress=False)
    finally:
        runner.save_search_checkpoint = save
    return out / RUN_ID


@pytest.fixture
def stopped_copy(stopped_run, tmp_path) -> Path:
    """A fresh copy of `stopped_run` under tmp_path/runs (tests damage it)."""
    target = tmp_path / "runs" / RUN_ID
    shutil.copytree(stopped_run, target)
    return target


@pytest.fixture(scope="session")
def done_run(tmp_path_factory) -> Path:
    """A finished 1-epoch tiny darts search (run.json `done`, epochs.parquet)."""
    out = tmp_path_factory.mktemp("done")
    assert main([*SEARCH, "--epochs", "1", "--out", str(out)]) == 0
    return out / RUN_ID


def write_cifar10_batches(root: Path, classes: int = 10, per_class: int = 6) -> Path:
    """A tiny `cifar-10-batches-py` folder in the real pickle format, labels only 0..classes-1 of the 10."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"batch_{i}".encode() for i in range(1, 6)] + [b"test_batch"]
    for name in names:
        labels = np.repeat(np.arange(classes), per_class)
        batch = {b"batch_label": name, b"labels": labels.tolist(), b"filenames": [b"x.png"] * len(labels),
                 b"data": rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)}  # fmt: skip
        file = "test_batch" if name == b"test_batch" else f"data_{name.decode()}"
        (folder / file).write_bytes(py2_pickle(batch))
    meta = {b"label_names": [f"class{i}".encode() for i in range(10)], b"num_cases_per_batch": 10}
    (folder / "batches.meta").write_bytes(py2_pickle(meta))
    return folder


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder nothing can be created in (a read-only place): chmod 0500, or /sys where root ignores modes."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    folder = Path("/sys")
    try:
        (folder / "nash-probe").mkdir()
    except OSError:
        yield folder
        return
    (folder / "nash-probe").rmdir()
    pytest.skip("no read-only folder on this machine for root")
