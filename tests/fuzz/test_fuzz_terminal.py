"""Escape sequences planted in run files reach the terminal as text: shown, never obeyed."""

from __future__ import annotations

import json

from benchmarks.errors import visible_controls

RETITLE_AND_CLEAR = "\x1b]0;owned\x07\x1b[2J\x1b[31m"
REVERSED = "\u202etxt.exe"  # a right-to-left override: shows the rest reversed


def test_status_shows_a_planted_error_and_folder_name_as_escapes(nash, tmp_path):
    run_dir = tmp_path / "runs" / f"run{RETITLE_AND_CLEAR}"
    run_dir.mkdir(parents=True)
    facts = {"run_id": "x", "status": "failed", "config": {}, "error": f"boom {RETITLE_AND_CLEAR}{REVERSED}\x00\x9b"}
    (run_dir / "run.json").write_text(json.dumps(facts))
    outcome = nash("status", tmp_path / "runs")
    shown = outcome.out + outcome.err
    assert "\x1b" not in shown and "\u202e" not in shown and "\x00" not in shown and "\x9b" not in shown
    assert "boom \\x1b]0;owned\\x07\\x1b[2J\\x1b[31m\\u202etxt.exe\\x00\\x9b" in shown
    assert "run\\x1b]0;owned" in shown  # the folder name too


def test_an_error_line_naming_a_planted_path_is_escaped(nash, tmp_path):
    config = tmp_path / f"conf{RETITLE_AND_CLEAR}.json"
    outcome = nash("search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--config", config)
    line = outcome.one_error_line()
    assert "\x1b" not in line and "conf\\x1b]0;owned" in line


def test_visible_controls_keeps_text_tabs_and_line_breaks():
    assert visible_controls("a\tb\nc\r|é—τ") == "a\tb\nc\r|é—τ"
    assert visible_controls("\x7f\u2066\u200f") == "\\x7f\\u2066\\u200f"
