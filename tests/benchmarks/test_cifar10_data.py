"""CIFAR-10 readers on tiny files in the real formats, the embedded subset, the shared copy, and the splits."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.batches.images import CIFAR10_CLASSES, ImageSet
from benchmarks.batches.split import nb201_search_split, subsample
from benchmarks.datasets import jpeg_tarball
from benchmarks.datasets.cifar10 import (
    embedded_cifar10,
    load_cifar10,
    read_cifar10_batches,
    read_jpeg_tarball,
)
from benchmarks.errors import NashError
from tests.benchmarks.dataset_files import py2_pickle
from tests.shared_data import SHARED_DATA

SHARED = SHARED_DATA / "cifar10-jpeg"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NASH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NASH_NO_CACHE", raising=False)


def write_batches(root: Path, per_batch: int = 3, test_count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A cifar-10-batches-py folder; returns the planar (N, 3072) train+test rows and labels as written."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows, labels = [], []
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = test_count if name == "test_batch" else per_batch
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        batch_labels = [int(v) for v in rng.integers(0, 10, n)]
        batch = {
            b"batch_label": b"training batch",
            b"labels": batch_labels,
            b"data": data,
            b"filenames": [b"x.png"] * n,
        }
        (root / name).write_bytes(py2_pickle(batch))
        rows.append(data)
        labels.extend(batch_labels)
    meta = {b"num_cases_per_batch": 10000, b"label_names": [c.encode() for c in CIFAR10_CLASSES], b"num_vis": 3072}
    (root / "batches.meta").write_bytes(py2_pickle(meta))
    return np.concatenate(rows), np.array(labels)


def jpeg_bytes(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def write_tarball(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def color_of(split: str, cls: int, k: int) -> tuple[int, int, int]:
    return (cls * 25, k * 40, 200 if split == "train" else 50)


def tiny_jpeg_members(split: str, per_class: int = 2, classes=(0, 3, 9)) -> list[tuple[str, bytes]]:
    members = [
        (f"{split}/{CIFAR10_CLASSES[c]}/{k:04d}.jpg", jpeg_bytes(color_of(split, c, k)))
        for c in classes
        for k in range(per_class)
    ]
    return members[::-1]  # stored out of order: the reader must sort


# --- pickle batches ---


def test_batches_round_trip_exactly(tmp_path):
    rows, labels = write_batches(tmp_path / "cifar-10-batches-py")
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in (tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes()
    train, test = read_cifar10_batches(tmp_path / "cifar-10-batches-py")
    assert (len(train), len(test)) == (15, 4) and train.classes == CIFAR10_CLASSES
    planar = np.concatenate([train.images, test.images]).transpose(0, 3, 1, 2).reshape(-1, 3072)
    np.testing.assert_array_equal(planar, rows)
    np.testing.assert_array_equal(np.concatenate([train.labels, test.labels]), labels)
    assert train.images[0, 0, 1, 2] == rows[0, 2 * 1024 + 1]  # pixel (0, 1), blue plane
    for source in (tmp_path, tmp_path / "cifar-10-batches-py"):  # the folder itself or its parent
        again, _ = load_cifar10(source)
        np.testing.assert_array_equal(again.images, train.images)


def test_missing_and_corrupt_batches_raise(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    write_batches(root)
    (root / "data_batch_3").unlink()
    with pytest.raises(NashError, match="data_batch_3 is missing"):
        load_cifar10(tmp_path)
    (root / "data_batch_3").write_bytes((root / "data_batch_1").read_bytes()[:500])  # truncated
    with pytest.raises(NashError, match="not a readable CIFAR-10 pickle"):
        load_cifar10(root)
    (root / "data_batch_3").write_bytes(py2_pickle({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(NashError, match=r"\(N, 3072\) uint8"):
        load_cifar10(root)
    (root / "data_batch_3").write_bytes(py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 12]}))
    with pytest.raises(NashError, match="labels"):
        load_cifar10(root)


class _Exploit:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_pickle_with_foreign_global_is_refused(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    write_batches(root)
    marker = tmp_path / "pwned"
    (root / "data_batch_2").write_bytes(pickle.dumps({b"data": _Exploit(marker)}))
    with pytest.raises(NashError, match="refusing to unpickle .*system"):
        read_cifar10_batches(root)
    assert not marker.exists()


# --- JPEG tarballs ---


def test_jpeg_tarball_labels_order_and_pixels(tmp_path):
    path = write_tarball(tmp_path / "tiny_train.tar.gz", tiny_jpeg_members("train"))
    images = read_jpeg_tarball(path)
    assert len(images) == 6 and images.classes == CIFAR10_CLASSES
    np.testing.assert_array_equal(images.labels, [0, 0, 3, 3, 9, 9])  # by class, then member name
    expected = np.array([color_of("train", c, k) for c in (0, 3, 9) for k in range(2)])
    assert np.abs(images.images.astype(int).mean(axis=(1, 2)) - expected).max() < 4  # JPEG is lossy


def test_jpeg_layouts(tmp_path):
    both = write_tarball(tmp_path / "both.tar.gz", tiny_jpeg_members("train") + tiny_jpeg_members("test", 1))
    train, test = load_cifar10(both)
    assert (len(train), len(test)) == (6, 3)
    with pytest.raises(NashError, match="name the one you want"):
        read_jpeg_tarball(both)
    pair = tmp_path / "pair"
    pair.mkdir()
    write_tarball(pair / "mine_train.tar.gz", tiny_jpeg_members("train"))
    write_tarball(pair / "mine_test.tar.gz", tiny_jpeg_members("test", 1))
    train2, test2 = load_cifar10(pair)
    np.testing.assert_array_equal(train2.images, train.images)
    np.testing.assert_array_equal(test2.labels, test.labels)
    with pytest.raises(NashError, match="has no test/ images"):
        load_cifar10(pair / "mine_train.tar.gz")


def test_bad_sources_raise_one_line_errors(tmp_path):
    bad: list[Path] = [tmp_path / "nowhere", tmp_path]  # missing path, empty folder
    (tmp_path / "notes.txt").write_text("hi")
    bad.append(tmp_path / "notes.txt")
    good = write_tarball(tmp_path / "x.tar.gz", tiny_jpeg_members("train") + tiny_jpeg_members("test"))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    bad.append(truncated)
    broken = [("train/cat/0000.jpg", b"\xff\xd8 not really a jpeg"), ("test/cat/0000.jpg", jpeg_bytes((1, 2, 3)))]
    bad.append(write_tarball(tmp_path / "broken.tar.gz", broken))
    bad.append(write_tarball(tmp_path / "odd.tar.gz", [("train/unicorn/0000.jpg", jpeg_bytes((1, 2, 3)))]))
    bad.append(write_tarball(tmp_path / "py.tar.gz", [("cifar-10-batches-py/data_batch_1", b"x")]))
    for source in bad:
        with pytest.raises(NashError) as info:
            load_cifar10(source)
        assert "\n" not in str(info.value), str(info.value)
    with pytest.raises(NashError, match="accepted: a cifar-10-batches-py folder"):
        load_cifar10(tmp_path / "nowhere")
    with pytest.raises(NashError, match="extract it"):
        load_cifar10(tmp_path / "py.tar.gz")


def test_decoded_cache_is_used_rebuilt_and_optional(tmp_path, monkeypatch):
    monkeypatch.setattr(jpeg_tarball, "CACHE_MIN_IMAGES", 1)
    path = write_tarball(tmp_path / "c_train.tar.gz", tiny_jpeg_members("train"))
    first = read_jpeg_tarball(path)
    (cache_file,) = (tmp_path / "cache").glob("*.npz")

    def no_decoding(*args):
        raise AssertionError("decoded although cached")

    with monkeypatch.context() as patch:
        patch.setattr(jpeg_tarball, "_decode", no_decoding)
        np.testing.assert_array_equal(read_jpeg_tarball(path).images, first.images)
    cache_file.write_bytes(b"garbage")  # corrupt cache: silently rebuilt
    np.testing.assert_array_equal(read_jpeg_tarball(path).labels, first.labels)
    assert cache_file.stat().st_size > 100
    monkeypatch.setenv("NASH_NO_CACHE", "1")
    cache_file.unlink()
    read_jpeg_tarball(path)
    assert not list((tmp_path / "cache").glob("*"))


# --- embedded subset and the shared copy ---


def test_embedded_subset_is_class_balanced():
    train, test = load_cifar10()
    assert (len(train), len(test)) == (5000, 1000)
    assert train.classes == CIFAR10_CLASSES
    assert (train.class_counts() == 500).all() and (test.class_counts() == 100).all()
    assert train.images.shape == (5000, 32, 32, 3) and train.images.dtype == np.uint8
    assert 80 < train.images.mean() < 160  # real photos, not blank


@pytest.mark.skipif(not (SHARED / "cifar10_jpeg_q75_test.tar.gz").is_file(), reason="shared CIFAR-10 JPEGs absent")
def test_shared_test_tarball_and_subset_provenance():
    test = read_jpeg_tarball(SHARED / "cifar10_jpeg_q75_test.tar.gz", "test")
    assert len(test) == 10_000 and (test.class_counts() == 1000).all()
    # The embedded test images are the first 100 of every class of the shared copy, bytes unchanged.
    first_100 = np.concatenate([np.flatnonzero(test.labels == c)[:100] for c in range(10)])
    np.testing.assert_array_equal(embedded_cifar10()[1].images, test.images[first_100])


# --- splits ---


def test_nb201_split_is_disjoint_complete_balanced_and_deterministic():
    labels = np.repeat(np.arange(10), 101)[np.random.default_rng(3).permutation(1010)]
    weight, arch = nb201_search_split(labels, seed=0)
    assert np.intersect1d(weight, arch).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([weight, arch])), np.arange(1010))
    assert (np.bincount(labels[weight]) == 51).all() and (np.bincount(labels[arch]) == 50).all()
    again = nb201_search_split(labels, seed=0)
    np.testing.assert_array_equal(weight, again[0])
    assert not np.array_equal(weight, nb201_search_split(labels, seed=1)[0])


def test_subsample_is_balanced_and_checked():
    labels = np.repeat(np.arange(10), 20)
    chosen = subsample(labels, 7, seed=2)
    assert (np.bincount(labels[chosen]) == 7).all() and np.unique(chosen).size == 70
    np.testing.assert_array_equal(chosen, subsample(labels, 7, seed=2))
    with pytest.raises(NashError, match="only 20 images"):
        subsample(labels, 21)
    subset = ImageSet(np.zeros((200, 32, 32, 3), np.uint8), labels.astype(np.int64), CIFAR10_CLASSES).subset(chosen)
    assert len(subset) == 70
