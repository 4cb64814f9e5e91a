import math

import pandas as pd
import pytest

from reports.ranking import benchmark_tau, final_metrics, mean_ranks, method_ranks, supernet_tau

NAN = math.nan


def per_run() -> pd.DataFrame:
    rows = [  # benchmark, searcher, seed, final oracle accuracy, evaluation test error
        ("nb201-cifar10", "darts", 0, 54.3, NAN),
        ("nb201-cifar10", "gdas", 0, 93.0, NAN),
        ("nb201-cifar10", "gdas", 1, 94.0, NAN),
        ("nb201-cifar10", "rome", 0, 93.5, NAN),
        ("s2-cifar10", "darts", 0, NAN, 4.0),
        ("s2-cifar10", "gdas", 0, NAN, 3.0),
        ("s2-cifar10", "rome", 0, NAN, 2.0),
        ("s2-cifar10", "rome", 1, NAN, 3.0),
        ("s3-cifar10", "darts", 0, NAN, 2.0),
        ("s3-cifar10", "gdas", 0, NAN, 3.0),
    ]
    return pd.DataFrame(rows, columns=["benchmark", "searcher", "seed", "final_acc", "test_error"])


def test_ranks_use_seed_means_the_right_direction_and_average_ties():
    metrics = final_metrics(per_run())
    gdas = metrics[(metrics.benchmark == "nb201-cifar10") & (metrics.searcher == "gdas")].iloc[0]
    assert gdas["value"] == 93.5 and gdas["higher_is_better"]
    ranks = method_ranks(metrics)
    assert ranks.loc["nb201-cifar10"].to_dict() == {"darts": 3.0, "gdas": 1.5, "rome": 1.5}  # tie gdas/rome
    assert ranks.loc["s2-cifar10"].to_dict() == {"darts": 3.0, "gdas": 2.0, "rome": 1.0}  # error: lower is better
    assert math.isnan(ranks.loc["s3-cifar10", "rome"])
    means = mean_ranks(ranks).set_index("searcher")
    assert means["mean_rank"].to_dict() == pytest.approx({"rome": 1.25, "gdas": 5.5 / 3, "darts": 7 / 3})
    assert means["benchmarks"].to_dict() == {"rome": 2, "gdas": 3, "darts": 3}
    assert list(means.index) == ["rome", "gdas", "darts"]


def test_benchmark_tau_against_a_hand_computation():
    tau = benchmark_tau(method_ranks(final_metrics(per_run())))
    # nb201 (3, 1.5, 1.5) vs s2 (3, 2, 1): 2 concordant pairs, 0 discordant, 1 pair tied in x only:
    # τ-b = 2 / sqrt((3 - 1) * 3)
    assert tau.loc["nb201-cifar10", "s2-cifar10"] == pytest.approx(2 / math.sqrt(6))
    assert tau.loc["s2-cifar10", "nb201-cifar10"] == tau.loc["nb201-cifar10", "s2-cifar10"]
    assert tau.loc["s2-cifar10", "s3-cifar10"] == pytest.approx(-1.0)  # darts and gdas swap
    assert tau.loc["s3-cifar10", "s3-cifar10"] == 1.0


def test_supernet_tau_from_ranking_rows_and_from_the_column():
    identity = {"benchmark": "nb201-cifar10", "searcher": "darts", "variant": "", "seed": 0}
    rankings = pd.DataFrame(
        {"run_path": "a", "epoch": 0, "arch": range(4), "supernet_acc": [1, 2, 3, 4], "oracle_acc": [10, 20, 40, 30]}
    ).assign(**identity)
    epochs = pd.DataFrame({"run_path": ["b", "b"], "epoch": [0, 1], "supernet_kendall_tau": [0.1, NAN]})
    table = supernet_tau(epochs.assign(**identity), rankings)
    assert table["run_path"].tolist() == ["a", "b"]
    assert table["supernet_kendall_tau"].tolist() == pytest.approx([4 / 6, 0.1])  # 5 concordant, 1 discordant
    assert supernet_tau(pd.DataFrame({"epoch": [0]}), pd.DataFrame()).empty


def test_sweep_variants_are_ranked_as_methods_of_their_own():
    frame = per_run().assign(variant="")
    td = frame[frame.searcher == "rome"].assign(variant="td", test_error=lambda f: f.test_error + 5, final_acc=50.0)
    ranks = method_ranks(final_metrics(pd.concat([frame, td])))
    assert ranks.loc["s2-cifar10", "rome [td]"] == 4.0 and ranks.loc["s2-cifar10", "rome"] == 1.0
    assert ranks.loc["nb201-cifar10", "rome [td]"] == 4.0
