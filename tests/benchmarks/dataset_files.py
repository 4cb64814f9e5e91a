"""Tiny dataset files in exactly the real on-disk formats, for the reader tests and scripts/bench_data.py."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image


class _Py2Pickler(pickle._Pickler):
    """Writes bytes and str as Python 2 `str` opcodes, as the cPickle that made the real CIFAR files did."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str
    dispatch[str] = _save_py2_str


def py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    _Py2Pickler(buffer, protocol=2).dump(obj)
    # numpy>=2 names its module numpy._core; the real files (numpy 1.x era) say numpy.core.
    return buffer.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def write_cifar100(root: Path, per_class_train: int = 2, per_class_test: int = 4, seed: int = 0) -> dict:
    """<root>/cifar-100-python/{train,test,meta}; returns the planar rows and fine labels written."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name, per_class in (("train", per_class_train), ("test", per_class_test)):
        fine = rng.permutation(np.repeat(np.arange(100), per_class))
        data = rng.integers(0, 256, (len(fine), 3072), dtype=np.uint8)
        batch = {
            b"filenames": [b"x.png"] * len(fine),
            b"batch_label": f"{name} batch".encode(),
            b"fine_labels": [int(v) for v in fine],
            b"coarse_labels": [int(v) // 5 for v in fine],
            b"data": data,
        }
        (folder / name).write_bytes(py2_pickle(batch))
        written[name] = (data, fine)
    meta = {b"fine_label_names": [f"fine{i}".encode() for i in range(100)], b"coarse_label_names": [b"c"] * 20}
    (folder / "meta").write_bytes(py2_pickle(meta))
    return written


def write_svhn(root: Path, train: int = 30, test: int = 20, seed: int = 0) -> dict:
    """<root>/svhn/{train,test}_32x32.mat as MATLAB v5 files; labels 1..10 (10 = digit 0)."""
    folder = root / "svhn"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name, n in (("train", train), ("test", test)):
        x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
        y = (np.arange(n) % 10 + 1).astype(np.uint8).reshape(n, 1)
        scipy.io.savemat(folder / f"{name}_32x32.mat", {"X": x, "y": y}, format="5")
        written[name] = (x, y)
    return written


def write_imagenet16(
    root: Path, per_file: int = 40, seed: int = 0, py2: bool = False, every_class: bool = False
) -> dict:
    """<root>/ImageNet16/train_data_batch_1..10 + val_data, labels 1..1000 (about 1/8 of them in 1..120).

    `every_class`: each file's first 240 labels are 1..120 twice, so every kept class is in every file
    (and in both class-balanced halves of val_data), as in the real files; needs per_file >= 244.
    """
    folder = root / "ImageNet16"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name in [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]:
        labels = rng.integers(1, 1001, per_file)
        labels[:4] = (1, 1, 120, 120)  # both ends of the kept range, twice, in every file
        if every_class:
            labels[4:244] = np.tile(np.arange(1, 121), 2)
        data = rng.integers(0, 256, (per_file, 768), dtype=np.uint8)
        batch = {"data": data, "labels": [int(v) for v in labels]}
        if name != "val_data":
            batch["mean"] = data.mean(axis=0)
        (folder / name).write_bytes(py2_pickle(batch) if py2 else pickle.dumps(batch, protocol=4))
        written[name] = (data, labels)
    return written


def write_split_file(path: Path, xvalid: list[int], xtest: list[int]) -> None:
    """NB201's split-file format: every value as [type name, value]."""
    path.write_text(json.dumps({"xvalid": ["int", xvalid], "xtest": ["int", xtest]}))


def idx_bytes(array: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_fashion_mnist(root: Path, train: int = 30, test: int = 10, gz: bool = True, seed: int = 0) -> dict:
    folder = root / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    written = {}
    for prefix, n in (("train", train), ("t10k", test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, array, dims in (("images", images, 3), ("labels", labels, 1)):
            data = idx_bytes(array)
            name = f"{prefix}-{kind}-idx{dims}-ubyte"
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
        written[prefix] = (images, labels)
    return written


def write_imagenet_folders(root: Path, classes: int = 3, per_class: int = 10, size=(40, 30)) -> Path:
    """<root>/imagenet/{train,val}/<wnid>/*.JPEG; image k of class c is a flat colour (40c, 12k, 99)."""
    folder = root / "imagenet"
    for split, count in (("train", per_class), ("val", 2)):
        for c in range(classes):
            class_dir = folder / split / f"n{c:08d}"
            class_dir.mkdir(parents=True)
            for k in range(count):
                Image.new("RGB", size, (40 * c, 12 * k, 99)).save(class_dir / f"img_{k:03d}.JPEG", quality=95)
    return folder
