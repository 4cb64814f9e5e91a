"""CIFAR-100 and ImageNet16-120 readers on tiny pickles in the real formats, and the x-valid / x-test halves."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from benchmarks.batches.split import xvalid_xtest_halves
from benchmarks.datasets.cifar100 import cifar100_test_halves, read_cifar100
from benchmarks.datasets.imagenet16 import imagenet16_test_halves, read_imagenet16_120
from benchmarks.errors import NashError
from tests.benchmarks.dataset_files import py2_pickle, write_cifar100, write_imagenet16, write_split_file


def test_cifar100_round_trip(tmp_path):
    written = write_cifar100(tmp_path)
    train, test = read_cifar100(tmp_path)  # the parent of cifar-100-python is accepted too
    assert (len(train), len(test)) == (200, 400) and len(train.classes) == 100 and train.classes[7] == "fine7"
    for part, name in ((train, "train"), (test, "test")):
        rows, fine = written[name]
        np.testing.assert_array_equal(part.images.transpose(0, 3, 1, 2).reshape(-1, 3072), rows)
        np.testing.assert_array_equal(part.labels, fine)
    assert train.images[3, 5, 6, 1] == written["train"][0][3, 1024 + 5 * 32 + 6]  # green plane, row 5, col 6


def test_test_halves_are_balanced_disjoint_and_fixed():
    labels = np.repeat(np.arange(100), 100)[np.random.default_rng(1).permutation(10_000)]
    xvalid, xtest = xvalid_xtest_halves(labels)
    assert len(xvalid) == len(xtest) == 5000 and np.intersect1d(xvalid, xtest).size == 0
    assert (np.bincount(labels[xvalid]) == 50).all()
    np.testing.assert_array_equal(xvalid, xvalid_xtest_halves(labels)[0])
    assert not np.array_equal(xvalid, xvalid_xtest_halves(labels, seed=1)[0])


def test_official_split_file_wins(tmp_path):
    write_cifar100(tmp_path, per_class_test=2)
    folder = tmp_path / "cifar-100-python"
    labels = read_cifar100(folder)[1].labels
    ours = cifar100_test_halves(folder, labels)
    assert len(ours[0]) == 100
    write_split_file(folder / "cifar100-test-split.txt", list(range(0, 200, 2)), list(range(1, 200, 2)))
    xvalid, xtest = cifar100_test_halves(folder, labels)
    np.testing.assert_array_equal(xvalid, np.arange(0, 200, 2))
    write_split_file(folder / "cifar100-test-split.txt", [0, 1], [1, 2])
    with pytest.raises(NashError, match="overlap"):
        cifar100_test_halves(folder, labels)
    write_split_file(folder / "cifar100-test-split.txt", [0, 500], [1])
    with pytest.raises(NashError, match=r"indices in \[0, 200\)"):
        cifar100_test_halves(folder, labels)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "train").unlink(), "train is missing"),
        (lambda f: (f / "test").write_bytes((f / "test").read_bytes()[:300]), "not a readable CIFAR-100 pickle"),
        (lambda f: (f / "test").write_bytes(b"\x00garbage"), "not a readable CIFAR-100 pickle"),
        (lambda f: (f / "meta").write_bytes(py2_pickle({b"fine_label_names": [b"a"] * 10})), "100 class names"),
        (lambda f: (f / "test").write_bytes(py2_pickle([1, 2])), "holds a list"),
        (  # a CIFAR-10 batch in CIFAR-100's place: no fine labels
            lambda f: (f / "test").write_bytes(py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]})),
            "fine_labels",
        ),
        (
            lambda f: (f / "train").write_bytes(
                py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"fine_labels": [0, 100], b"coarse_labels": [0, 0]})
            ),
            r"in \[0, 100\)",
        ),
        (
            lambda f: (f / "train").write_bytes(py2_pickle({b"data": np.zeros((2, 1024), np.uint8)})),
            r"\(N, 3072\) uint8",
        ),
    ],
)
def test_cifar100_bad_files_are_one_line_errors(tmp_path, damage, message):
    write_cifar100(tmp_path)
    damage(tmp_path / "cifar-100-python")
    with pytest.raises(NashError, match=message) as info:
        read_cifar100(tmp_path / "cifar-100-python")
    assert "\n" not in str(info.value) and "cifar-100-python" in str(info.value)


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_foreign_globals_are_refused_in_both_formats(tmp_path):
    write_cifar100(tmp_path)
    write_imagenet16(tmp_path)
    marker = tmp_path / "pwned"
    (tmp_path / "cifar-100-python" / "train").write_bytes(pickle.dumps({b"data": _Exploit(marker)}))
    (tmp_path / "ImageNet16" / "val_data").write_bytes(pickle.dumps({"data": _Exploit(marker)}))
    with pytest.raises(NashError, match="refusing to unpickle .*system"):
        read_cifar100(tmp_path / "cifar-100-python")
    with pytest.raises(NashError, match="refusing to unpickle .*system"):
        read_imagenet16_120(tmp_path / "ImageNet16")
    assert not marker.exists()


@pytest.mark.parametrize("py2", [False, True])
def test_imagenet16_keeps_classes_1_to_120(tmp_path, py2):
    written = write_imagenet16(tmp_path, py2=py2)
    train, test = read_imagenet16_120(tmp_path / "ImageNet16")
    assert train.images.shape[1:] == (16, 16, 3) and len(train.classes) == 120
    rows = np.concatenate([written[f"train_data_batch_{i}"][0] for i in range(1, 11)])
    labels = np.concatenate([written[f"train_data_batch_{i}"][1] for i in range(1, 11)])
    keep = labels <= 120
    np.testing.assert_array_equal(train.labels, labels[keep] - 1)
    np.testing.assert_array_equal(train.images.transpose(0, 3, 1, 2).reshape(-1, 768), rows[keep])
    assert train.labels.min() == 0 and train.labels.max() == 119
    assert len(test) == int((written["val_data"][1] <= 120).sum())
    xvalid, xtest = imagenet16_test_halves(tmp_path / "ImageNet16", test.labels)
    assert len(xvalid) + len(xtest) == len(test)


def test_imagenet16_bad_files(tmp_path):
    write_imagenet16(tmp_path)
    folder = tmp_path / "ImageNet16"
    (folder / "train_data_batch_4").write_bytes(pickle.dumps({"data": np.zeros((2, 768), np.uint8), "labels": [0, 5]}))
    with pytest.raises(NashError, match=r"train_data_batch_4: expected b'labels' as 2 integers in \[1, 1001\)"):
        read_imagenet16_120(folder)
    (folder / "train_data_batch_4").write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [1, 5]}))
    with pytest.raises(NashError, match=r"\(N, 768\) uint8"):  # a 32x32 file where 16x16 belongs
        read_imagenet16_120(folder)
    (folder / "train_data_batch_4").unlink()
    with pytest.raises(NashError, match="train_data_batch_4 is missing"):
        read_imagenet16_120(folder)
    with pytest.raises(NashError, match="does not exist"):
        read_imagenet16_120(tmp_path / "nope")
