"""One-shot ranking and eigenvalue tracking inside a real (tiny) search, and what they must not change."""

import copy
import dataclasses
import math

import pandas as pd
import pytest
import torch
from scipy.stats import kendalltau

from benchmarks.errors import NashError
from benchmarks.nb201.arch import Nb201Arch
from benchmarks.nb201.network import DiscreteCell, SearchCell
from benchmarks.nb201.oracle import default_oracle
from benchmarks.nb201.space import Nb201Space
from harness.cli.main import main
from harness.config.run_config import AnalysisConfig, apply_overrides, resolve_config
from harness.instruments.search_instruments import fixed_arch_batches, is_measured, untouched
from harness.instruments.supernet_ranking import sample_cells, supernet_accuracy
from harness.run.runner import run_search
from searchers.base import TrainConfig
from searchers.registry import get_searcher

# Columns that record the cost of the run, not the search itself.
COST_COLUMNS = {"epoch_seconds", "peak_mem_mb", "analysis_seconds", "hessian_eigenvalue", "supernet_kendall_tau"}
SAMPLE = 8


def tiny_config(searcher: str, epochs: int = 2, **analysis):
    config = resolve_config("nb201-cifar10", searcher, "quick", seed=0, epochs=epochs, device="cpu")
    return dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, channels=4),
        data=dataclasses.replace(config.data, train_per_class=8),
        train=dataclasses.replace(config.train, batch_size=16),
        analysis=AnalysisConfig(**analysis),
    )


def tracked(searcher: str, epochs: int = 2):
    return tiny_config(searcher, epochs, eigenvalue_every=1, eigenvalue_iterations=5, rank_every=1, rank_sample=SAMPLE)


def test_tracked_search_writes_both_columns_and_the_ranking_file(tmp_path):
    result = run_search(tracked("darts"), tmp_path, progress=False)
    frame = pd.read_parquet(result.run_dir / "epochs.parquet")
    assert frame["hessian_eigenvalue"].map(math.isfinite).all()
    assert frame["supernet_kendall_tau"].between(-1, 1).all()
    ranking = pd.read_parquet(result.run_dir / "ranking.parquet")
    assert list(ranking.columns) == ["epoch", "arch", "supernet_acc", "oracle_acc"]
    assert ranking.groupby("epoch").size().to_dict() == {0: SAMPLE, 1: SAMPLE}
    assert ranking["supernet_acc"].between(0, 100).all()
    # The same cells every epoch, with the table's headline accuracy as ground truth.
    cells = [default_oracle().arch_of(i).to_string() for i in sample_cells(default_oracle(), SAMPLE)]
    for epoch, group in ranking.groupby("epoch"):
        assert list(group["arch"]) == cells
        truth = [default_oracle().query(a, dataset="cifar10", split="test") for a in group["arch"]]
        assert list(group["oracle_acc"]) == pytest.approx(truth)
        tau = kendalltau(group["supernet_acc"], group["oracle_acc"]).statistic
        recorded = frame.loc[frame["epoch"] == epoch, "supernet_kendall_tau"].item()
        assert recorded == pytest.approx(tau) or (math.isnan(tau) and math.isnan(recorded))


def test_untracked_search_has_nan_columns_and_no_ranking_file(tmp_path):
    result = run_search(tiny_config("darts"), tmp_path, progress=False)
    frame = pd.read_parquet(result.run_dir / "epochs.parquet")
    assert frame["hessian_eigenvalue"].isna().all() and frame["supernet_kendall_tau"].isna().all()
    assert not (result.run_dir / "ranking.parquet").exists()


@pytest.mark.parametrize("searcher", ["gdas", "pcdarts"])
def test_tracking_leaves_the_search_unchanged(tmp_path, searcher):
    """GDAS draws Gumbel noise from the global RNG and both train BN: any leak would change these rows."""
    plain = run_search(tiny_config(searcher, epochs=3), tmp_path / "plain", progress=False)
    measured = run_search(tracked(searcher, epochs=3), tmp_path / "tracked", progress=False)
    search_columns = [c for c in plain.rows[0] if c not in COST_COLUMNS]
    expected = pd.DataFrame(plain.rows)[search_columns]
    pd.testing.assert_frame_equal(pd.DataFrame(measured.rows)[search_columns], expected)


