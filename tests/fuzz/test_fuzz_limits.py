"""Every size has a limit: genotypes, sweeps (variants x seeds x benchmarks), epochs, oracle queries. Each case is
refused in one line, quickly and before anything is written or allocated."""

from __future__ import annotations

import time

import pytest

from benchmarks.errors import NashError
from reports.genotypes import input_reaches_output, parse_cell_ops
from tests.fuzz.conftest import SEARCH
from tests.fuzz.test_fuzz_files import S2

CONCAT = "normal_concat=[2, 3, 4, 5]"
HUGE_GENOTYPES = {
    "concat of thousands": (S2.replace(CONCAT, "normal_concat=[" + "2, " * 3000 + "2]"), "characters"),
    "concat repeating a node": (S2.replace(CONCAT, "normal_concat=[2, 2, 2, 2, 3]"), "twice"),
    "concat range to 10**10": (S2.replace(CONCAT, "normal_concat=range(2, 10000000000)"), "range()"),
    "genes by the thousand": (S2.replace("('sep_conv_3x3', 2)]", "('sep_conv_3x3', 2)" + ", ('none', 0)" * 400 + "]"),
                              "characters"),
    "nested parentheses": ("Genotype(" + "(" * 1500 + ")" * 1500 + ")", "genotype"),
    "a NUL byte": (S2.replace("normal=", "normal\x00="), "genotype"),
}  # fmt: skip


@pytest.mark.parametrize("case", HUGE_GENOTYPES)
def test_a_genotype_beyond_its_limits_is_one_line_before_anything_is_built(nash, tmp_path, case):
    genotype, fragment = HUGE_GENOTYPES[case]
    started = time.perf_counter()
    argv = ["evaluate", "--benchmark", "s2-cifar10", "--genotype", genotype, "--epochs", "1", "--device", "cpu"]
    line = nash(*argv, "--out", tmp_path / "runs").one_error_line(fragment)
    assert len(line) < 400 and time.perf_counter() - started < 5
    assert not (tmp_path / "runs").exists()


REPORT_GENOTYPES = {
    "concat of 600 entries": S2.replace(CONCAT, "normal_concat=[" + ", ".join(["2"] * 600) + "]"),
    "concat repeating a node": S2.replace(CONCAT, "normal_concat=[2, 2, 3]"),
    "concat range to 10**10": S2.replace(CONCAT, "normal_concat=range(0, 10000000000)"),
    "an input of 99999": S2.replace("('sep_conv_3x3', 2)]", "('none', 99999)]"),
    "padded to 5,000 characters": S2.replace(", ", "," + " " * 300),
    "NB201 of one edge": "|none~0|",
    "NB201 of 601 edges": "|none~0|+" * 600 + "|none~0|",
}


@pytest.mark.parametrize("text", REPORT_GENOTYPES.values(), ids=REPORT_GENOTYPES)
def test_a_report_refuses_an_oversized_genotype_string_quickly(text):
    """The torch-free reader a report uses: one NashError, not a loop over ten billion concat entries."""
    started = time.perf_counter()
    with pytest.raises(NashError):
        parse_cell_ops(text) if text.startswith("|") else input_reaches_output(text)
    assert time.perf_counter() - started < 1


def preset(tmp_path, text: str):
    """A preset file of one darts cell on nb201-cifar10, with `text` added (a top-level `seeds` replaces "0")."""
    seeds = "" if text.startswith("seeds") else 'seeds = "0"\n'
    path = tmp_path / "p.toml"
    path.write_text('searchers = ["darts"]\nbenchmarks = ["nb201-cifar10"]\n' + seeds + text)
    return path


def test_a_preset_of_ten_thousand_variants_is_refused_before_planning(nash, tmp_path):
    variants = "".join(f"[variants.v{i}]\noptions = {{}}\n" for i in range(10_000))
    started = time.perf_counter()
    nash("sweep", "--preset", preset(tmp_path, variants), "--out", tmp_path / "s").one_error_line("5,000", "cells")
    assert time.perf_counter() - started < 10 and not (tmp_path / "s").exists()


