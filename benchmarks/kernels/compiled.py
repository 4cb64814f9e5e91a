"""`perf.compile`: torch.compile of the search cells and of op blocks, with the compile cache on disk.

What is compiled keeps its graph from step to step:
- a fused search cell whose plan has no host-side op choice (DARTS, PC-DARTS, relaxed mixers): the
  whole cell, one graph per cell shape (the cells of a stage share it: modules are graph inputs);
- a single-path plan (GDAS, ROME), whose ops change every step: never the cell (that would compile
  once per sampled architecture) but each op block it runs (stacked ReLU-Conv-BN of n edges, a
  DARTS conv op after the shared ReLU), one graph per (op, edges, shape);
- an evaluation network: each cell op, the preprocessing, stem and head, one graph per module type
  and shape (drop-path, whose probability changes every epoch, stays outside the graphs).

Compiled graphs go to the inductor cache on disk (`TORCHINDUCTOR_CACHE_DIR`, default
~/.cache/nash/torch-compile; `NASH_COMPILE_CACHE` names another folder), so a second run of the same
shapes loads them instead of compiling. `compile_seconds()` is the time spent compiling so far.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from torch import nn

CACHE_ENV = "NASH_COMPILE_CACHE"
DEFAULT_CACHE = Path.home() / ".cache" / "nash" / "torch-compile"
RECOMPILE_LIMIT = 64  # graphs per compiled function (op blocks x edge counts x shapes)

_COMPILED: dict[Callable, Callable] = {}


def setup_compile_cache() -> Path:
    """Point inductor's on-disk caches (FX graphs, AOT autograd) at nash's folder unless one is set."""
    folder = os.environ.get(CACHE_ENV) or os.environ.get("TORCHINDUCTOR_CACHE_DIR") or str(DEFAULT_CACHE)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = folder
    import torch._dynamo.config as dynamo_config
    import torch._functorch.config as functorch_config
    import torch._inductor.config as inductor_config

    inductor_config.fx_graph_cache = True
    functorch_config.enable_autograd_cache = True
    inductor_config.fallback_random = True  # random ops (S4 noise) draw what eager draws
    dynamo_config.cache_size_limit = max(dynamo_config.cache_size_limit, RECOMPILE_LIMIT)
    return Path(folder)


def compiled(fn: Callable) -> Callable:
    """`fn` compiled once (static shapes; one graph per shape and structure), shared by every caller."""
    result = _COMPILED.get(fn)
    if result is None:
        setup_compile_cache()
        result = _COMPILED[fn] = torch.compile(fn, dynamic=False)
    return result


def compile_seconds() -> float:
    """Seconds spent compiling in this process so far (dynamo's own measurement)."""
    from torch._dynamo.utils import compilation_time_metrics

    return float(sum(compilation_time_metrics.get("_compile.compile_inner", [])))


def _module_forward(module: nn.Module, *args):
    return type(module).forward(module, *args)


def compile_modules(modules: Iterable[nn.Module]) -> None:
    """Run each module's forward compiled (one shared function: modules of one type and shape share a graph)."""
    call = compiled(_module_forward)
    for module in modules:
        module.forward = functools.partial(call, module)