def test_measured_epochs():
    assert [e for e in range(5) if is_measured(e, 5, 2)] == [1, 3, 4]
    assert [e for e in range(4) if is_measured(e, 4, 1)] == [0, 1, 2, 3]
    assert not any(is_measured(e, 4, 0) for e in range(4))


def test_cell_sample_depends_only_on_its_size_and_fixed_seed():
    import numpy as np

    oracle = default_oracle()
    np.random.seed(1)
    torch.manual_seed(1)
    first = sample_cells(oracle, 50)
    np.random.seed(2)
    torch.manual_seed(2)
    assert first == sample_cells(oracle, 50) and len(set(first)) == 50 and first == sorted(first)
    assert sample_cells(oracle, 50, seed=1) != first  # the fixed seed is what picks the cells
    with pytest.raises(NashError, match="rank_sample"):
        sample_cells(oracle, len(oracle) + 1)


def build_searcher(name, **options):
    cls = get_searcher(name)
    opts = cls.options_type(**{**cls.options_type().__dict__, **options})
    torch.manual_seed(0)
    network = cls.build_supernet(
        Nb201Space(), num_classes=10, options=opts, channels=4, cells_per_stage=1, affine=False
    )
    return cls(Nb201Space(), network, TrainConfig(epochs=2), opts)


def discrete_twin(supernet, arch: Nb201Arch):
    """The benchmark's discrete network of `arch` carrying the supernet's weights (affine BN left at 1/0)."""
    network = Nb201Space().build_network(arch, channels=4, cells_per_stage=1, num_classes=10)
    for mine, theirs in zip(network.layers, supernet.layers, strict=True):
        if isinstance(mine, DiscreteCell):
            assert isinstance(theirs, SearchCell)
            for edge, op in enumerate(arch.op_indices):
                if str(edge) in mine.ops:
                    mine.ops[str(edge)].load_state_dict(theirs.edges[edge][op].state_dict(), strict=False)
        else:
            mine.load_state_dict(theirs.state_dict())
    for name in ("stem", "last_act", "classifier"):
        getattr(network, name).load_state_dict(getattr(supernet, name).state_dict())
    return network


@pytest.mark.parametrize("training", [True, False])
def test_fixed_arch_mixer_equals_the_discrete_network(training):
    searcher = build_searcher("darts")
    images = torch.randn(6, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    for text in (
        "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|",
        "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
    ):
        arch = Nb201Arch.from_string(text)
        twin = discrete_twin(searcher.network, arch)
        searcher.network.train(training)
        twin.train(training)
        expected = twin(images)
        got = searcher.network(images, searcher.fixed_arch_mixer(list(arch.op_indices)))
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_partial_channel_fixed_arch_runs_exactly_one_op_per_edge():
    from tests.searchers.conftest import count_op_calls

    pcdarts = build_searcher("pcdarts", k=2, warmup_epochs=0)
    calls = count_op_calls(pcdarts.network)
    arch = [3, 1, 0, 2, 4, 1]
    logits = pcdarts.network(torch.randn(4, 3, 8, 8), pcdarts.fixed_arch_mixer(arch))
    assert logits.shape == (4, 10)
    for (_cell, edge, op), count in calls.items():
        assert count == (1 if op == arch[edge] else 0), (edge, op)


def test_ranking_changes_no_weight_or_buffer():
    searcher = build_searcher("gdas")
    before = copy.deepcopy(searcher.network.state_dict())
    batches = [(torch.randn(6, 3, 8, 8), torch.randint(0, 10, (6,))) for _ in range(2)]
    searcher.network.eval()
    with untouched(searcher.network, torch.device("cpu")):
        assert searcher.network.training  # batch statistics while measuring
        accuracy = supernet_accuracy(searcher.network, searcher.fixed_arch_mixer([2] * 6), batches)
        moved = any(not torch.equal(before[k], v) for k, v in searcher.network.state_dict().items())
        assert moved  # train-mode BN did update running statistics: restoring them is what matters
    assert 0 <= accuracy <= 100 and not searcher.network.training
    after = searcher.network.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_fixed_batches_leave_the_run_stream_alone():
    from harness.run.data import load_search_batches

    config = tiny_config("darts")
    reference, batches = (load_search_batches(config, torch.device("cpu")) for _ in range(2))
    fixed = fixed_arch_batches(batches, 5)
    assert len(fixed) == 5
    again = fixed_arch_batches(reference, 5)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(fixed, again, strict=True))
    for (t1, v1), (t2, v2) in zip(reference.epoch(), batches.epoch(), strict=True):
        assert torch.equal(t1[0], t2[0]) and torch.equal(v1[0], v2[0])


