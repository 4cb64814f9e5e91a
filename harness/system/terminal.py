"""Text from files other people can write (run.json errors, run and cell names, genotypes) shown on a terminal as
text: control characters and bidirectional overrides are printed as escapes (`\\x1b`, `\\u202e`), never obeyed,
so a planted string cannot retitle, clear or recolour the terminal or reorder what is shown. Tabs, line breaks
and carriage returns (the progress bar's redraw) pass. `nash` writes all its output through `SafeText`.
"""

from __future__ import annotations

from benchmarks.errors import visible_controls


class SafeText:
    """A text stream (sys.stdout / sys.stderr) that escapes control characters in everything written to it."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(visible_controls(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # flush, fileno, isatty, encoding, buffer ... from the real stream
        return getattr(self.stream, name)