def test_a_sweep_of_too_many_cells_from_flags_is_refused_before_planning(nash, tmp_path):
    argv = ["sweep", "--searchers", "darts,gdas,pcdarts", "--benchmarks", "nb201-cifar10,nb201-cifar100"]
    nash(*argv, "--seeds", "0-999", "--out", tmp_path / "s").one_error_line("6,000 cells", "limit")
    assert not (tmp_path / "s").exists()


BAD_PRESETS = {
    "epochs a fraction": ("[variants.a]\nepochs = 1.5\n", "epochs"),
    "epochs negative": ("[variants.a]\nepochs = -3\n", "epochs"),
    "epochs huge": ("[variants.a]\nepochs = 1000000000\n", "10,000"),
    "epochs text": ('[variants.a]\nepochs = "ten"\n', "epochs"),
    "epochs true": ("[variants.a]\nepochs = true\n", "epochs"),
    "option a list": ("[variants.a]\noptions = { k = [1, 2] }\n", "option 'k'"),
    "profile a number": ("profile = 3\n", "profile"),
    "seeds a list": ("seeds = [0, 1]\n", "seeds"),
    "keep_k_times_epochs text": ('keep_k_times_epochs = "yes"\n', "keep_k_times_epochs"),
    "description a table": ("[description]\na = 1\n", "description"),
}


@pytest.mark.parametrize("case", BAD_PRESETS)
def test_a_preset_value_of_the_wrong_type_or_size_is_one_line_naming_it(nash, tmp_path, case):
    text, fragment = BAD_PRESETS[case]
    path = preset(tmp_path, text)
    nash("sweep", "--preset", path, "--out", tmp_path / "s", "--device", "cpu").one_error_line(str(path), fragment)
    assert not (tmp_path / "s").exists()


def test_a_preset_naming_searchers_by_anything_but_names_is_one_line(nash, tmp_path):
    for searchers in ('"darts"', "[1, 2]", '["../x"]', '["a\\u0000b"]'):
        path = tmp_path / "p.toml"
        path.write_text(f'searchers = {searchers}\nbenchmarks = ["nb201-cifar10"]\n')
        nash("sweep", "--preset", path, "--out", tmp_path / "s").one_error_line("searchers must be a list of names")


@pytest.mark.parametrize(
    "argv",
    [["--epochs", "100000"], ["--set", "train.epochs=20000"], ["--set", "train.epochs=1.5"],
     ["--set", "train.epochs=0"]],
)  # fmt: skip
def test_epochs_beyond_the_limit_or_not_whole_are_refused_in_search_and_sweep(nash, tmp_path, argv):
    nash(*SEARCH, *argv, "--out", tmp_path / "a").one_error_line("epochs")
    sweep = ["sweep", "--searchers", "darts", "--benchmarks", "nb201-cifar10", "--device", "cpu"]
    nash(*sweep, *argv, "--out", tmp_path / "b").one_error_line("epochs")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize("value", ["1.5", "99999", "1e6"])
def test_epochs_in_a_config_file_beyond_the_limit_or_not_whole_are_refused(nash, tmp_path, value):
    config = tmp_path / "c.toml"
    config.write_text(f"[train]\nepochs = {value}\n")
    nash(*SEARCH, "--config", config, "--out", tmp_path / "a").one_error_line("epochs")
    assert not (tmp_path / "a").exists()


def test_evaluation_epochs_beyond_the_limit_are_refused(nash, tmp_path):
    argv = ["evaluate", "--benchmark", "s2-cifar10", "--genotype", S2, "--device", "cpu", "--out", tmp_path / "r"]
    nash(*argv, "--epochs", "50000").one_error_line("--epochs", "10,000")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [(["²"], "malformed"), (["1" * 5000], "limit"), (["x" * 100_000], "limit"),
     (["1", "--seed", "²"], "unknown seed"), (["1", "--seed", "7" * 5000], "unknown seed")],
)  # fmt: skip
def test_an_oracle_query_beyond_its_limits_is_one_short_line(nash, argv, fragment):
    line = nash("query", *argv, "--dataset", "cifar10").one_error_line(fragment)
    assert len(line) < 600
