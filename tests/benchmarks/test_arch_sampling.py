"""How the paired loader draws arch batches (`data.arch_sampling`): each mode's own signature."""

from __future__ import annotations

import pytest
import torch

from benchmarks.batches.arch_sampling import ARCH_SAMPLINGS, reference_arch_sampling
from benchmarks.batches.loader import PairedBatches
from benchmarks.errors import NashError
from tests.benchmarks.test_augment_loader import collect, indexed_set, source_ids

ARCH_OFFSET = 100


def arch_ids(mode: str, arch_images: int, batch: int, epochs: int = 1, seed: int = 0) -> list[list[int]]:
    """Per step, the arch-half indices of its val batch (weight half: 64 images)."""
    batches = PairedBatches(
        indexed_set(64), indexed_set(arch_images, offset=ARCH_OFFSET), batch, "cpu", seed=seed, augment=False,
        arch_sampling=mode,
    )  # fmt: skip
    return [source_ids(step[2], ARCH_OFFSET) for _ in range(epochs) for step in collect(batches)]


def test_epoch_pass_is_a_permutation_of_the_arch_half():
    steps = arch_ids("epoch_pass", arch_images=64, batch=16)
    assert sorted(i for step in steps for i in step) == list(range(64))


def test_per_batch_draws_distinct_images_within_a_batch_and_repeats_across_batches():
    steps = arch_ids("per_batch", arch_images=64, batch=16, epochs=3)
    assert all(len(set(step)) == 16 for step in steps)
    first_epoch = [i for step in steps[:4] for i in step]
    assert len(set(first_epoch)) < 64  # independent batches: not one pass (P(a pass by chance) ~ 1e-8)


def test_per_batch_cycles_an_arch_half_smaller_than_a_batch():
    steps = arch_ids("per_batch", arch_images=10, batch=16)
    assert all(len(step) == 16 and set(step) == set(range(10)) for step in steps)


def test_per_image_draws_with_replacement():
    steps = arch_ids("per_image", arch_images=64, batch=16, epochs=3)
    assert [len(step) for step in steps] == [16] * 12
    # 16 of 64 with replacement repeat an image in 88 % of batches; none of 12 would be ~1e-11
    assert any(len(set(step)) < 16 for step in steps)
    assert set(i for step in steps for i in step) <= set(range(64))


@pytest.mark.parametrize("mode", ARCH_SAMPLINGS)
def test_every_mode_resumes_exactly_and_follows_the_seed(mode):
    def make(seed: int) -> PairedBatches:
        return PairedBatches(indexed_set(40), indexed_set(25, offset=60), 8, "cpu", seed=seed, arch_sampling=mode)

    original = make(3)
    collect(original)
    state = original.state_dict()
    second_epoch = collect(original)
    resumed = make(99)
    resumed.load_state_dict(state)
    for a, b in zip(second_epoch, collect(resumed), strict=True):
        assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    fresh = collect(make(3))
    assert not torch.equal(fresh[0][0], second_epoch[0][0]) and not torch.equal(fresh[0][2], second_epoch[0][2])
    assert all(torch.equal(u, v) for u, v in zip(fresh[0], collect(make(3))[0], strict=True))  # same seed, same run
    assert not torch.equal(fresh[0][2], collect(make(4))[0][2])


def test_the_modes_draw_different_arch_batches_from_the_same_seed():
    drawn = {mode: arch_ids(mode, arch_images=64, batch=16) for mode in ARCH_SAMPLINGS}
    assert drawn["per_image"] != drawn["per_batch"] != drawn["epoch_pass"] != drawn["per_image"]


def test_the_weight_half_is_one_pass_in_every_mode():
    for mode in ARCH_SAMPLINGS:
        batches = PairedBatches(indexed_set(64), indexed_set(30), 16, "cpu", seed=0, augment=False, arch_sampling=mode)
        assert sorted(i for step in collect(batches) for i in source_ids(step[0], 0)) == list(range(64))


def test_reference_per_space_and_unknown_mode():
    assert reference_arch_sampling("nb201") == "per_image"  # AutoDL-Projects SearchDataset: random.choice
    assert reference_arch_sampling("s1") == "per_batch"  # quark0/darts: next(iter(valid_queue))
    with pytest.raises(NashError, match="data.arch_sampling must be one of per_image, per_batch, epoch_pass"):
        PairedBatches(indexed_set(10), indexed_set(10), 4, "cpu", seed=0, arch_sampling="shuffled")
