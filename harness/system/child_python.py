"""The command and environment of a Python child that runs nash code (a sweep cell, a profiling run).

`python -m MODULE` puts the current folder first on the child's import path, so a `harness/`,
`torch.py` or `sitecustomize.py` left in the folder nash was started from would run in the child.
The child runs with `-P` (Python 3.11: no such entry) and finds nash where this process found it:
that folder goes first on PYTHONPATH, unless it is a site-packages folder the child searches anyway
(put first, it would also shadow the standard library). The child keeps the user's current folder,
so relative `--out` and data paths mean the same in both processes.

The user's PYTHONPATH follows nash's folder, so their own packages (a searcher plug-in) still
import; but not ahead of nash's own packages. Its empty entries are dropped: Python reads one as
the current folder, and `PYTHONPATH=$PYTHONPATH:/x` with nothing set before makes one by accident.
An explicit `.` is kept: that asks for the current folder in so many words.
"""

from __future__ import annotations

import os
import site
import sys
from collections.abc import Mapping
from pathlib import Path


def nash_root() -> str:
    """The folder holding the `harness` package this process imported: children import the same code."""
    import harness

    return str(Path(harness.__file__).resolve().parents[1])


def child_command(module: str, *args: str) -> list[str]:
    """`python -P -m MODULE ARGS` with this interpreter."""
    return [sys.executable, "-P", "-m", module, *args]


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with PYTHONPATH = nash's folder, then the user's entries."""
    env = dict(os.environ if base is None else base)
    root = nash_root()
    user = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry and entry != root]
    first = [] if _is_site_folder(root) else [root]
    if first or user:
        env["PYTHONPATH"] = os.pathsep.join([*first, *user])
    else:
        env.pop("PYTHONPATH", None)
    return env


def _is_site_folder(folder: str) -> bool:
    sites = [*site.getsitepackages(), site.getusersitepackages()]
    return any(os.path.realpath(entry) == os.path.realpath(folder) for entry in sites)
