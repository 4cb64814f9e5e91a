"""Issue 19's done-when: a report over the demo's runs, a second copy of one run and runs of two epoch budgets
shows each group once with its true n, and its CSVs load as numbers."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from reports.build import write_report
from reports.runs import load_store
from tests.reports.handmade import NB201_GOOD, NB201_SKIPS
from tests.reports.store_folder import write_search


def nb201_run(folder, searcher, seed, epochs, collapse_at=None):
    cells = [NB201_SKIPS if collapse_at is not None and e >= collapse_at else NB201_GOOD for e in range(epochs)]
    accuracy = [54.3 if cell == NB201_SKIPS else 93.0 + 0.1 * e for e, cell in enumerate(cells)]
    return write_search(folder, "nb201-cifar10", searcher, seed, cells, oracle_cifar10_test_200=accuracy)


def mixed_folder(root):
    runs = root / "runs"
    demo = runs / "demo"
    for searcher in ("darts", "gdas", "pcdarts"):  # the demo: one seed each, in runs/demo/
        nb201_run(demo, searcher, 0, 4, collapse_at=2 if searcher == "darts" else None)
    copy = demo / "nb201-cifar10__darts__quick__seed0"
    shutil.copytree(copy, runs / copy.name)  # the same run found twice: runs/demo/X and runs/X
    for seed in (0, 1):  # a sweep of 2-epoch DARTS runs ...
        nb201_run(runs / "sweep-2ep", "darts", seed, 2)
    for seed in (0, 1, 2):  # ... and one of 5-epoch runs: another setting, not more seeds
        nb201_run(runs / "sweep-5ep", "darts", seed, 5, collapse_at=3)
    return runs


def test_each_setting_is_one_group_with_its_true_seed_count(tmp_path):
    store = load_store(mixed_folder(tmp_path))
    assert len(store.facts) == 8 and store.duplicates == [
        "demo/nb201-cifar10__darts__quick__seed0 (a copy of nb201-cifar10__darts__quick__seed0)"
    ]
    darts = store.facts[store.facts.searcher == "darts"]
    assert sorted(darts.groupby("setting")["seed"].count().items()) == [("2 ep", 2), ("4 ep", 1),
                                                                         ("5 ep", 3)]  # fmt: skip
    assert set(store.facts.loc[store.facts.searcher == "gdas", "setting"]) == {""}  # one setting: no label

    report = write_report(tmp_path / "runs", tmp_path / "report")
    assert report.runs == 8 and any("counted once: 1 run folder(s) holding a copy" in note for note in report.notes)
    collapse = pd.read_csv(tmp_path / "report" / "tables" / "collapse.csv")
    seeds = dict(zip(collapse["method"], collapse["seeds"], strict=True))
    assert seeds == {"darts (2 ep)": 2, "darts (4 ep)": 1, "darts (5 ep)": 3, "gdas": 1,
                     "pcdarts": 1}  # fmt: skip
    assert dict(zip(collapse["method"], collapse["epochs"], strict=True))["darts (5 ep)"] == 5
    five = collapse[collapse["method"] == "darts (5 ep)"].iloc[0]
    assert five["collapse rate % mean"] == 100 and five["final acc % mean"] == pytest.approx(54.3)
    single = collapse[collapse["method"] == "gdas"].iloc[0]
    assert np.isnan(single["final acc % std"])  # one seed: no spread, not ±0.00
    assert "±" not in (tmp_path / "report" / "tables" / "collapse.md").read_text().split("| gdas |")[1].split("\n")[0]


def test_every_table_csv_loads_as_numbers(tmp_path):
    write_report(mixed_folder(tmp_path), tmp_path / "report")
    csvs = sorted((tmp_path / "report" / "tables").glob("*.csv"))
    assert len(csvs) >= 6
    for path in csvs:
        frame = pd.read_csv(path)
        assert not any(line.startswith("#") for line in path.read_text().splitlines()), path.name  # no comments
        assert not frame.astype(str).apply(lambda c: c.str.contains("±")).any().any(), path.name
        for column in frame.columns:
            if column.endswith((" mean", " std", " n")) or column in ("seeds", "epochs", "seed"):
                assert pd.api.types.is_numeric_dtype(frame[column]), f"{path.name}: {column}"


def test_html_tables_have_as_many_header_cells_as_data_cells(tmp_path):
    write_report(mixed_folder(tmp_path), tmp_path / "report")
    page = (tmp_path / "report" / "index.html").read_text()
    tables = [t.split("</table>")[0] for t in page.split("<table>")[1:]]
    assert len(tables) >= 5 and any("ranked by" in t for t in tables)
    for table in tables:
        head, body = table.split("</thead>")
        for row in body.split("<tr>")[1:]:
            assert row.count("</td>") == head.count("</th>"), head  # no empty extra column (the index pandas wrote)


def test_runs_from_before_the_arch_sampling_switch_are_their_own_setting(tmp_path):
    """A run.json without `data.arch_sampling` drew cycled passes: not a seed of today's default runs."""
    old = nb201_run(tmp_path / "runs" / "old", "darts", 0, 2)
    for seed in (1, 2):
        new = nb201_run(tmp_path / "runs", "darts", seed, 2)
        facts = json.loads((new / "run.json").read_text())
        facts["config"]["data"]["arch_sampling"] = "per_image"
        (new / "run.json").write_text(json.dumps(facts))
    store = load_store(tmp_path / "runs")
    settings = dict(zip(store.facts["seed"], store.facts["setting"], strict=True))
    assert settings[1] == settings[2] != settings[0]
    assert "arch_sampling=epoch_pass" in settings[0] and "arch_sampling=per_image" in settings[1]
    assert "arch_sampling" not in json.loads((old / "run.json").read_text())["config"]["data"]
