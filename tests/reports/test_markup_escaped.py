"""Markup planted in every string a run file holds comes out as text in every report output."""

import json
import re

import pandas as pd

from harness.run.runner import run_search
from reports.build import write_report
from reports.render import markdown_escape
from tests.harness.test_search_end_to_end import tiny_config

PLANT = "<img src=x onerror=alert(1)>[link](javascript:alert(2))*em*_u_`code`|cell|\\"


def plant_everywhere(run_dir):
    """Every string field of run.json (nested) and every string column of epochs.parquet gets the plant
    appended; the genotype and numbers keep their meaning so the run is still reported."""

    def planted(value, key=""):
        if isinstance(value, dict):
            return {k: planted(v, k) for k, v in value.items()}
        if isinstance(value, str) and key not in ("genotype", "status", "column", "kind"):
            return value + PLANT
        return value

    facts = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps(planted(facts)))
    rows = pd.read_parquet(run_dir / "epochs.parquet")
    for column in ("run_id", "searcher", "profile", "device", "precision"):
        rows[column] = rows[column].astype(str) + PLANT
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