def test_ranking_on_a_darts_family_benchmark_is_a_one_line_error(tmp_path, capsys):
    config = apply_overrides(resolve_config("s1-cifar10", "darts", "quick", device="cpu"), ["analysis.rank_every=1"])
    with pytest.raises(NashError, match="NAS-Bench-201"):
        run_search(config, tmp_path, progress=False)
    assert not any(tmp_path.iterdir())  # refused before anything was written
    code = main(
        ["search", "--benchmark", "s1-cifar10", "--searcher", "darts", "--rank-every", "2", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("nash: error:") and "\n" not in err


def test_analysis_settings_are_validated():
    with pytest.raises(NashError, match="analysis.rank_sample"):
        apply_overrides(tiny_config("darts"), ["analysis.rank_sample=1"])
    with pytest.raises(NashError, match="eigenvalue_every"):
        apply_overrides(tiny_config("darts"), ["analysis.eigenvalue_every=-1"])
    config = apply_overrides(tiny_config("darts"), ["analysis.eigenvalue_every=5"])
    assert config.analysis.eigenvalue_every == 5


def test_cli_flags_set_the_schedule(tmp_path, capsys):
    args = ["search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "3", "--device", "cpu"]
    args += ["--out", str(tmp_path), "--no-progress", "--track-eigenvalue", "2", "--rank-every", "3"]
    for assignment in ("data.train_per_class=8", "network.channels=4", "train.batch_size=16"):
        args += ["--set", assignment]
    args += ["--set", "analysis.eigenvalue_iterations=3", "--set", f"analysis.rank_sample={SAMPLE}"]
    assert main(args) == 0
    run_dir = tmp_path / "nb201-cifar10__darts__quick__seed0"
    frame = pd.read_parquet(run_dir / "epochs.parquet")
    assert list(frame["hessian_eigenvalue"].notna()) == [False, True, True]  # epoch 1, then the last
    assert list(frame["supernet_kendall_tau"].notna()) == [False, False, True]
    assert set(pd.read_parquet(run_dir / "ranking.parquet")["epoch"]) == {2}


def test_a_resumed_run_keeps_the_ranking_rows_of_earlier_epochs(tmp_path):
    from benchmarks.registry.catalog import get_benchmark
    from harness.instruments.supernet_ranking import SupernetRanking

    path = tmp_path / "ranking.parquet"
    benchmark, oracle = get_benchmark("nb201-cifar10"), default_oracle()
    searcher = build_searcher("darts")
    batches = [(torch.randn(6, 3, 8, 8), torch.randint(0, 10, (6,)))]
    first = SupernetRanking(benchmark, oracle, SAMPLE, path)
    for epoch in range(3):
        first.measure(epoch, searcher, batches)
    assert sorted(set(pd.read_parquet(path)["epoch"])) == [0, 1, 2]
    resumed = SupernetRanking(benchmark, oracle, SAMPLE, path, start_epoch=2)  # epoch 2 is redone
    resumed.measure(2, searcher, batches)
    assert pd.read_parquet(path).groupby("epoch").size().to_dict() == {0: SAMPLE, 1: SAMPLE, 2: SAMPLE}
    SupernetRanking(benchmark, oracle, SAMPLE, path)  # a fresh run starts clean
    assert not path.exists()
