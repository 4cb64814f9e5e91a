"""The one exception type for user-facing errors."""


class NashError(Exception):
    """A problem the user can fix: the message says what is wrong and how to fix it.

    The CLI prints the message on one line and exits non-zero, without a traceback.
    """


def error_reason(exc: BaseException) -> str:
    """A low-level exception as one short line for a NashError message."""
    if type(exc).__name__ == "UnidentifiedImageError":  # Pillow's text is a BytesIO repr, useless to a user
        return "not an image Pillow can identify"
    return " ".join(f"{type(exc).__name__}: {exc}".split())
