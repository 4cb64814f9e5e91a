"""The two official NATS-Bench layouts (topology `tss` and size `sss` alike).

- The `-simple` directory (e.g. `NATS-tss-v1_0-3ffb9-simple/`): `meta.pickle.pbz2` holds
  `meta_archs` (the official string of every architecture, in index order); each evaluated
  architecture has its own `NNNNNN.pickle.pbz2` holding `{hp: ArchResults state}`.
- The single archive (e.g. `NATS-tss-v1_0-3ffb9.pickle.pbz2`): one pickle holding `meta_archs`,
  `arch2infos` (`{index: {hp: ArchResults state}}`) and `evaluated_indexes`.
hp is the epoch budget as a string: `12`/`200` (tss), `01`/`12`/`90` (sss).
Both are read with the allow-listed unpickler. Architectures come out one at a time; the archive's
entries are removed as they are handed out, so converted results are never held twice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.official.safe_pickle import SIMPLE_FILE_LIMIT, load_bz2_pickle

META_FILE = "meta.pickle.pbz2"
_ARCH_FILE = re.compile(r"^(\d+)\.pickle\.pbz2$")


@dataclass
class OfficialSource:
    """What a reader found: the architecture strings, and the per-architecture results one by one."""

    path: Path
    layout: str  # "nats-simple-dir", "nats-archive" or "nb201-pth"
    meta_archs: list[str]
    count: int  # architectures with results
    archs: Iterator[tuple[int, str, dict[str, Any]]]  # (official index, where it came from, {hp: ArchResults state})


def check_meta_archs(path: Path, meta_archs: Any) -> list[str]:
    if not isinstance(meta_archs, list) or not meta_archs or not all(isinstance(a, str) for a in meta_archs):
        raise NashError(f"{path} does not hold a list of architecture strings under 'meta_archs'")
    return meta_archs


def meta_and_infos(path: Path, data: Any, what: str) -> tuple[list[str], dict]:
    """The architecture list and the per-architecture results of a whole-file benchmark (archive or .pth)."""
    if not isinstance(data, dict) or not {"meta_archs", "arch2infos"} <= set(data):
        raise NashError(f"{path} is not a {what} (expected 'meta_archs' and 'arch2infos')")
    meta_archs = check_meta_archs(path, data["meta_archs"])
    infos = data.pop("arch2infos")  # popped: `drain` frees each architecture's results as it goes
    if not isinstance(infos, dict):
        raise NashError(f"{path}: 'arch2infos' is not a dict")
    return meta_archs, infos


def read_simple_dir(path: Path) -> OfficialSource:
    if not path.is_dir():
        raise NashError(f"NATS-Bench directory {path} not found")
    meta = load_bz2_pickle(path / META_FILE, SIMPLE_FILE_LIMIT) if os.path.lexists(path / META_FILE) else None
    if meta is None:
        raise NashError(f"{path} is not a NATS-Bench '-simple' directory: it has no {META_FILE}")
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise NashError(f"{path / META_FILE} is not a NATS-Bench meta file (no 'meta_archs')")
    meta_archs = check_meta_archs(path / META_FILE, meta["meta_archs"])
    files = sorted((int(m[1]), f) for f in path.iterdir() if (m := _ARCH_FILE.match(f.name)))
    if not files:
        raise NashError(f"{path} holds no per-architecture NNNNNN.pickle.pbz2 files")
    return OfficialSource(path, "nats-simple-dir", meta_archs, len(files), _dir_archs(files, len(meta_archs)))


def _dir_archs(files: list[tuple[int, Path]], total: int) -> Iterator[tuple[int, str, dict[str, Any]]]:
    for index, file in files:
        if index >= total:
            raise NashError(f"{file} names index {index}, but the meta file lists {total} architectures")
        results = load_bz2_pickle(file, SIMPLE_FILE_LIMIT)
        if not isinstance(results, dict):
            raise NashError(f"{file} is not a NATS-Bench architecture file (expected {{hp: results}})")
        yield index, str(file), results


def read_archive(path: Path) -> OfficialSource:
    data = load_bz2_pickle(path)  # the official layout is one pickle: it can only be loaded whole
    meta_archs, infos = meta_and_infos(path, data, "NATS-Bench archive")
    return OfficialSource(path, "nats-archive", meta_archs, len(infos), drain(path, infos, len(meta_archs)))


def drain(path: Path, infos: dict[Any, Any], total: int) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Hand out `infos` in index order, deleting each entry so its memory goes once it is converted."""
    for index in sorted(infos):
        if not isinstance(index, int) or not 0 <= index < total:
            raise NashError(f"{path}: results for index {index!r}, but there are {total} architectures")
        results = infos.pop(index)
        if not isinstance(results, dict):
            raise NashError(f"{path}: results for index {index} are not a dict of epoch budgets")
        yield index, f"{path} (architecture {index})", results
