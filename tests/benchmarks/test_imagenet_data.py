"""ImageNet class folders: search subsets, decoding, the memory-mapped cache, and bad images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.batches.loader import PairedBatches
from benchmarks.datasets import imagenet
from benchmarks.datasets.imagenet import imagenet_search_sets, imagenet_val
from benchmarks.errors import NashError
from tests.benchmarks.dataset_files import write_imagenet_folders


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NASH_CACHE_DIR", str(tmp_path / "cache"))


def test_subsets_are_disjoint_balanced_seeded_and_memory_mapped(tmp_path):
    folder = write_imagenet_folders(tmp_path, classes=3, per_class=20)
    weight, arch = imagenet_search_sets(folder, resolution=12, fraction=0.1, seed=0)
    assert isinstance(weight.images, np.memmap) and weight.images.shape == (6, 12, 12, 3)
    assert (weight.class_counts() == 2).all() and (arch.class_counts() == 2).all()
    assert weight.classes == ("n00000000", "n00000001", "n00000002")

    # image k of class c is the flat colour (40c, 12k, 99): the green channel tells which file was picked
    def picked(s):
        return {(int(lab), round(int(img[6, 6, 1]) / 12)) for img, lab in zip(s.images, s.labels, strict=True)}

    assert not picked(weight) & picked(arch)
    assert np.abs(weight.images[..., 0].astype(int) - 40 * weight.labels[:, None, None]).max() <= 3  # JPEG is lossy
    again, _ = imagenet_search_sets(folder, resolution=12, fraction=0.1, seed=0)
    assert picked(again) == picked(weight)
    assert picked(imagenet_search_sets(folder, resolution=12, fraction=0.1, seed=1)[0]) != picked(weight)
    assert len(list((tmp_path / "cache").iterdir())) == 4  # weight + arch for two seeds, no temp folders left


def test_pc_darts_subsets_keep_the_weight_images_and_take_fewer_arch_images():
    """PC-DARTS's ImageNet search: 10% of every class for the weights, 2.5% for the architecture."""
    per_class = [[Path(f"c{c}/img_{i}.JPEG") for i in range(120)] for c in range(3)]
    weight, arch = imagenet.search_subsets(per_class, 0.1, seed=0)
    pc_weight, pc_arch = imagenet.search_subsets(per_class, 0.1, seed=0, arch_fraction=0.025)
    assert pc_weight == weight  # the same weight images as the 10% + 10% protocol
    assert len(pc_arch) == 3 * 3 and set(pc_arch) < set(arch)  # 2.5% of 120 = 3 per class, ROME's first ones
    assert not set(pc_arch) & set(pc_weight)
    with pytest.raises(NashError, match="must be positive and sum to at most 1"):
        imagenet.search_subsets(per_class, 0.1, seed=0, arch_fraction=0.0)


def test_cache_is_reused_and_val_is_labelled_by_train_wnids(tmp_path, monkeypatch):
    folder = write_imagenet_folders(tmp_path, classes=2, per_class=10)
    first, _ = imagenet_search_sets(folder, resolution=8)
    monkeypatch.setattr(imagenet, "decode_image", lambda *a: (_ for _ in ()).throw(AssertionError("decoded")))
    np.testing.assert_array_equal(imagenet_search_sets(folder, resolution=8)[0].images, first.images)
    monkeypatch.undo()
    val = imagenet_val(folder, resolution=8)
    assert len(val) == 4 and list(val.labels) == [0, 0, 1, 1]


def test_a_memory_mapped_set_feeds_batches(tmp_path):
    folder = write_imagenet_folders(tmp_path, classes=2, per_class=20)
    weight, arch = imagenet_search_sets(folder, resolution=16, fraction=0.2)
    batches = PairedBatches(weight, arch, 4, "cpu", seed=0, mean=(0.5,) * 3, std=(0.25,) * 3)
    (tx, ty), (vx, vy) = next(batches.epoch())
    assert tx.shape == (4, 3, 16, 16) and vx.shape == (4, 3, 16, 16) and batches.padding == 2


def test_decoding_keeps_aspect_and_crops_the_centre(tmp_path):
    image = Image.new("RGB", (60, 20), (255, 0, 0))
    image.paste((0, 0, 255), (20, 0, 40, 20))  # blue centre third
    image.save(tmp_path / "wide.png")
    out = imagenet.decode_image(tmp_path / "wide.png", 10)
    assert out.shape == (10, 10, 3) and out[:, 2:8, 2].min() > 200 and out[:, 2:8, 0].max() < 50


def test_broken_image_is_named_and_leaves_no_cache(tmp_path):
    folder = write_imagenet_folders(tmp_path, classes=2, per_class=10)
    for path in (folder / "train" / "n00000001").iterdir():
        path.write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(NashError, match=r"n00000001/img_\d+\.JPEG is not a readable image"):
        imagenet_search_sets(folder, resolution=8, fraction=0.5)
    assert not list((tmp_path / "cache").iterdir())


def test_layout_errors(tmp_path):
    with pytest.raises(NashError, match="does not exist"):
        imagenet_search_sets(tmp_path / "imagenet")
    folder = write_imagenet_folders(tmp_path, classes=2, per_class=3)
    with pytest.raises(NashError, match=r"too few for 50.0% \+ 50.0% subsets"):
        imagenet_search_sets(folder, fraction=0.5)
    (folder / "train" / "n00000009").mkdir()
    with pytest.raises(NashError, match="n00000009 holds no images"):
        imagenet_search_sets(folder)
