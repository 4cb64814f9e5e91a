"""Searcher plug-ins: entry points in `nash.searchers`, the contract checks, and docs/PLUGINS.md's example installed."""

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pandas as pd
import pytest

from searchers.plugins import ENTRY_POINT_GROUP, load_plugins
from searchers.registry import BUILTIN_SEARCHERS

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "PLUGINS.md"
TINY = ["--set", "data.train_per_class=8", "--set", "network.channels=4", "--epochs", "1", "--device", "cpu"]


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name, value, ENTRY_POINT_GROUP)


GOOD = '''
    from searchers.darts import Darts, DartsOptions

    class Good(Darts):
        """A renamed DARTS."""
        name = "good"
        options_type = DartsOptions

    class NotMine:
        name = "other"

    class Abstract(Darts.__mro__[1]):  # BilevelSearcher: everything but `step`
        name = "abstract"
        options_type = DartsOptions

    class WrongName(Darts):
        name = "something-else"

    class BadOptions(Darts):
        name = "bad-options"
        options_type = dict
'''


@pytest.fixture
def plugin_modules(tmp_path, monkeypatch):
    write_module(tmp_path, "nash_test_plugins", GOOD)
    write_module(tmp_path, "nash_test_broken", "raise RuntimeError('the package is broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_plugin_that_follows_the_contract_is_loaded(plugin_modules):
    loaded, problems = load_plugins(BUILTIN_SEARCHERS, [entry("good", "nash_test_plugins:Good")])
    assert problems == {} and loaded["good"].__name__ == "Good"


@pytest.mark.parametrize(
    "name,value,problem",
    [
        ("broken", "nash_test_broken:Thing", "failed to import: RuntimeError: the package is broken"),
        ("missing", "nash_no_such_module:Thing", "failed to import: ModuleNotFoundError"),
        ("other", "nash_test_plugins:NotMine", "not a subclass of searchers.base.Searcher"),
        ("abstract", "nash_test_plugins:Abstract", "which does not implement step"),
        ("wrong", "nash_test_plugins:WrongName", "whose `name` is 'something-else'; it must be 'wrong'"),
        ("bad-options", "nash_test_plugins:BadOptions", "`options_type` is not a dataclass"),
        ("darts", "nash_test_plugins:Good", "would replace the built-in searcher 'darts'"),
        ("Bad__Name", "nash_test_plugins:Good", "invalid name"),
    ],
)
def test_a_plugin_that_breaks_the_contract_is_one_line_and_left_out(plugin_modules, name, value, problem):
    found = [entry("good", "nash_test_plugins:Good"), entry(name, value)]
    loaded, problems = load_plugins(BUILTIN_SEARCHERS, found)
    assert list(loaded) == ["good"]  # the others keep working
    line = problems[name]
    assert "\n" not in line and f"entry point {name} = {value}" in line and problem in line


def test_a_name_declared_twice_is_refused(plugin_modules):
    found = [entry("good", "nash_test_plugins:Good"), entry("good", "nash_test_plugins:Good")]
    loaded, problems = load_plugins(BUILTIN_SEARCHERS, found)
    assert loaded == {} and "declared more than once" in problems["good"]


def install(site: Path, dist: str, entry_points: str) -> None:
    """What pip leaves in site-packages, enough for importlib.metadata: a .dist-info with entry_points.txt."""
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


STOP_AFTER_FIRST_EPOCH = """
import sys
import harness.run.runner as runner
from harness.cli.main import main
save = runner.save_search_checkpoint
def save_then_stop(run_dir, config, rows, *args):
    save(run_dir, config, rows, *args)
    if len(rows) == 1:
        raise KeyboardInterrupt  # as a Ctrl-C after epoch 1's checkpoint
runner.save_search_checkpoint = save_then_stop
sys.exit(main(sys.argv[1:]))
"""


def test_the_documented_example_installs_runs_resumes_and_reports_like_a_builtin(tmp_path):
    """docs/PLUGINS.md's FairDARTS, written against `searchers.api` alone, installed as a package would be."""
    site = tmp_path / "site"
    site.mkdir()
    (python,) = doc_blocks("python")
    (toml,) = doc_blocks("toml")
    imports = {line.split()[1] for line in python.splitlines() if line.startswith(("from ", "import "))}
    assert imports == {"__future__", "dataclasses", "torch", "searchers.api"}  # the surface, nothing internal
    (site / "nash_fair_darts.py").write_text(python)
    declared = tomllib.loads(toml)["project"]["entry-points"][ENTRY_POINT_GROUP]
    lines = "".join(f"{name} = {value}\n" for name, value in declared.items())
    install(site, "nash-fair-darts", f"[{ENTRY_POINT_GROUP}]\n{lines}")
    install(site, "nash-broken", f"[{ENTRY_POINT_GROUP}]\nbroken = nash_not_installed:Searcher\n")
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{REPO}", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def nash(*args, module=("-m", "harness.cli")):
        return subprocess.run([sys.executable, *module, *args], cwd=tmp_path, env=env, capture_output=True, text=True)

    listing = nash("searchers")
    assert listing.returncode == 0
    assert re.search(r"^fair-darts +FairDARTS: every op weighted by its own sigmoid\(alpha\), pushed towards 0 or 1 "
                     r"by a zero-one loss\. \[plug-in\]$", listing.stdout, flags=re.M)  # fmt: skip
    assert "\ndarts " in "\n" + listing.stdout  # the built-ins are still there
    (warning,) = listing.stderr.strip().splitlines()
    assert "'broken' (entry point broken = nash_not_installed:Searcher, from nash-broken 0.1)" in warning

    args = ["search", "--benchmark", "nb201-cifar10", "--searcher", "fair-darts", "--set", "searcher.zero_one_weight=5",
            *TINY[:-4], "--epochs", "2", "--device", "cpu", "--out", "runs", "--no-progress"]  # fmt: skip
    stopped = nash(*args, module=("-c", STOP_AFTER_FIRST_EPOCH))
    assert stopped.returncode != 0 and "interrupted" in stopped.stderr
    resumed = nash(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from epoch 1" in resumed.stderr
    run_dir = tmp_path / "runs" / "nb201-cifar10__fair-darts__quick__seed0"
    facts = json.loads((run_dir / "run.json").read_text())
    assert facts["status"] == "done" and facts["versions"]["nash_plugin_api"] == "1.0"
    assert facts["searcher_plugin"] == {"entry_point": "fair-darts = nash_fair_darts:FairDarts",
                                        "distribution": "nash-fair-darts", "version": "0.1"}  # fmt: skip
    epochs = pd.read_parquet(run_dir / "epochs.parquet")
    assert list(epochs["epoch"]) == [0, 1] and epochs["share_on"].between(0, 1).all()
    # The zero-one term pushed the sigmoid weights apart: α moved away from its near-zero start.
    assert json.loads(epochs["arch_weights"].iloc[-1]) != json.loads(epochs["arch_weights"].iloc[0])

    report = nash("report", "runs", "--out", "report")
    assert report.returncode == 0, report.stderr
    assert "fair-darts" in (tmp_path / "report" / "index.html").read_text()

    sweep = nash("sweep", "--searchers", "fair-darts", "--benchmarks", "nb201-cifar10", "--seeds", "1", *TINY,
                 "--out", "sweep", "--no-progress")  # fmt: skip
    assert sweep.returncode == 0, sweep.stdout + sweep.stderr
    run_file = tmp_path / "sweep" / "nb201-cifar10__fair-darts__quick__seed1" / "run.json"
    assert json.loads(run_file.read_text())["status"] == "done"

    broken = nash("search", "--benchmark", "nb201-cifar10", "--searcher", "broken", "--out", "runs")
    assert broken.returncode == 2
    (line,) = broken.stderr.strip().splitlines()
    assert "entry point broken = nash_not_installed:Searcher" in line and "ModuleNotFoundError" in line


def test_the_arch_loss_hook_adds_its_term_to_the_arch_step_only(space, tiny_supernet, batches):
    """`arch_loss_terms`: α's gradient is the cross-entropy's plus the term's; val_loss stays the cross-entropy."""
    import torch

    from searchers.api import Darts, DartsOptions, TrainConfig

    class Pulled(Darts):
        name = "pulled"

        def arch_loss_terms(self):
            return 3.0 * self.alpha.sum()  # gradient 3 on every entry

    plain, pulled = (cls(space, tiny_supernet, TrainConfig(), DartsOptions()) for cls in (Darts, Pulled))
    with torch.no_grad():
        pulled.alpha.copy_(plain.alpha)
    grads, sums = [], []
    for searcher in (plain, pulled):
        searcher.arch_optimizer.step = lambda: None  # keep α: compare gradients
        sums.append(searcher.arch_step(batches[1], searcher.relaxed_mixer()))
        grads.append(searcher.alpha.grad.clone())
    torch.testing.assert_close(grads[1], grads[0] + 3.0)
    torch.testing.assert_close(sums[1][0], sums[0][0])  # the loss sum is the cross-entropy's
