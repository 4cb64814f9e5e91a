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

from benchmarks import safe_files
from benchmarks.errors import NashError
from benchmarks.safe_files import MIB, parse_json, read_bytes

RUN_FILE = "run.json"
EPOCHS_FILE = "epochs.parquet"
# JSON of the architecture's normalised weights after the epoch (`searchers.arch_weights`; docs/RESULTS.md).
ARCH_WEIGHTS_COLUMN = "arch_weights"
# A run.json is a few kB (config, versions, final result); 4 MiB is ~1000x that and still reads in a blink.
RUN_JSON_LIMIT = 4 * MIB
# One row per epoch (~5 kB with α); 10,000 epochs (checks.MAX_EPOCHS) are ~50 MB. Ranking files are smaller.
PARQUET_LIMIT = 256 * MIB
_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


# Write failures the user fixes (free space, permissions) become one-line errors, not tracebacks.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


def atomic_write(path: Path, write, *, keep_previous: Path | None = None) -> None:
    """Call `write(handle)` on a temporary file beside `path`, fsync it, then rename it over `path`.

    With `keep_previous`, the file being replaced is first renamed to that name, so a kill at any
    moment leaves the old file, or the old one as `keep_previous`, or both versions complete.
    A full disk or a denied write raises a one-line NashError; `path` is then untouched.
    A link at `path` is replaced, not followed (benchmarks.safe_files); one that would be kept is refused.
    """
    if keep_previous is not None:  # renamed, a planted link would be kept (and later read) as nash's own file
        safe_files.refuse_link(path)
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
        # torch.save reports a failed write as a RuntimeError whose context is the OSError.
        cause = _os_error_behind(err) if isinstance(err, Exception) else None  # a stop stays a stop
        if cause is not None and cause.errno in _DISK_FULL:
            raise NashError(f"disk full while writing {path}; free space, then continue with --resume") from None
        if cause is not None and cause.errno in _NOT_ALLOWED:
            raise NashError(
                f"cannot write {path}: {cause.strerror}; fix the permissions or use another --out"
            ) from None
        if isinstance(err, OSError):
            raise NashError(f"cannot write {path}: {getattr(cause, 'strerror', None) or err}") from None
        raise


def _os_error_behind(err: BaseException) -> OSError | None:
    """`err` itself if it is an OSError with an errno, else the first such error it was raised from."""
    for _ in range(8):  # the chain is short; the bound guards against a cycle
        if isinstance(err, OSError) and err.errno is not None:
            return err
        err = err.__cause__ or err.__context__
        if err is None:
            return None
    return None


def write_json(path: Path, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, indent=2, sort_keys=True, default=str).encode()
    atomic_write(path, lambda handle: handle.write(data))


def write_epochs(path: Path, rows: list[dict[str, Any]]) -> None:
    import pandas as pd  # here, not at the top: `nash status` reads run files without pandas (0.3 s)

    frame = pd.DataFrame(rows)
    atomic_write(path, lambda handle: frame.to_parquet(handle, index=False))


def read_json(path: Path, advice: str | None = None, limit: int = RUN_JSON_LIMIT) -> dict[str, Any]:
    """The JSON object in `path`, a regular file of at most `limit` bytes; anything else is a one-line NashError.

    `advice` says how to go on without losing work (default: that of a run folder's run.json).
    """
    advice = advice or damaged_run_file_advice(path.parent)
    try:  # no FIFO, device or folder, nothing over the limit, no nesting that would exhaust the stack
        payload = parse_json(read_bytes(path, limit, path.name), path.name, path)
    except NashError as err:
        raise NashError(f"{err}; {advice}") from None
    if isinstance(payload, dict):
        return payload
    reason = f"valid JSON but {_JSON_TYPES.get(type(payload), 'null')}, not an object"
    raise NashError(f"cannot read {path} ({reason}); {advice}")


def read_parquet_file(path: Path, limit: int = PARQUET_LIMIT):
    """The DataFrame in `path`, a regular file of at most `limit` bytes checked before it is read (a FIFO
    would block pyarrow's open); a NashError names the file, other damage is pyarrow's exception."""
    import io

    import pandas as pd  # here, not at the top: `nash status` reads run files without pandas (0.3 s)

    return pd.read_parquet(io.BytesIO(read_bytes(path, limit, path.name)))


def damaged_run_file_advice(run_dir: Path) -> str:
    """How to go on when a run's run.json is damaged, keeping what the folder holds."""
    aside = f"move it aside (mv {run_dir / RUN_FILE} {run_dir / RUN_FILE}.damaged)"
    if any(run_dir.glob("checkpoint*.pt")):
        return f"the folder's checkpoint is intact: {aside} and run the same command with --resume to continue"
    if (run_dir / EPOCHS_FILE).exists():
        return f"to keep the finished epochs in {EPOCHS_FILE}, copy the folder elsewhere, then {aside} and run again"
    return f"{aside} and run again (the folder holds no finished epochs)"


def ensure_writable(run_dir: Path, out: Path) -> None:
    """Create `run_dir` (a real folder, not a link) and prove a file can be written there; else a one-line NashError."""
    try:
        safe_files.real_folder(run_dir, "run folder")
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=run_dir)  # a new name: no planted link is opened
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise NashError(f"cannot write to output folder {out}: {err.strerror}; choose another --out") from None


def prepare_run_dir(out: Path, run_id: str, overwrite: bool) -> Path:
    """Create `<out>/<run id>`; refuse to overwrite a finished run unless asked."""
    run_dir = out / run_id
    ensure_writable(run_dir, out)
    run_file = run_dir / RUN_FILE
    if not overwrite and run_file.exists():
        status = read_json(run_file).get("status")
        if status == "done":
            raise NashError(f"{run_dir} already holds a finished run; pass --overwrite or choose another --out")
    safe_files.remove_file(run_dir / EPOCHS_FILE)
    return run_dir
