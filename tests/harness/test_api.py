"""docs/USAGE.md's Python example runs as written (taken from the page, so the two cannot drift)."""

import functools
import re
from pathlib import Path

import harness.api
import harness.evaluate.train
import harness.run.data
from harness.evaluate.protocol import EvalProtocol

README = Path(__file__).resolve().parents[2] / "docs" / "USAGE.md"
TINY_EVALUATION = {"layers": 3, "channels": 4, "epochs": 1, "batch_size": 16, "train_per_class": 4, "test_per_class": 2}


class TinyProtocol(EvalProtocol):
    @classmethod
    def from_profile(cls, evaluation, **overrides):
        return EvalProtocol.from_profile(evaluation, **{**overrides, **TINY_EVALUATION})


def readme_example() -> str:
    section = README.read_text().split("## From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    code = readme_example()
    assert "from harness.api import" in code and len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(harness.evaluate.train, "EvalProtocol", TinyProtocol)  # seconds, not minutes
    monkeypatch.setattr(harness.run.data, "load_cifar10", functools.cache(harness.run.data.load_cifar10))
    exec(compile(code, str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    test_error, eval_dir = printed[0].split(" ", 1)
    assert 0.0 <= float(test_error) <= 100.0 and Path(eval_dir).parent == Path("runs/api")
    assert (tmp_path / "runs/api/s2-cifar10__gdas__quick__seed0/epochs.parquet").is_file()
    assert printed[1].split() == ["skip_count", "val_acc"] and printed[3].split()[:2] == ["gdas", "0"]
    assert len(printed) == 4  # header, index names, one line per epoch (1)


def test_the_api_names_what_the_readme_promises():
    assert {"run_search", "load_runs", "evaluate_genotype", "resolve_config", "apply_overrides"} <= set(
        harness.api.__all__
    )
    for name in harness.api.__all__:
        assert getattr(harness.api, name) is not None
        assert f"`{name}" in harness.api.__doc__ or name in ("NashError", "RunConfig", "RunResult", "EvalResult")
