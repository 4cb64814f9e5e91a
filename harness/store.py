"""Result files of a run, written atomically (temp file, then rename) so a crash or kill
never leaves a truncated file that looks valid.

Layout: `<out>/<run id>/run.json` (config, versions, status, final result) and
`<out>/<run id>/epochs.parquet` (one row per epoch).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError

RUN_FILE = "run.json"
EPOCHS_FILE = "epochs.parquet"


# Write failures the user fixes (free space, permissions) become one-line errors, not tracebacks.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


def atomic_write(path: Path, write, *, keep_previous: Path | None = None) -> None:
    """Call `write(handle)` on a temporary file beside `path`, fsync it, then rename it over `path`.

    With `keep_previous`, the file being replaced is first renamed to that name, so a kill at any
    moment leaves the old file, or the old one as `keep_previous`, or both versions complete.
    A full disk or a denied write raises a one-line NashError; `path` is then untouched.
    """
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_previous is not None and path.exists():
            os.replace(path, keep_previous)
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError) and err.errno in _DISK_FULL:
            raise NashError(f"disk full while writing {path}; free space, then continue with --resume") from None
        if isinstance(err, OSError) and err.errno in _NOT_ALLOWED:
            raise NashError(f"cannot write {path}: {err.strerror}; fix the permissions or use another --out") from None
        raise


def write_json(path: Path, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, indent=2, sort_keys=True, default=str).encode()
    atomic_write(path, lambda handle: handle.write(data))


def write_epochs(path: Path, rows: list[dict[str, Any]]) -> None:
    import pandas as pd  # here, not at the top: `nash status` reads run files without pandas (0.3 s)

    frame = pd.DataFrame(rows)
    atomic_write(path, lambda handle: frame.to_parquet(handle, index=False))


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise NashError(f"cannot read {path}: {err}; delete the run folder and run it again") from None


def ensure_writable(run_dir: Path, out: Path) -> None:
    """Create `run_dir` and prove a file can be written there; else a one-line NashError."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise NashError(f"cannot write to output folder {out}: {err.strerror}; choose another --out") from None


def prepare_run_dir(out: Path, run_id: str, overwrite: bool) -> Path:
    """Create `<out>/<run id>`; refuse to overwrite a finished run unless asked."""
    run_dir = out / run_id
    ensure_writable(run_dir, out)
    run_file = run_dir / RUN_FILE
    if run_file.exists() and not overwrite:
        status = read_json(run_file).get("status")
        if status == "done":
            raise NashError(f"{run_dir} already holds a finished run; pass --overwrite or choose another --out")
    (run_dir / EPOCHS_FILE).unlink(missing_ok=True)
    return run_dir
