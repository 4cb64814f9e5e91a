import math

import numpy as np
import pandas as pd
import pytest

from reports.eigenvalue import EarlyStopRule, early_stop, early_stops, local_averages
from tests.reports.handmade import NB201_GOOD, NB201_SKIPS, run_rows


def series(values) -> tuple[pd.Series, pd.Series]:
    return pd.Series(range(len(values))), pd.Series(values, dtype=float)


def test_local_averages_are_trailing_means_over_the_window():
    assert local_averages(np.array([1.0, 3, 5, 7]), 2).tolist() == [1.0, 2.0, 4.0, 6.0]


def test_stops_when_the_local_average_grows_by_more_than_the_factor():
    # λ = 1 until epoch 11, 3 from 12: A_12 = (1+1+1+1+3)/5 = 1.4 = 1.4 x A_8 > 1.3
    stop = early_stop(*series([1.0] * 12 + [3.0] * 8))
    assert (stop.trigger_epoch, stop.stop_epoch) == (12, 8) and stop.ratio == pytest.approx(1.4)


def test_no_stop_before_the_start_epoch():
    # The jump at epoch 5 would fire at once (A_5 = 1.4 vs A_1 = 1), but checks start at 10:
    # A_10 = 3, A_6 = (1+1+1+3+3)/5 = 1.8, ratio 5/3.
    stop = early_stop(*series([1.0] * 5 + [3.0] * 15))
    assert (stop.trigger_epoch, stop.stop_epoch) == (10, 6) and stop.ratio == pytest.approx(5 / 3)
    assert early_stop(*series([1.0] * 5 + [3.0] * 15), EarlyStopRule(start_epoch=0)).trigger_epoch == 5


def test_sparse_measurements_count_in_measurements_not_epochs():
    # Measured every 2 epochs (NaN between); λ = 2 from epoch 20. Measurement 11 (epoch 22):
    # A = (1+1+1+2+2)/5 = 1.4 against A at measurement 7 (epoch 14) = 1.
    values = [1.0 if e < 20 else 2.0 if e % 2 == 0 else math.nan for e in range(30)]
    values = [v if e % 2 == 0 else math.nan for e, v in enumerate(values)]
    stop = early_stop(*series(values))
    assert (stop.trigger_epoch, stop.stop_epoch) == (22, 14)


def test_a_flat_series_never_stops():
    assert math.isnan(early_stop(*series([2.0] * 30)).trigger_epoch)


def test_per_run_early_stops_name_the_returned_genotype_and_skip_runs_without_measurements():
    values = [1.0] * 12 + [3.0] * 8
    genotypes = [NB201_GOOD] * 9 + [NB201_SKIPS] * 11
    tracked = run_rows("nb201-cifar10", "darts", 0, genotypes, hessian_eigenvalue=values)
    untracked = run_rows("nb201-cifar10", "gdas", 0, genotypes, hessian_eigenvalue=math.nan)
    table = early_stops(pd.concat([tracked, untracked]))
    assert table["searcher"].tolist() == ["darts"]
    assert table.iloc[0]["stop_epoch"] == 8 and table.iloc[0]["stop_genotype"] == NB201_GOOD
    assert early_stops(untracked.drop(columns="hessian_eigenvalue")).empty
