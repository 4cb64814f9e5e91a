"""A report table and its Markdown, LaTeX, CSV and HTML forms.

Cells are text, formatted once ("93.61±0.09"); MARK after a value flags a mean that differs from the
published one by more than the published std (see `reports.published`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

MARK = "†"


@dataclass
class Table:
    name: str  # file stem: tables/<name>.md / .tex / .csv
    title: str
    frame: pd.DataFrame  # text cells
    notes: list[str] = field(default_factory=list)
    inline: bool = True  # shown in index.html / index.md (long tables are only linked)


def fmt(mean: float, std: float | None = None, digits: int = 2, marked: bool = False) -> str:
    """ "mean±std" (or "mean" without a std); "" for a missing mean; MARK appended when `marked`."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    text = f"{mean:.{digits}f}"
    if std is not None and not (isinstance(std, float) and math.isnan(std)):
        text += f"±{std:.{digits}f}"
    return text + (f" {MARK}" if marked else "")


def to_markdown(table: Table) -> str:
    frame = table.frame.astype(str)
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    lines = ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in frame.itertuples(index=False)]
    notes = [f"\n{note}" for note in table.notes]
    return "\n".join([f"### {table.title}", "", header, rule, *lines, *notes]) + "\n"


def _latex_escape(text: str) -> str:
    for plain, latex in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#")):
        text = text.replace(plain, latex)
    for plain, latex in (("±", r"$\pm$"), (MARK, r"$^\dagger$"), ("τ", r"$\tau$"), ("≥", r"$\geq$")):
        text = text.replace(plain, latex)
    for plain, latex in (("α", r"$\alpha$"), ("θ", r"$\theta$"), ("λ", r"$\lambda$"), ("×", r"$\times$")):
        text = text.replace(plain, latex)
    return text


def to_latex(table: Table) -> str:
    frame = table.frame.astype(str)
    spec = "l" * len(frame.columns)
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{_latex_escape(table.title)}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(_latex_escape(c) for c in frame.columns) + " \\\\",
        "\\midrule",
        *(" & ".join(_latex_escape(v) for v in row) + " \\\\" for row in frame.itertuples(index=False)),
        "\\bottomrule",
        "\\end{tabular}",
        *(f"\\par\\footnotesize {_latex_escape(note)}" for note in table.notes),
        "\\end{table}",
    ]
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    body = table.frame.astype(str).to_html(index=False, escape=True, border=0, classes="table")
    notes = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in table.notes)
    return f"<h3 id='{table.name}'>{html.escape(table.title)}</h3>\n{body}\n{notes}\n"


def write_table(table: Table, folder: Path) -> list[Path]:
    """tables/<name>.md, .tex and .csv (the CSV holds the text cells, notes as trailing comment lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{table.name}.{ext}" for ext in ("md", "tex", "csv")]
    paths[0].write_text(to_markdown(table))
    paths[1].write_text(to_latex(table))
    csv = table.frame.to_csv(index=False) + "".join(f"# {note}\n" for note in table.notes)
    paths[2].write_text(csv)
    return paths
