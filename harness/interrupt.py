"""Graceful stop on SIGTERM: a batch scheduler's kill becomes an `interrupted` run, not a lost one.

The handler only sets a flag; the epoch loop checks it between steps and raises
`RunInterrupted` there. Raising from inside the handler would land at an arbitrary point
(a finaliser, a C extension's callback) where the exception can be swallowed or leave
the interpreter believing a Ctrl-C went unhandled. A second SIGTERM stops at once.
"""

from __future__ import annotations

import signal


class RunInterrupted(BaseException):
    """The run was asked to stop (SIGTERM); like KeyboardInterrupt, not an error of the run."""


_stop_requested = False


def _on_sigterm(_signum, _frame) -> None:
    global _stop_requested
    if _stop_requested:
        raise RunInterrupted("terminated (second SIGTERM)")
    _stop_requested = True


def install_sigterm_handler() -> None:
    global _stop_requested
    _stop_requested = False
    signal.signal(signal.SIGTERM, _on_sigterm)


def raise_if_stop_requested() -> None:
    """Called by the epoch loop between steps; cheap (one global read)."""
    if _stop_requested:
        raise RunInterrupted("terminated (SIGTERM)")
