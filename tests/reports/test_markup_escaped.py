"""Markup planted in every string a run file holds comes out as text in every report output."""

import json
import re

import pandas as pd

from harness.run.runner import run_search
from reports.build import write_report
from reports.render import markdown_escape
from tests.harness.test_search_end_to_end import tiny_config

PLANT = "<img src=x onerror=alert(1)>[link](javascript:alert(2))*em*_u_`code`|cell|\\"
CONTROLS = "\x1b]0;retitled\x07\x1b[2J\u202e"  # retitle and clear a terminal; reverse the text after it
TEX = "$\\frac{b$ 100% #1 {x} ~^"  # breaks mathtext in a figure title and LaTeX if left as it is


# Fields a report uses as names (file names, labels) must be plain names, and these must be free of control
# characters; a run breaking that is skipped with one warning (tests/fuzz/test_fuzz_reads.py). Every other
# string is shown, whatever it holds.
NAMES = ("benchmark", "searcher", "profile", "variant")
NO_CONTROLS = ("run_id", "genotype", "status", "column", "kind")


def plant_everywhere(run_dir):
    """Every string field of run.json (nested) and every string column of epochs.parquet gets the plant
    appended (names keep their meaning, so the run is still reported)."""

    def planted(value, key=""):
        if isinstance(value, dict):
            return {k: planted(v, k) for k, v in value.items()}
        if isinstance(value, str) and key not in NAMES and key not in NO_CONTROLS:
            return value + PLANT + CONTROLS + TEX
        if isinstance(value, str) and key == "run_id":
            return value + PLANT + TEX
        return value

    facts = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps(planted(facts)))
    rows = pd.read_parquet(run_dir / "epochs.parquet")
    rows["run_id"] = rows["run_id"].astype(str) + PLANT + TEX
    for column in ("device", "precision"):
        rows[column] = rows[column].astype(str) + PLANT + CONTROLS + TEX
    rows.to_parquet(run_dir / "epochs.parquet")


def test_planted_markup_is_escaped_in_markdown_and_html(tmp_path):
    result = run_search(tiny_config("darts", epochs=1), tmp_path / "runs", progress=False)
    plant_everywhere(result.run_dir)
    report = write_report(tmp_path / "runs", tmp_path / "report")
    assert report.runs == 1
    texts = {path.name: path.read_text() for path in [tmp_path / "report" / "index.md",
                                                      *(tmp_path / "report" / "tables").glob("*.md")]}  # fmt: skip
    assert any(markdown_escape(PLANT) in text for text in texts.values())  # the plant is there, as text
    for name, text in texts.items():
        assert "<img" not in text and not re.search(r"(?<!\\)\]\(javascript", text), name
    page = (tmp_path / "report" / "index.html").read_text()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    latex = [path.read_text() for path in (tmp_path / "report" / "tables").glob("*.tex")]
    assert any(r"\$\textbackslash{}frac\{b\$ 100\% \#1" in text for text in latex)
    for text in [page, *texts.values(), *latex]:  # control characters shown as escapes, never written raw
        assert "\x1b" not in text and "\u202e" not in text and "\x00" not in text
    assert "\\x1b]0;retitled\\x07" in page
    assert any("\\\\x1b\\]0;retitled" in text for text in texts.values())  # Markdown escapes the backslash too
    assert any(r"\textbackslash{}x1b]0;retitled" in text for text in latex)
    # One file: every figure is inside the page.
    assert "<img src='data:image/png;base64," in page and "src='plots/" not in page


def test_markdown_escape_leaves_no_markup():
    text = markdown_escape("a|b <b>x</b> [l](u) ![i](u) \\ &amp;\nnext")
    assert text == "a\\|b &lt;b>x&lt;/b> \\[l\\](u) !\\[i\\](u) \\\\ &amp;amp; next"


def test_one_benchmark_gets_no_benchmark_tau_table_or_rank_heatmap(tmp_path):
    """A 1x1 τ table (1.00) and a one-row heatmap say nothing; the ranking table says it all."""
    for searcher in ("darts", "gdas"):
        run_search(tiny_config(searcher, epochs=1), tmp_path / "runs", progress=False)
    report = write_report(tmp_path / "runs", tmp_path / "report")
    names = {table.name for table in report.tables}
    assert "method_ranks" in names and "benchmark_tau" not in names
    assert not any(png.name.startswith("rank_heatmap") for png in report.plots)
