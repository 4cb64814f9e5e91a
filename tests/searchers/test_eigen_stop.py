"""RobustDARTS' stop rule on eigenvalue series whose answer is worked out by hand."""

import math

import pytest

from benchmarks.errors import NashError
from searchers.eigen_stop import EigenStopRule, EigenvalueTrack, local_average


def run(rule: EigenStopRule, values: list[float]):
    """Feed λ_j at epochs j·every; the first trigger, or None."""
    track = EigenvalueTrack(rule)
    for j, value in enumerate(values):
        trigger = track.observe(j * rule.every, value)
        if trigger is not None:
            return trigger
    return None


def test_local_average_is_the_trailing_mean_of_up_to_window_values():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert local_average(values, 0, 5) == 1.0
    assert local_average(values, 2, 5) == 2.0
    assert local_average(values, 5, 5) == 4.0  # mean of 2..6


def test_a_late_jump_returns_the_centre_of_the_earlier_window():
    # λ = 1 up to measurement 14 (epoch 28), then 3. After measurement 15 (epoch 30) the mean of the last five
    # is (4·1 + 3)/5 = 1.4 against 1 four measurements before: 1.4 > 1.3. The earlier window (measurements
    # 7..11) is centred on measurement 9, epoch 18: RobustDARTS returns that epoch's cell, not epoch 22.
    trigger = run(EigenStopRule(), [1.0] * 15 + [3.0] * 10)
    assert (trigger.trigger_epoch, trigger.stop_epoch) == (30, 18)
    assert trigger.ratio == pytest.approx(1.4)


def test_no_stop_before_start_epoch_even_when_the_series_explodes():
    # Growing from the start: the first comparison allowed names epoch 10 (start_epoch), decided after epoch 22.
    trigger = run(EigenStopRule(), [2.0**j for j in range(25)])
    assert (trigger.trigger_epoch, trigger.stop_epoch) == (22, 10)


def test_a_growth_below_the_factor_never_stops():
    assert run(EigenStopRule(), [1.0 + 0.01 * j for j in range(25)]) is None


def test_non_positive_earlier_average_is_no_comparison():
    rule = EigenStopRule(every=1, window=1, delta=1, start_epoch=0)
    assert run(rule, [-1.0, -5.0, -20.0]) is None  # a ratio of negative averages means nothing
    assert run(rule, [0.0, 1.0]) is None
    assert run(rule, [-1.0, 1.0, 2.0]).stop_epoch == 1  # 2 / 1 > 1.3


def test_measurements_that_are_not_finite_are_skipped():
    rule = EigenStopRule(every=1, window=1, delta=1, start_epoch=0)
    track = EigenvalueTrack(rule)
    assert track.observe(0, 1.0) is None
    assert track.observe(1, math.nan) is None
    trigger = track.observe(2, 2.0)
    assert (trigger.trigger_epoch, trigger.stop_epoch) == (2, 0) and track.epochs == [0, 2]


def test_state_round_trip_continues_the_same_series():
    rule = EigenStopRule(every=1, window=3, delta=1, start_epoch=0)
    first = EigenvalueTrack(rule)
    for epoch, value in enumerate([1.0, 1.0, 1.0]):
        first.observe(epoch, value)
    second = EigenvalueTrack(rule)
    second.load_state_dict(first.state_dict())
    assert second.observe(3, 9.0) == first.observe(3, 9.0)


def test_measured_epochs_skip_the_last_one():
    rule = EigenStopRule(every=2)
    assert [e for e in range(10) if rule.measures(e, 10)] == [0, 2, 4, 6, 8]
    assert [e for e in range(9) if rule.measures(e, 9)] == [0, 2, 4, 6]


@pytest.mark.parametrize("fields", [{"every": 0}, {"window": 0}, {"delta": -1}, {"factor": 0.0}, {"start_epoch": -1}])
def test_bad_rule_values_are_one_line_errors(fields):
    with pytest.raises(NashError, match="eigenvalue stop rule"):
        EigenStopRule(**fields)
