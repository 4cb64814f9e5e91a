"""Build the embedded CIFAR-10 subset (`benchmarks/data/cifar10_subset.tar.gz`) from the JPEG tarballs.

Usage: python scripts/build_cifar10_subset.py [--source DIR] [--out FILE] [--train-per-class 500] [--test-per-class 100]

Takes the first N train and M test images of every class by sorted member name and copies their JPEG
bytes unchanged (no re-encoding) into the same `train/<class>/NNNN.jpg` layout. The output is
byte-for-byte reproducible: fixed member order, mtimes, owners and modes, and a gzip header with mtime 0.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The project's shared data sits beside the checkout; NASH_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("NASH_SHARED_DATA", REPO.parent / "shared" / "data"))
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from benchmarks.batches.images import CIFAR10_CLASSES  # noqa: E402
from benchmarks.datasets.cifar10 import EMBEDDED_SUBSET, JPEG_TARBALLS, read_jpeg_splits  # noqa: E402
from benchmarks.errors import NashError  # noqa: E402

DEFAULT_SOURCE = SHARED_DATA / "cifar10-jpeg"


def select_members(tarball: Path, split: str, per_class: int) -> list[tuple[str, bytes]]:
    """[(member name, jpeg bytes)] for the first `per_class` images of each class, by sorted member name."""
    by_class: dict[str, list[tuple[str, bytes]]] = {c: [] for c in CIFAR10_CLASSES}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 3 and parts[0] == split and parts[1] in by_class:
                by_class[parts[1]].append((member.name, tar.extractfile(member).read()))  # type: ignore[union-attr]
    chosen: list[tuple[str, bytes]] = []
    for cls, members in by_class.items():
        if len(members) < per_class:
            raise NashError(f"{tarball}: class {cls} has {len(members)} {split} images, need {per_class}")
        chosen.extend(sorted(members)[:per_class])
    return chosen


def deterministic_tar_gz(members: list[tuple[str, bytes]]) -> bytes:
    """A .tar.gz whose bytes depend only on the members: no timestamps, owners or host names inside."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, compresslevel=9, mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with the two JPEG tarballs")
    parser.add_argument("--out", type=Path, default=EMBEDDED_SUBSET)
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument("--test-per-class", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        train_tar, test_tar = (args.source / name for name in JPEG_TARBALLS)
        for tarball in (train_tar, test_tar):
            if not tarball.is_file():
                raise NashError(f"{tarball} is missing; pass --source DIR holding {' and '.join(JPEG_TARBALLS)}")
        members = select_members(train_tar, "train", args.train_per_class)
        members += select_members(test_tar, "test", args.test_per_class)
        payload = deterministic_tar_gz(members)
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, args.out)
        train, test = (read_jpeg_splits(args.out)[s] for s in ("train", "test"))  # read back as the package will
        assert (train.class_counts() == args.train_per_class).all(), train.class_counts()
        assert (test.class_counts() == args.test_per_class).all(), test.class_counts()
    except NashError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(payload).hexdigest()
    print(f"wrote {args.out} ({len(payload):,} bytes, sha256 {digest}): {len(train)} train, {len(test)} test images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
