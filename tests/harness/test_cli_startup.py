"""The CLI answers at once: listing, lookup, status and report commands import no torch; help shows defaults."""

import argparse
import importlib
import json
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import searchers.plugins
from harness.cli.main import build_parser, main, nash_version
from searchers.catalog import BUILTIN_SEARCHERS, searcher_descriptions
from searchers.plugins import ENTRY_POINT_GROUP
from searchers.registry import DESCRIPTIONS, SEARCHERS
from tests.reports.handmade import NB201_GOOD
from tests.reports.store_folder import write_search

REPO = Path(__file__).resolve().parents[2]

# Runs `nash ARGS` in a fresh interpreter and fails if torch was imported on the way.
PROBE = """
import json, sys
from harness.cli.main import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as stop:
    code = stop.code
print("TORCH" if "torch" in sys.modules else "no torch", code, file=sys.stderr)
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("startup")
    runs = root / "runs"
    write_search(runs, "nb201-cifar10", "darts", 0, [NB201_GOOD, NB201_GOOD], oracle_cifar10_test_200=[93.0, 93.0])
    sweep = root / "sweep"
    sweep.mkdir()
    cell = {"state": "done", "fingerprint": "0" * 16, "spec": {}, "seconds": 3.0, "history": []}  # as register writes
    (sweep / "sweep.json").write_text(json.dumps({"version": 1, "cells": {"a-cell": cell}}))
    return root


COMMANDS = {
    "help": ["--help"],
    "version": ["--version"],
    "search help": ["search", "--help"],
    "benchmarks": ["benchmarks"],
    "searchers": ["searchers"],
    "query": ["query", "1835", "--dataset", "cifar10"],
    "status of runs": ["status", "{root}/runs"],
    "status of a sweep": ["status", "{root}/sweep"],
    "report": ["report", "{root}/runs", "--out", "{root}/report"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_quick_commands_import_no_torch(name, folders):
    argv = [arg.format(root=folders) for arg in COMMANDS[name]]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.stderr.splitlines()[-1] == "no torch 0", result.stderr
    assert result.stdout.strip(), "printed nothing"


def test_version_names_the_installed_package(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"nash {nash_version()}"


def _options(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif action.option_strings and not isinstance(action, argparse._HelpAction | argparse._VersionAction):
            yield path, parser, action


def test_every_option_help_shows_its_default():
    checked = 0
    for path, parser, action in _options(build_parser(), "nash"):
        if action.required or isinstance(action, argparse._StoreTrueAction):
            continue  # no default to show: a required value or an off-by-default switch
        text = parser._get_formatter()._get_help_string(action)
        assert action.help and "default" in text.lower(), f"{path} {action.option_strings[0]}: {action.help!r}"
        if action.default not in (None, [], "") and "%(default)" in text:
            assert str(action.default) in text % {"default": action.default}
        checked += 1
    assert checked > 50


def test_searcher_catalog_matches_the_registry_without_importing_searchers():
    assert set(BUILTIN_SEARCHERS) == set(DESCRIPTIONS) and set(SEARCHERS) <= set(searcher_descriptions())
    for name, info in BUILTIN_SEARCHERS.items():
        module, cls = info.target.split(":")
        assert getattr(importlib.import_module(module), cls) is SEARCHERS[name], name


def test_plug_in_searchers_are_described_from_their_entry_points_without_loading_them(monkeypatch):
    plug_in = EntryPoint("my-nas", "a_module_that_does_not_exist:MyNas", ENTRY_POINT_GROUP)
    shadow = EntryPoint("darts", "elsewhere:Darts", ENTRY_POINT_GROUP)
    monkeypatch.setattr(searchers.plugins, "entry_points", lambda group: [plug_in, shadow])
    described = searcher_descriptions()
    assert list(described) == [*BUILTIN_SEARCHERS, "my-nas"]  # built-in names win
    assert "a_module_that_does_not_exist:MyNas" in described["my-nas"]
    assert described["darts"] == BUILTIN_SEARCHERS["darts"].description
