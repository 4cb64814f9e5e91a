"""No code from the working folder runs in a process nash starts (a sweep cell, a profiling run, a Ray worker).

A shared results folder is someone's working folder too, and whoever can write into it can leave a
`harness/`, `torch.py` or `json.py` there. `python -m` would import them before nash's own code and
the standard library. Every module planted here appends its name to a marker file: a case passes
only when no marker was written and nash's own code did the work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import harness.instruments.profiling as profiling
from harness.system.child_python import child_command, child_environment, nash_root
from tests.fuzz.conftest import RUN_ID, TINY, status_of

PLANTED = (
    "harness/__init__.py", "harness/sweep/__init__.py", "benchmarks/__init__.py", "searchers/__init__.py",
    "reports/__init__.py", "torch.py", "numpy.py", "pandas.py", "json.py", "sitecustomize.py", "usercustomize.py",
)  # fmt: skip


@pytest.fixture
def planted(tmp_path, monkeypatch) -> Path:
    """The working folder, full of modules that write to the returned marker file when imported."""
    folder, marker = tmp_path / "shared", tmp_path / "planted-code-ran.txt"
    for name in PLANTED:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n")
    monkeypatch.chdir(folder)
    return marker


def ran(marker: Path) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


def test_sweep_cells_import_nash_not_the_working_folder(nash, planted):
    """The cell's child process ran the real search; the relative --out still means the working folder."""
    argv = ["sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--seeds", "0", "--epochs", "1"]
    outcome = nash(*argv, *TINY, "--out", "runs")
    assert ran(planted) == [], ran(planted)
    assert outcome.code == 0, outcome.err
    assert status_of(Path("runs") / RUN_ID) == "done"


@pytest.mark.parametrize("user_path", ["{user}", ":{user}:", "{user}::"])
def test_a_child_imports_nash_first_and_still_the_users_packages(planted, tmp_path, user_path):
    """Empty PYTHONPATH entries (read as the working folder) are dropped; the user's own entries still work."""
    user = tmp_path / "user-packages"
    user.mkdir()
    probe = "import harness, json, sys\nprint(json.dumps({'harness': harness.__file__, 'path': sys.path}))\n"
    (user / "nash_probe.py").write_text(probe)
    env = child_environment({**os.environ, "PYTHONPATH": user_path.format(user=user)})
    found = subprocess.run(child_command("nash_probe"), env=env, capture_output=True, text=True, timeout=60)
    assert ran(planted) == [], ran(planted)
    assert found.returncode == 0, found.stderr
    where = json.loads(found.stdout)
    assert Path(where["harness"]).is_relative_to(nash_root())
    assert os.getcwd() not in where["path"] and "" not in where["path"]


def test_the_users_explicit_dot_stays_after_nash():
    env = child_environment({"PYTHONPATH": f".{os.pathsep}{nash_root()}"})
    entries = env["PYTHONPATH"].split(os.pathsep)
    assert entries[-1] == "." and nash_root() not in entries[1:]  # nash's folder once, ahead of the user's


def test_profiling_children_import_nash_not_the_working_folder(monkeypatch):
    """`nash profile` measures each searcher on CPU in a child; it used to rely on being started in the checkout."""
    started = {}

    def record(command, **kwargs):
        started.update(command=command, **kwargs)
        return types.SimpleNamespace(returncode=0, stdout='{"searcher": "darts"}\n', stderr="")

    monkeypatch.setattr(profiling.subprocess, "run", record)
    profiling.measure_in_subprocess("darts", profiling.ProfileSpec())
    assert started["command"][:4] == [sys.executable, "-P", "-m", "harness.instruments.profiling"]
    assert started["env"] == child_environment()


def test_ray_workers_do_not_get_the_working_folder_on_their_path(monkeypatch, planted):
    """Ray puts the driver's working folder first on every worker's sys.path: ray.init runs from nash's folder."""
    from harness.sweep.ray_executor import RayExecutor

    seen = {}
    fake_ray = types.ModuleType("ray")
    fake_ray.init = lambda **kwargs: seen.update(cwd=os.getcwd(), **kwargs)
    fake_ray.remote = lambda **options: lambda function: function
    monkeypatch.setitem(sys.modules, "ray", fake_ray)
    before = os.getcwd()
    executor = RayExecutor(Path("runs"), jobs=1, address=None, gpus_per_run=0.0)
    assert seen["cwd"] == nash_root() and os.getcwd() == before
    assert executor.out == Path(before, "runs")  # the relative --out still means the working folder
