"""The Python API: what `nash search`, `nash evaluate` and `nash report` do, as functions for scripts and notebooks.

    from harness.api import resolve_config, apply_overrides, run_search, evaluate_genotype, load_runs

- `RunObjects.of(benchmark, searcher, profile)`: the names turned into objects once (benchmark, profile,
  space, dataset, searcher class); pass it as `objects=` to the calls below and none looks a name up again.
- `resolve_config(benchmark, searcher, profile="quick", seed=0, epochs=None, data=None, data_root=None,
  device="auto", objects=None)` → RunConfig: the profile's settings for one run (what `nash search` resolves).
- `apply_overrides(config, ["train.arch_lr=3e-4", ...], objects=None)` → RunConfig: `--set` (checked the same way).
- `run_search(config, out, overwrite=False, progress=True, oracle=None, resume=False, objects=None)` → RunResult
  (`run_dir`, `rows`: one dict per epoch, `summary`: the run.json facts); writes `<out>/<run id>/`.
- `evaluate_genotype(benchmark, genotype, profile="quick", seed=0, out="runs", epochs=None, ...)` →
  EvalResult (`run_dir`, `rows`, `facts` with `facts["final"]["test_error"]`): trains a DARTS-family
  cell from scratch (`nash evaluate`).
- `load_runs(folder)` → pandas DataFrame: every search's epoch rows under `folder`, joined with
  its run.json facts (`config.*`, `run.*`, `eval.*`); `load_run_facts(folder)`: one row per run.
- `default_oracle()`: the NAS-Bench-201 table (`query`, `query_many`).

Errors the user can fix raise `NashError` (one line, as the CLI prints them).
"""

from __future__ import annotations

from benchmarks.errors import NashError
from benchmarks.nb201.oracle import default_oracle
from harness.config.objects import RunObjects
from harness.config.run_config import RunConfig, apply_overrides, resolve_config
from harness.evaluate.train import EvalResult, evaluate_genotype
from harness.run.runner import RunResult, run_search
from reports.runs import load_run_facts, load_runs

__all__ = [
    "EvalResult",
    "NashError",
    "RunConfig",
    "RunObjects",
    "RunResult",
    "apply_overrides",
    "default_oracle",
    "evaluate_genotype",
    "load_run_facts",
    "load_runs",
    "resolve_config",
    "run_search",
]
