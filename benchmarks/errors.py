"""The one exception type for user-facing errors, and text from files shown safely."""

import re

# C0 and C1 controls but \t \n \r, DEL, and the invisible direction marks and overrides (Trojan-source reordering).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class NashError(Exception):
    """A problem the user can fix: the message says what is wrong and how to fix it.

    The CLI prints the message on one line and exits non-zero, without a traceback.
    """


def error_reason(exc: BaseException) -> str:
    """A low-level exception as one short line for a NashError message."""
    if type(exc).__name__ == "UnidentifiedImageError":  # Pillow's text is a BytesIO repr, useless to a user
        return "not an image Pillow can identify"
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """`text` with every control character and direction override shown as its escape (`\\x1b`, `\\u202e`),
    so text from a file someone else wrote can be printed or rendered without being obeyed."""
    return _UNSAFE.sub(_escape, text)
