"""DARTS-ES and DARTS-ADA at the searcher: stop, roll-back, weight-decay schedule (runner side: test_epoch_control)."""

import copy
import math

import pytest
import torch

from benchmarks.errors import NashError
from searchers.base import EpochEnd, TrainConfig
from searchers.darts_ada import DartsAda, DartsAdaOptions, next_weight_decay
from searchers.darts_es import DartsEs, DartsEsOptions

QUICK_RULE = {"unrolled": False, "eigenvalue_every": 1, "window": 1, "delta": 1, "start_epoch": 0}


def test_weight_decay_schedule_multiplies_up_to_the_maximum_then_stops():
    def schedule(start, factor, maximum):
        values, current = [start], start
        while (current := next_weight_decay(current, factor, maximum)) is not None:
            values.append(current)
        return values

    # RobustDARTS' DARTS-ADA script: 3e-4, x10, up to 0.03: two roll-backs.
    assert schedule(3e-4, 10, 0.03) == pytest.approx([3e-4, 3e-3, 3e-2])
    # Its parser's defaults: x3 up to 243e-4.
    assert schedule(3e-4, 3, 243e-4) == pytest.approx([3e-4, 9e-4, 2.7e-3, 8.1e-3, 2.43e-2])
    # A maximum that is no power of the factor away is reached, not overshot (the NB201 weight decay 5e-4).
    assert schedule(5e-4, 10, 0.03) == pytest.approx([5e-4, 5e-3, 3e-2])


def ada(space, supernet, options=QUICK_RULE):
    torch.manual_seed(0)
    return DartsAda(space, supernet, TrainConfig(epochs=4), DartsAdaOptions(**options))


def end(epoch, value, saved):
    return EpochEnd(epoch, 4, {"hessian_max_eigenvalue": value}, saved.__getitem__)


def test_rollback_restores_the_named_epoch_and_raises_the_weight_decay(space, tiny_supernet, batches, one_torch_thread):
    searcher = ada(space, tiny_supernet)
    searcher.new_epoch(0, 4)
    searcher.step(*batches)
    assert searcher.end_epoch(end(0, 1.0, {})) is None
    assert searcher.keeps_state(0)
    saved = {0: copy.deepcopy(searcher.state_dict())}  # as the runner keeps it: on disk, not live tensors
    before = {k: v.clone() for k, v in searcher.network.state_dict().items()}
    alpha, momentum = searcher.alpha.detach().clone(), saved[0]["weight_optimizer"]["state"]

    searcher.new_epoch(1, 4)
    searcher.step(*batches)  # epoch 1 moves everything...
    assert not torch.equal(searcher.alpha, alpha)
    decision = searcher.end_epoch(end(1, 2.0, saved))  # ...and its eigenvalue doubles: 2 / 1 > 1.3

    assert decision.last_epoch == 0 and not decision.stop
    assert torch.equal(searcher.alpha.detach(), alpha)
    for name, value in searcher.network.state_dict().items():
        assert torch.equal(value, before[name]), name
    for index, state in searcher.state_dict()["weight_optimizer"]["state"].items():
        assert torch.equal(state["momentum_buffer"], momentum[index]["momentum_buffer"])
    assert searcher.track.epochs == [0]  # the rule's measurements as they were after epoch 0
    assert searcher.weight_decay == pytest.approx(5e-3)  # 5e-4 x 10
    assert all(group["weight_decay"] == searcher.weight_decay for group in searcher.weight_optimizer.param_groups)
    assert searcher.rollbacks == [{"trigger_epoch": 1, "stop_epoch": 0, "ratio": 2.0, "weight_decay": 5e-3}]
    assert searcher.early_stop == {"trigger_epoch": 1, "stop_epoch": 0, "ratio": 2.0}  # DARTS-ES's answer


def test_at_the_maximum_the_rule_is_ignored_and_no_state_is_kept(space, tiny_supernet, batches, one_torch_thread):
    searcher = ada(space, tiny_supernet, {**QUICK_RULE, "max_weight_decay": 5e-4})  # already there
    searcher.new_epoch(0, 4)
    searcher.step(*batches)
    assert not searcher.keeps_state(0)
    assert searcher.end_epoch(end(0, 1.0, {})) is None
    assert searcher.end_epoch(end(1, 50.0, {})) is None
    assert searcher.rollbacks == []


def test_darts_es_stops_with_the_named_epoch(space, tiny_supernet):
    searcher = DartsEs(space, tiny_supernet, TrainConfig(epochs=4), DartsEsOptions(**QUICK_RULE))
    assert searcher.end_epoch(end(0, 1.0, {})) is None
    decision = searcher.end_epoch(end(1, 1.5, {}))
    assert decision.stop and decision.last_epoch == 0
    assert searcher.run_facts() == {"early_stop": {"trigger_epoch": 1, "stop_epoch": 0, "ratio": 1.5}}


def test_eigenvalues_of_other_epochs_are_not_part_of_the_series(space, tiny_supernet):
    searcher = DartsEs(space, tiny_supernet, TrainConfig(epochs=6), DartsEsOptions(eigenvalue_every=2))
    assert [e for e in range(6) if searcher.wants_eigenvalue(e, 6)] == [0, 2, 4]
    searcher.end_epoch(EpochEnd(1, 6, {"hessian_max_eigenvalue": 3.0}, {}.__getitem__))
    assert searcher.track.values == []


def test_searcher_options_are_checked():
    with pytest.raises(NashError, match="weight_decay_factor"):
        DartsAdaOptions(weight_decay_factor=1.0)
    with pytest.raises(NashError, match="max_weight_decay"):
        DartsAdaOptions(max_weight_decay=0.0)
    with pytest.raises(NashError, match="window"):
        DartsEsOptions(window=0)
    assert DartsEsOptions().unrolled and math.isclose(DartsEsOptions().factor, 1.3)
