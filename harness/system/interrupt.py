"""Graceful stop on SIGTERM: a batch scheduler's kill becomes an `interrupted` run, not a lost one.

The handler only sets a flag; the epoch loop checks it between steps (and a sweep between cells,
a sweep's planning between cells to plan) and raises `RunInterrupted` there. Raising from inside
the handler would land at an arbitrary point (a finaliser, a C extension's callback) where the
exception can be swallowed or leave the interpreter believing a Ctrl-C went unhandled. A second
SIGTERM stops at once.

A stop must come within seconds wherever the program is, also where no loop checks the flag (a
long data load, a lock wait, a report being built). So the first SIGTERM also arms a timer: if the
flag has not been acted on `GRACE_SECONDS` later, the timer sends the second SIGTERM itself. Every
file nash writes is written atomically, so stopping at an arbitrary point loses only the epoch in
progress, as a stop between steps does.
"""

from __future__ import annotations

import os
import signal
import threading


class RunInterrupted(BaseException):
    """The run was asked to stop (SIGTERM); like KeyboardInterrupt, not an error of the run."""


GRACE_SECONDS = 5.0
_stop_requested = False
_escalation: threading.Timer | None = None


def _on_sigterm(_signum, _frame) -> None:
    global _stop_requested, _escalation
    if _stop_requested:
        _cancel_escalation()
        raise RunInterrupted("terminated (second SIGTERM)")
    _stop_requested = True
    _escalation = threading.Timer(GRACE_SECONDS, os.kill, (os.getpid(), signal.SIGTERM))
    _escalation.daemon = True
    _escalation.start()


def _cancel_escalation() -> None:
    global _escalation
    if _escalation is not None:
        _escalation.cancel()
        _escalation = None


def install_sigterm_handler() -> None:
    global _stop_requested
    _cancel_escalation()
    _stop_requested = False
    signal.signal(signal.SIGTERM, _on_sigterm)


def raise_if_stop_requested() -> None:
    """Called between steps (and cells); cheap (one global read). Acting on the stop disarms the timer."""
    if _stop_requested:
        _cancel_escalation()
        raise RunInterrupted("terminated (SIGTERM)")
