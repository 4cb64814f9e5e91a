"""One process per run folder: `<run dir>/.nash-run.lock`, held with `fcntl.flock` while the run is written.

The kernel drops a flock when its process dies (SIGKILL, OOM kill, a lost node), so a lock left
behind is stale by construction and never has to be cleaned up by hand. The file also names the
holder (pid, host, start time) for the refusal message. A finishing run deletes the file while it
still holds the lock; a process that locked a file meanwhile unlinked checks the inode and retries.

Readers (`nash status`, reports) probe with a shared non-blocking flock, which they drop at once:
"running" in run.json with nobody holding the lock means the writer died, i.e. `interrupted`.
A writer retries for a moment before refusing, so such a probe never refuses a real start.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from benchmarks.errors import NashError
from benchmarks.safe_files import open_no_follow, real_folder

LOCK_FILE = ".nash-run.lock"
RUN_FILE = "run.json"  # harness.system.store.RUN_FILE; not imported: store pulls in pandas, this runs in `nash status`
_WAIT_SECONDS = 2.0  # longer than any reader's probe; far shorter than a run


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock for the block; a NashError if another process holds it.

    Creates the folder if needed, and removes it again if the block wrote nothing into it. The run
    folder and the lock file must not be symbolic links (benchmarks.safe_files): a caller whose
    user named the run folder itself resolves that link first.
    """
    run_dir = Path(run_dir)
    created = not os.path.lexists(run_dir)
    try:
        real_folder(run_dir, "run folder")
        handle = _acquire(run_dir / LOCK_FILE, run_dir)
    except OSError as err:
        raise NashError(
            f"cannot write to output folder {run_dir.parent}: {err.strerror}; choose another --out"
        ) from None
    if handle is None:  # a file system without locks: carry on unprotected, as before locks existed
        yield
        return
    try:
        yield
    finally:
        (run_dir / LOCK_FILE).unlink(missing_ok=True)  # still held: nobody can take a file we unlink
        handle.close()
        if created:
            try:
                run_dir.rmdir()  # only succeeds when the block wrote nothing (a refused or failed start)
            except OSError:
                pass


def _acquire(path: Path, run_dir: Path) -> IO[str] | None:
    deadline = time.monotonic() + _WAIT_SECONDS
    while True:
        # Read-write, created if missing, never through a link (it is truncated and rewritten below).
        handle = os.fdopen(open_no_follow(path, os.O_RDWR | os.O_CREAT, what="run lock"), "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_text(handle)
            handle.close()
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise NashError(
                f"{run_dir} is being written by another nash process ({holder}); wait for it to finish or stop it "
                "(Ctrl-C or kill; it continues with --resume)"
            ) from None
        except OSError as err:  # ENOLCK, EOPNOTSUPP: some network file systems
            handle.close()
            warning = f"nash: warning: cannot lock {path} ({err.strerror}); run one process per run folder"
            print(warning, file=sys.stderr)
            return None
        if _same_file(path, handle):
            break
        handle.close()  # the previous holder finished and unlinked it: lock the new file instead
    handle.seek(0)
    handle.truncate()
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    handle.write(json.dumps(holder) + "\n")
    handle.flush()
    return handle


def _same_file(path: Path, handle: IO[str]) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False


def _holder_text(handle: IO[str]) -> str:
    try:
        handle.seek(0)
        holder = json.loads(handle.read())
        return f"pid {holder['pid']} on {holder['host']} since {holder['started']}"
    except (ValueError, KeyError, TypeError):  # it is writing its details right now
        return "starting"


def writer_alive(run_dir: Path) -> bool | None:
    """Whether a process holds the run folder's lock; None when that cannot be told (no lock support)."""
    try:  # not through a link (another file's lock says nothing of this run), not blocking on a FIFO
        fd = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        handle = os.fdopen(fd, "rb")
    except FileNotFoundError:
        return False
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return None
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def run_status(run_dir: Path, status: str | None) -> str | None:
    """run.json's status, with `running` turned into `interrupted` when no process writes the run any more."""
    if status != "running" or writer_alive(run_dir) is not False:
        return status
    try:  # the writer may have finished between the caller's read of run.json and the probe
        status = json.loads((Path(run_dir) / RUN_FILE).read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return "interrupted"
    return "interrupted" if status == "running" else status
