"""Result files of a run, written atomically (temp file, then rename) so a crash or kill
never leaves a truncated file that looks valid.

Layout: `<out>/<run id>/run.json` (config, versions, status, final result) and
`<out>/<run id>/epochs.parquet` (one row per epoch).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.errors import NashError

RUN_FILE = "run.json"
EPOCHS_FILE = "epochs.parquet"


def atomic_write(path: Path, write) -> None:
    """Call `write(handle)` on a temporary file beside `path`, fsync it, then rename it over `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, indent=2, sort_keys=True, default=str).encode()
    atomic_write(path, lambda handle: handle.write(data))


def write_epochs(path: Path, rows: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(rows)
    atomic_write(path, lambda handle: frame.to_parquet(handle, index=False))


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise NashError(f"cannot read {path}: {err}; delete the run folder and run it again") from None


def prepare_run_dir(out: Path, run_id: str, overwrite: bool) -> Path:
    """Create `<out>/<run id>`; refuse to overwrite a finished run unless asked."""
    run_dir = out / run_id
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise NashError(f"cannot write to output folder {out}: {err.strerror}; choose another --out") from None
    run_file = run_dir / RUN_FILE
    if run_file.exists() and not overwrite:
        status = read_json(run_file).get("status")
        if status == "done":
            raise NashError(f"{run_dir} already holds a finished run; pass --overwrite or choose another --out")
    (run_dir / EPOCHS_FILE).unlink(missing_ok=True)
    return run_dir
