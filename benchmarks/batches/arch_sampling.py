"""How a search draws its architecture batches from the arch half (`data.arch_sampling`, docs/DATA.md).

The reference codes never pass over the arch half in order: each step takes an independent random
batch. NAS-Bench-201's loop (AutoDL-Projects `xautodl/datasets/SearchDatasetWrap.py`, used by its
DARTS-V1/V2, GDAS, SETN and ENAS scripts) pairs every weight image with `random.choice(valid_split)`,
so each arch image is drawn on its own, with replacement. quark0/darts `cnn/train_search.py` (and the
PC-DARTS and RobustDARTS searches built on it) calls `next(iter(valid_queue))` on a shuffled loader at
every step: a fresh batch of distinct images, independent of the other steps. Light on purpose: the
config checks import it before torch.
"""

from __future__ import annotations

PER_IMAGE = "per_image"  # every arch image drawn uniformly with replacement (NB201 SearchDataset)
PER_BATCH = "per_batch"  # every arch batch a fresh uniform sample of distinct images (quark0/darts)
EPOCH_PASS = "epoch_pass"  # one shuffled pass over the arch half, cycled (nash before this switch)
ARCH_SAMPLINGS = (PER_IMAGE, PER_BATCH, EPOCH_PASS)


def reference_arch_sampling(space: str) -> str:
    """The arch-batch draw of the code behind the space's published numbers."""
    return PER_IMAGE if space == "nb201" else PER_BATCH


def resolve_arch_sampling(chosen: str | None, space: str) -> str:
    """`data.arch_sampling` as set, or the space's reference when unset (None)."""
    return reference_arch_sampling(space) if chosen is None else chosen
