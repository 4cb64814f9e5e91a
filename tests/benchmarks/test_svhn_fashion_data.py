"""SVHN (.mat) and Fashion-MNIST (IDX) readers on tiny files in the real formats; the real FMNIST when installed."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import scipy.io

from benchmarks.datasets.fashion_mnist import SYSTEM_FOLDER, read_fashion_mnist, read_idx
from benchmarks.datasets.svhn import read_svhn, read_svhn_mat
from benchmarks.errors import NashError
from tests.benchmarks.dataset_files import idx_bytes, write_fashion_mnist, write_svhn


def test_svhn_round_trip_and_label_10_is_digit_0(tmp_path):
    written = write_svhn(tmp_path)
    train, test = read_svhn(tmp_path / "svhn")
    assert train.images.shape == (30, 32, 32, 3) and len(test) == 20 and train.images.flags.c_contiguous
    x, y = written["train"]
    np.testing.assert_array_equal(train.images, x.transpose(3, 0, 1, 2))
    np.testing.assert_array_equal(train.labels, y.ravel() % 10)
    assert train.labels[9] == 0 and y[9, 0] == 10 and train.labels[0] == 1


def test_svhn_extra_is_appended(tmp_path):
    write_svhn(tmp_path)
    folder = tmp_path / "svhn"
    with pytest.raises(NashError, match="extra_32x32.mat is missing"):
        read_svhn(folder, extra=True)
    (folder / "extra_32x32.mat").write_bytes((folder / "test_32x32.mat").read_bytes())
    assert len(read_svhn(folder, extra=True)[0]) == 50


def test_svhn_double_labels_as_matlab_writes_them(tmp_path):
    scipy.io.savemat(tmp_path / "d.mat", {"X": np.zeros((32, 32, 3, 3), np.uint8), "y": np.array([[10.0], [1], [5]])})
    np.testing.assert_array_equal(read_svhn_mat(tmp_path / "d.mat").labels, [0, 1, 5])


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ({"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1))}, r"\(32, 32, 3, N\) uint8"),
        ({"X": np.zeros((32, 32, 3, 2), np.float64), "y": np.ones((2, 1))}, r"\(32, 32, 3, N\) uint8"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.ones((3, 1))}, "2 labels"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[0], [11]])}, "labels in 1..10"),
        ({"images": np.zeros((32, 32, 3, 2), np.uint8)}, "got nothing"),
    ],
)
def test_svhn_wrong_contents(tmp_path, contents, message):
    scipy.io.savemat(tmp_path / "train_32x32.mat", contents)
    with pytest.raises(NashError, match=message) as info:
        read_svhn_mat(tmp_path / "train_32x32.mat")
    assert "train_32x32.mat" in str(info.value) and "\n" not in str(info.value)


def test_svhn_corrupt_files(tmp_path):
    write_svhn(tmp_path)
    path = tmp_path / "svhn" / "test_32x32.mat"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(NashError, match="test_32x32.mat is not a readable MATLAB file"):
        read_svhn(tmp_path / "svhn")
    path.write_text("not a mat file at all")
    with pytest.raises(NashError, match="not a readable MATLAB file"):
        read_svhn(tmp_path / "svhn")


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_round_trip(tmp_path, gz):
    written = write_fashion_mnist(tmp_path, gz=gz)
    train, test = read_fashion_mnist(tmp_path / "fashion-mnist")
    assert train.images.shape == (30, 28, 28, 1) and len(test) == 10 and train.images.flags.writeable
    np.testing.assert_array_equal(train.images[..., 0], written["train"][0])
    np.testing.assert_array_equal(test.labels, written["t10k"][1])


def test_idx_header_checks(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.zeros((4, 28, 28), np.uint8))[:-5])
    with pytest.raises(NashError, match="header says shape"):
        read_idx(path, 3)
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(NashError, match="not a 3-dimensional uint8 IDX file"):
        read_idx(path, 3)
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((2, 3, 3), np.uint8)))[:-8])
    with pytest.raises(NashError, match="not a readable gzip file"):
        read_idx(path, 3)


def test_fashion_mnist_mismatches(tmp_path):
    write_fashion_mnist(tmp_path, gz=False)
    folder = tmp_path / "fashion-mnist"
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(7, np.uint8)))
    with pytest.raises(NashError, match="7 labels for 10 images"):
        read_fashion_mnist(folder)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(10, 10, np.uint8)))
    with pytest.raises(NashError, match="label 10 is outside"):
        read_fashion_mnist(folder)
    (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((10, 32, 32), np.uint8)))
    with pytest.raises(NashError, match="expected 28x28"):
        read_fashion_mnist(folder)
    (folder / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(NashError, match=r"t10k-images-idx3-ubyte\[.gz\] is missing"):
        read_fashion_mnist(folder)


@pytest.mark.skipif(not SYSTEM_FOLDER.is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_real_fashion_mnist():
    train, test = read_fashion_mnist(SYSTEM_FOLDER)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert (train.class_counts() == 6000).all() and (test.class_counts() == 1000).all()
    assert abs(train.images.mean() / 255 - 0.2860) < 1e-3  # the mean in the catalog was measured here
