"""A report table and its Markdown, LaTeX, CSV and HTML forms.

Cells are typed, not pre-formatted text: a `Stat` (mean, spread over n values, printed precision,
a MARK flag), a plain int, float or string, or None / NaN for an empty cell. The Markdown, LaTeX and
HTML forms print a Stat as "93.61±0.09" (no "±" for a single value); the CSV form holds numbers only:
each Stat column becomes `<column> mean`, `<column> std`, `<column> n` (and `<column> †` when a value
is marked), so `pandas.read_csv` reads them as numbers. MARK after a value flags a mean that differs
from the published one by more than the published std (see `reports.published`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from numbers import Number
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.errors import visible_controls

MARK = "†"


@dataclass(frozen=True)
class Stat:
    """A number as a table prints it: the mean of `n` values (None: a published value), their spread."""

    mean: float
    std: float = math.nan
    n: int | None = None
    digits: int = 2
    marked: bool = False

    def __str__(self) -> str:
        if _missing(self.mean):
            return ""
        text = f"{self.mean:.{self.digits}f}"
        if self.n != 1 and not _missing(self.std):
            text += f"±{self.std:.{self.digits}f}"
        return text + (f" {MARK}" if self.marked else "")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(mean: float, std: float | None = None, digits: int = 2, marked: bool = False) -> str:
    """ "mean±std" (or "mean" without a std); "" for a missing mean; MARK appended when `marked`."""
    return str(Stat(mean, math.nan if std is None else std, None, digits, marked))


def cell_text(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return visible_controls(str(value))  # a planted escape sequence or NUL shows as text in every format


def numeric_columns(frame: pd.DataFrame) -> list[bool]:
    """Per column: every non-empty cell is a number (printed right-aligned)."""
    flags = []
    for column in frame.columns:
        values = [v for v in frame[column] if not _missing(v) and str(v) != ""]
        flags.append(bool(values) and all(_is_number(v) for v in values))
    return flags


def _is_number(value: Any) -> bool:
    return isinstance(value, Stat) or (isinstance(value, Number) and not isinstance(value, bool))


@dataclass
class Table:
    name: str  # file stem: tables/<name>.md / .tex / .csv
    title: str  # the caption
    frame: pd.DataFrame  # typed cells (see the module doc)
    notes: list[str] = field(default_factory=list)
    inline: bool = True  # shown in index.html / index.md (long tables are only linked)

    def text(self) -> pd.DataFrame:
        """The frame as printed text."""
        return self.frame.map(cell_text) if len(self.frame.columns) else self.frame.copy()


# What can turn text from run files into markup: HTML and entities, links and images, table cells, line breaks
# (emphasis and code spans only restyle, and nash's own notes use them).
_MARKDOWN = {"\\": "\\\\", "<": "&lt;", "&": "&amp;", "[": "\\[", "]": "\\]", "|": "\\|", "\n": " ", "\r": " "}


def html_text(text: Any) -> str:
    """Text from run files as literal HTML: markup escaped, control characters shown as escapes."""
    return html.escape(visible_controls(str(text)))


def markdown_escape(text: str) -> str:
    """Text from run files as literal Markdown: no HTML, entity, link, image or table markup survives."""
    return "".join(_MARKDOWN.get(ch, ch) for ch in visible_controls(str(text)))


def to_markdown(table: Table) -> str:
    frame = table.text()
    header = "| " + " | ".join(markdown_escape(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if num else "---" for num in numeric_columns(table.frame)) + "|"
    lines = ["| " + " | ".join(markdown_escape(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    notes = [f"\n{markdown_escape(note)}" for note in table.notes]
    return "\n".join([f"### {markdown_escape(table.title)}", "", header, rule, *lines, *notes]) + "\n"


_LATEX_PLAIN = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "|": r"\textbar{}"}  # fmt: skip
_LATEX_SYMBOLS = {"±": r"$\pm$", MARK: r"$^\dagger$", "τ": r"$\tau$", "≥": r"$\geq$", "α": r"$\alpha$",
                  "θ": r"$\theta$", "λ": r"$\lambda$", "×": r"$\times$", "–": "--", "—": "---"}  # fmt: skip


def latex_escape(text: str) -> str:
    """Plain text as LaTeX: the special characters escaped, then the symbols as math."""
    text = "".join(_LATEX_PLAIN.get(ch, ch) for ch in visible_controls(text))
    return "".join(_LATEX_SYMBOLS.get(ch, ch) for ch in text)


def to_latex(table: Table) -> str:
    frame = table.text()
    spec = "".join("r" if num else "l" for num in numeric_columns(table.frame))
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{latex_escape(table.title)}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(latex_escape(str(c)) for c in frame.columns) + " \\\\",
        "\\midrule",
        *(" & ".join(latex_escape(v) for v in row) + " \\\\" for row in frame.itertuples(index=False)),
        "\\bottomrule",
        "\\end{tabular}",
        *(f"\\par\\footnotesize {latex_escape(note)}" for note in table.notes),
        "\\end{table}",
    ]
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    frame = table.text()
    align = [" class='num'" if num else "" for num in numeric_columns(table.frame)]
    head = "".join(f"<th{a}>{html_text(str(c))}</th>" for c, a in zip(frame.columns, align, strict=True))
    rows = [
        "<tr>" + "".join(f"<td{a}>{html_text(v)}</td>" for v, a in zip(row, align, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False)
    ]
    body = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    notes = "".join(f"<p class='note'>{html_text(note)}</p>" for note in table.notes)
    return f"<h3 id='{table.name}'>{html_text(table.title)}</h3>\n{body}\n{notes}\n"


def to_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers only: a Stat column becomes `<c> mean` / `<c> std` / `<c> n` (/ `<c> †`); other cells stay."""
    out: dict[str, list[Any]] = {}
    for column in frame.columns:
        values = list(frame[column])
        stats = [v for v in values if isinstance(v, Stat)]
        if not stats:
            out[str(column)] = [None if _missing(v) else v for v in values]
            continue
        parts = {"mean": lambda s: s.mean}
        if any(not _missing(s.std) and s.n != 1 for s in stats):
            parts["std"] = lambda s: None if s.n == 1 or _missing(s.std) else s.std
        if any(s.n is not None for s in stats):
            parts["n"] = lambda s: s.n
        if any(s.marked for s in stats):
            parts[MARK] = lambda s: s.marked
        for part, read in parts.items():
            out[f"{column} {part}"] = [read(v) if isinstance(v, Stat) else None for v in values]
    frame = pd.DataFrame(out)
    for column in frame.columns:  # whole numbers with gaps stay whole numbers ("3", not "3.0")
        values = [v for v in out[column] if v is not None]
        if values and all(isinstance(v, Number) and not isinstance(v, bool) and float(v).is_integer()
                          and not isinstance(v, float) for v in values):  # fmt: skip
            frame[column] = frame[column].astype("Int64")
    return frame


def write_table(table: Table, folder: Path) -> list[Path]:
    """tables/<name>.md, .tex and .csv; the notes (sources, rules) are in the Markdown and LaTeX forms."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{table.name}.{ext}" for ext in ("md", "tex", "csv")]
    paths[0].write_text(to_markdown(table))
    paths[1].write_text(to_latex(table))
    to_csv_frame(table.frame).to_csv(paths[2], index=False)
    return paths
