"""scripts/bench_oracle.py on a fresh clone (no official samples): our figures, and what the comparison needs."""

from tests.scripts.script_loader import load_script


def test_without_the_samples_it_measures_ours_and_says_what_the_comparison_needs(tmp_path, monkeypatch, capsys):
    bench = load_script("bench_oracle")
    monkeypatch.setattr(bench, "DEFAULT_NATS", tmp_path / "nats-official-samples" / "NATS-tss-v1_0-3ffb9-simple")
    assert bench.main([]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err and len(printed.err.strip().splitlines()) == 1
    assert "no nats_bench comparison" in printed.err and "meta.pickle.pbz2" in printed.err
    assert "query_many of an index array" in printed.out and "of range(15625)" in printed.out


def test_a_named_samples_folder_that_is_not_there_is_one_line_and_exit_2(tmp_path, capsys):
    assert load_script("bench_oracle").main(["--nats-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench_oracle: error: --nats-dir")
