"""`nash search` turns its names into objects once (`RunObjects`); everything below takes the objects."""

import benchmarks.registry.catalog as catalog
import searchers.registry as registry
from harness.cli.main import main


class CountingDict(dict):
    def __init__(self, source):
        super().__init__(source)
        self.lookups: list[str] = []

    def __getitem__(self, key):
        self.lookups.append(key)
        return super().__getitem__(key)


def test_a_search_looks_up_its_benchmark_and_searcher_once(tmp_path, monkeypatch, capsys):
    benchmarks, searchers = CountingDict(catalog.BENCHMARKS), CountingDict(registry.SEARCHERS)
    monkeypatch.setattr(catalog, "BENCHMARKS", benchmarks)
    monkeypatch.setattr(registry, "SEARCHERS", searchers)
    args = ["search", "--benchmark", "nb201-cifar10", "--searcher", "pcdarts", "--epochs", "1", "--out", str(tmp_path),
            "--set", "network.channels=4", "--set", "data.train_per_class=8", "--set", "train.batch_size=16",
            "--set", "searcher.warmup_epochs=0", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    assert benchmarks.lookups == ["nb201-cifar10"]
    assert searchers.lookups == ["pcdarts"]
    assert "results:" in capsys.readouterr().out
