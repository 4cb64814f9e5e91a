"""Graceful stop on SIGTERM: a batch scheduler's kill becomes an `interrupted` run, not a lost one.

The handler only sets a flag; the epoch loop checks it between steps (and a sweep between cells,
a sweep's planning between cells to plan) and raises `RunInterrupted` there. Raising from inside
the handler would land at an arbitrary point (a finaliser, a C extension's callback) where the
exception can be swallowed or leave the interpreter believing a Ctrl-C went unhandled. A second
SIGTERM stops at once.

A stop must come within seconds wherever the program is, also where no loop checks the flag (a
long data load, a lock wait, a report being built) and where the main thread never gets back to
the interpreter to run a Python handler at all: a read blocked inside a C library that retries an
interrupted call itself (pyarrow opening a FIFO planted as `epochs.parquet` waits for a writer
forever). So a watchdog thread hears every signal through `signal.set_wakeup_fd` (a byte Python's
C-level handler writes whatever the main thread is doing). `GRACE_SECONDS` after a SIGTERM that
nothing acted on, it sends the second SIGTERM itself; if the main thread still has not acted
`HARD_STOP_SECONDS` later (or `GRACE_SECONDS` after a Ctrl-C), it prints the stop line and ends
the process with exit 130. That loses nothing finished: every file nash writes is written
atomically, run locks are flocks the kernel drops, and a run left `running` without a lock holder
reads as `interrupted`, so stopping at an arbitrary point loses only the epoch in progress.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import threading
import time


class RunInterrupted(BaseException):
    """The run was asked to stop (SIGTERM); like KeyboardInterrupt, not an error of the run."""


GRACE_SECONDS = 5.0  # for the loops to act on the flag before the second SIGTERM
HARD_STOP_SECONDS = 2.0  # for the second SIGTERM to be acted on before the process is ended outright
_POLL_SECONDS = 0.05
_stop_requested = False
_acted = threading.Event()  # the main thread raised the stop: it is unwinding, no escalation needed
_stop_line = "nash: interrupted"
_wakeup_fds: tuple[int, int] | None = None  # (read, write), made once per process with the watchdog


def _on_sigterm(_signum, _frame) -> None:
    global _stop_requested
    if _acted.is_set():  # the stop is under way: a further SIGTERM (a process group's) must not cut its clean-up
        return
    if _stop_requested:
        _acted.set()
        raise RunInterrupted("terminated (second SIGTERM)")
    _stop_requested = True
    _tell_the_watchdog(signal.SIGTERM)


def _tell_the_watchdog(signum: int) -> None:
    """Where something else took the wakeup fd since (an asyncio loop does), the signal's byte went there."""
    ours = _wakeup_fds[1]
    theirs = signal.set_wakeup_fd(ours, warn_on_full_buffer=False)
    if theirs == ours:
        return
    if theirs != -1:
        signal.set_wakeup_fd(theirs)  # theirs stays theirs; the watchdog gets its byte by hand
    try:
        os.write(ours, bytes([signum]))
    except BlockingIOError:  # a full pipe: the watchdog has bytes to read already
        pass


def _on_sigint(_signum, _frame) -> None:
    """Python's own Ctrl-C behaviour, noted so the watchdog knows the main thread got it."""
    _acted.set()
    raise KeyboardInterrupt


def _cancel_escalation() -> None:
    """End a pending escalation (the stop was acted on, or a test cleans up)."""
    _acted.set()


def install_sigterm_handler(stop_line: str = "nash: interrupted") -> None:
    """Call in the main thread at the start of a command; `stop_line` is printed when the watchdog ends it."""
    global _stop_requested, _stop_line
    _stop_requested = False
    _stop_line = stop_line
    _acted.clear()
    signal.signal(signal.SIGTERM, _on_sigterm)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where the shell ignores it (`cmd &`)
        signal.signal(signal.SIGINT, _on_sigint)
    signal.set_wakeup_fd(_start_watchdog(), warn_on_full_buffer=False)


def _ignore_sigterm_at_exit() -> None:
    """Python puts the default action back late in its shutdown: a SIGTERM then would make exit 130 (or 0) a kill."""
    if signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def raise_if_stop_requested() -> None:
    """Called between steps (and cells); cheap (one global read). Acting on the stop disarms the watchdog."""
    if _stop_requested:
        _acted.set()
        raise RunInterrupted("terminated (SIGTERM)")


def _start_watchdog() -> int:
    """The write end of the watchdog's pipe; the thread is started once per process."""
    global _wakeup_fds
    if _wakeup_fds is None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)  # the C-level handler must never block on a full pipe
        _wakeup_fds = (read_fd, write_fd)
        threading.Thread(target=_watch, args=(read_fd,), name="nash-stop-watchdog", daemon=True).start()
        atexit.register(_ignore_sigterm_at_exit)
    return _wakeup_fds[1]


def _watch(read_fd: int) -> None:
    while True:
        heard = os.read(read_fd, 512)
        if signal.SIGTERM in heard and signal.getsignal(signal.SIGTERM) is _on_sigterm:
            _escalate_sigterm(read_fd)
        elif signal.SIGINT in heard and signal.getsignal(signal.SIGINT) is _on_sigint:
            if _wait_for_the_main_thread(GRACE_SECONDS, read_fd, signal.SIGINT) != "acted":
                _end_now()


def _escalate_sigterm(read_fd: int) -> None:
    global _stop_requested
    waited = _wait_for_the_main_thread(GRACE_SECONDS, read_fd, signal.SIGTERM)
    if waited == "acted":
        return
    _stop_requested = True  # set here too: the first SIGTERM's handler may never have run (main thread in C)
    if waited == "timed out":  # else the user sent the second SIGTERM already
        os.kill(os.getpid(), signal.SIGTERM)
    if _wait_for_the_main_thread(HARD_STOP_SECONDS, read_fd, None) != "acted":
        _end_now()


def _wait_for_the_main_thread(seconds: float, read_fd: int, insist: int | None) -> str:
    """How the wait ended: "acted", "timed out", or "insisted" (the signal `insist` came again meanwhile)."""
    deadline = time.monotonic() + seconds
    while not _acted.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return "timed out"
        if select.select([read_fd], [], [], min(left, _POLL_SECONDS))[0]:
            heard = os.read(read_fd, 512)
            if insist is not None and insist in heard and not _acted.is_set():
                return "insisted"
    return "acted"


def _end_now() -> None:
    """The main thread is stuck where no Python code runs: end the process without it (exit 130, as a stop).

    No flush of sys.stdout: the stuck main thread may hold its lock (a write to a full pipe)."""
    try:
        os.write(2, f"{_stop_line}\n".encode())
    finally:
        os._exit(130)
