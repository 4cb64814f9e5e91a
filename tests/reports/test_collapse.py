import math

import pandas as pd
import pytest

from reports.collapse import CollapseRule, collapse_epoch, group_collapse, over_epochs, run_collapse, with_cell_counts
from tests.reports.handmade import NB201_GOOD, NB201_MIXED_FREE, NB201_SKIPS, darts_string, run_rows


def darts_runs() -> pd.DataFrame:
    s = darts_string
    return pd.concat(
        [
            # collapses at epoch 2 and stays: 3 skips from epoch 2 on
            run_rows("s2-cifar10", "darts", 0, [s(1), s(2), s(3), s(4), s(4)], **{"eval.test_error": 5.0}),
            # collapses at 1, recovers at 3, collapses again from 4: epoch of collapse 4
            run_rows("s2-cifar10", "darts", 1, [s(0), s(3), s(5), s(2), s(3, 2)], **{"eval.test_error": 4.0}),
            # never collapses
            run_rows("s2-cifar10", "darts", 2, [s(0), s(1), s(2), s(1), s(2)], **{"eval.test_error": 3.0}),
        ]
    )


def test_collapse_epoch_is_where_the_rule_starts_holding_for_good():
    epochs = pd.Series([0, 1, 2, 3, 4])
    assert collapse_epoch(epochs, pd.Series([False, True, True, False, True])) == 4
    assert collapse_epoch(epochs, pd.Series([True] * 5)) == 0
    assert math.isnan(collapse_epoch(epochs, pd.Series([True, True, True, True, False])))
    # rows out of order are sorted by epoch first
    assert collapse_epoch(pd.Series([4, 3, 2]), pd.Series([True, True, False])) == 3


def test_per_run_and_per_group_collapse_statistics():
    counted = with_cell_counts(darts_runs(), CollapseRule())
    per_run = run_collapse(counted).set_index("seed")
    assert per_run["collapse_epoch"].tolist()[:2] == [2.0, 4.0] and math.isnan(per_run.loc[2, "collapse_epoch"])
    assert per_run["collapsed"].tolist() == [True, True, False]
    assert per_run["skip_normal"].tolist() == [4, 3, 2]
    assert per_run["param_free_reduce"].tolist() == [0, 2, 0]
    group = group_collapse(per_run.reset_index()).iloc[0]
    assert group["seeds"] == 3
    assert group["collapse_rate"] == pytest.approx(2 / 3)
    assert group["collapse_epoch_mean"] == pytest.approx(3.0)
    assert group["skip_normal_mean"] == pytest.approx(3.0)
    assert group["skip_normal_std"] == pytest.approx(math.sqrt(2 / 3))  # population std of 4, 3, 2
    assert group["param_free_reduce_mean"] == pytest.approx(2 / 3)
    assert (group["test_error_mean"], group["test_error_std"]) == pytest.approx((4.0, math.sqrt(2 / 3)))


def test_rule_is_configurable_and_describes_itself():
    strict = CollapseRule(darts_threshold=5)
    per_run = run_collapse(with_cell_counts(darts_runs(), strict))
    assert per_run["collapsed"].tolist() == [False, False, False]
    assert ">= 5 skip_connect" in strict.describe()
    free = CollapseRule(measure="param_free", darts_threshold=4)
    assert ">= 4 parameter-free" in free.describe()


def test_nb201_rule_default_is_the_all_parameter_free_cell():
    frame = run_rows(
        "nb201-cifar10",
        "darts",
        0,
        [NB201_GOOD, NB201_MIXED_FREE, NB201_SKIPS],
        oracle_cifar10_test_200=[94.0, 60, 54.3],
    )
    counted = with_cell_counts(frame, CollapseRule())
    assert counted["collapsed"].tolist() == [False, True, True]
    assert counted["skip_reduce"].isna().all()
    assert counted["headline_acc"].tolist() == [94.0, 60, 54.3]
    per_run = run_collapse(counted).iloc[0]
    assert per_run["collapse_epoch"] == 1 and per_run["final_acc"] == 54.3
    assert not with_cell_counts(frame, CollapseRule(nb201_threshold=6))["collapsed"].iloc[0]


def test_accuracy_over_epochs_averages_seeds():
    frames = [
        run_rows("nb201-cifar10", "gdas", seed, [NB201_GOOD] * 2, oracle_cifar10_test_200=[a, b])
        for seed, (a, b) in enumerate([(90.0, 92.0), (92.0, 94.0)])
    ]
    curve = over_epochs(with_cell_counts(pd.concat(frames), CollapseRule()), "headline_acc")
    assert curve["mean"].tolist() == [91.0, 93.0] and curve["std"].tolist() == [1.0, 1.0]
    assert curve["seeds"].tolist() == [2, 2]
