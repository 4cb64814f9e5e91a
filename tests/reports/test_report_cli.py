"""`nash report` over runs from real quick searches (the demo, scaled down), and its errors."""

import dataclasses

import harness.cli.demo as demo
from harness.cli.main import main

DEMO_SEARCHERS = ("darts", "gdas")


def test_demo_ends_with_a_report_and_nash_report_rereads_it(tmp_path, monkeypatch, capsys):
    real_resolve = demo.resolve_config

    def tiny(*args, **kwargs):
        config = real_resolve(*args, **kwargs)
        return dataclasses.replace(
            config,
            network=dataclasses.replace(config.network, channels=4),
            data=dataclasses.replace(config.data, train_per_class=8),
            train=dataclasses.replace(config.train, epochs=2),
        )

    monkeypatch.setattr(demo, "resolve_config", tiny)
    searchers = ",".join(DEMO_SEARCHERS)  # two real searches keep the test short
    assert main(["demo", "--out", str(tmp_path / "runs"), "--no-progress", "--searchers", searchers]) == 0
    out = capsys.readouterr().out
    assert f"Report (tables, plots): {tmp_path / 'runs' / 'report' / 'index.html'}" in out
    nb201 = (tmp_path / "runs" / "report" / "tables" / "nb201.md").read_text()
    for name in DEMO_SEARCHERS:
        assert f"| {name} | nb201-cifar10 | study | 2 | 1 |" in nb201

    code = main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "again"), "--no-published",
                 "--collapse-threshold", "2", "--nb201-collapse-threshold", "4"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and f"report of {len(DEMO_SEARCHERS)} search runs" in out
    assert "skipped S0 table" in out and (tmp_path / "again" / "index.html").is_file()
    collapse = (tmp_path / "again" / "tables" / "collapse.md").read_text()
    assert ">= 4 of 6 ops parameter-free" in collapse
    assert (tmp_path / "again" / "plots" / "collapse_nb201-cifar10.png").stat().st_size > 0


def test_a_folder_without_runs_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no search runs" in err
    assert main(["report", str(tmp_path / "missing"), "--out", str(tmp_path / "r")]) == 2
    assert main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r"), "--collapse-threshold", "0"]) == 2
