"""The one exception type for user-facing errors."""


class NashError(Exception):
    """A problem the user can fix: the message says what is wrong and how to fix it.

    The CLI prints the message on one line and exits non-zero, without a traceback.
    """
