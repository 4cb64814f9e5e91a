"""Reading and writing files in folders other people can write into (shared results folders).

Reads: a file is opened without blocking (a FIFO in place of a file must not hang nash), must be a
regular file, and is read up to a size limit named in the message; JSON is parsed only after its
nesting depth is checked.

Writes follow one rule: the folder the user names (`--out`, `--from-run`) may be a symbolic link, their
choice, and is followed; nothing nash makes or writes inside it is. A folder nash writes into must be a
real folder (`real_folder`); a file nash replaces whole (run.json, epochs.parquet, a checkpoint, a
report's files) is written to a new temporary file (`tempfile.mkstemp`) and renamed over its name, so
a link there is replaced and its target left alone; a file nash creates, keeps or appends to (a lock,
a log, the previous checkpoint) is opened without following a link (`open_no_follow`) and a link there
is refused; deletes remove a link itself, never its target. Everything wrong is a one-line NashError
naming the file and what was expected. Torch-free.
"""

from __future__ import annotations

import json
import os
import re
import stat
from itertools import accumulate
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError

MIB = 1 << 20
# The largest dataset file nash reads whole or unpickles: the CIFAR-10 JPEG tarball is ~150 MB, CIFAR-100's
# train pickle 155 MB, an SVHN .mat 182 MB; ImageNet is read per image. 4 GiB leaves room and stops /dev/zero.
DATASET_FILE_LIMIT = 4 << 30
JSON_DEPTH_LIMIT = 64  # nash's own files nest at most ~6 deep; json's recursion fails near 1,000
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder", stat.S_IFLNK: "a symbolic link"}  # fmt: skip


def size_text(limit: int) -> str:
    if limit >= 1 << 30:
        return f"{limit / (1 << 30):.3g} GiB"
    return f"{limit / MIB:.4g} MiB" if limit >= MIB else f"{limit:,} bytes"


def file_kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _open_regular(path: Path, limit: int, what: str, advice: str) -> int:
    """A read-only descriptor of `path`, opened without blocking, once it is a regular file within `limit`.
    FileNotFoundError passes; other failures are one-line NashErrors."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise NashError(f"cannot read {what} {path}: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NashError(f"{what} {path} is {file_kind(info.st_mode)}, not a regular file; {advice}")
        if info.st_size > limit:
            raise NashError(f"{what} {path} is {size_text(info.st_size)}, over the {size_text(limit)} limit for a "
                            f"{what}; is it the right file?")  # fmt: skip
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them, without blocking on a FIFO or device.

    `what` names the file's role in messages ("run.json", "--config file", "oracle file").
    """
    path = Path(path)
    try:
        fd = _open_regular(path, limit, what, "pass the file itself")
    except FileNotFoundError as err:
        raise NashError(f"cannot read {what} {path}: {err.strerror}") from None
    try:
        chunks, total = [], 0
        while total <= limit:  # a file that grows while read is still cut at the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise NashError(f"{what} {path} grew over the {size_text(limit)} limit while read; is it the right file?")
        return b"".join(chunks)
    except OSError as err:
        raise NashError(f"cannot read {what} {path}: {err.strerror or err}") from None
    finally:
        os.close(fd)


def check_regular_file(path: str | Path, limit: int, what: str = "file") -> int:
    """The size of the regular file `path` (at most `limit`), checked without reading it or blocking on a FIFO;
    for files another reader opens itself (torch.load of a checkpoint). A missing file is FileNotFoundError."""
    fd = _open_regular(Path(path), limit, what, "move it aside")
    try:
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def check_json_depth(data: bytes, limit: int = JSON_DEPTH_LIMIT) -> int:
    """The deepest nesting of arrays and objects in JSON text `data`; over `limit` is a ValueError."""
    brackets = _NOT_BRACKET.sub(b"", _STRINGS.sub(b"", data))
    depth = max(accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)
    if depth > limit:
        raise ValueError(f"nested {depth} deep, over the limit of {limit}")
    return depth


def parse_json(data: bytes, what: str, path: str | Path, limit: int = JSON_DEPTH_LIMIT) -> Any:
    """JSON text `data` (read from `path`) parsed after its depth is checked; bad JSON is one line."""
    try:
        check_json_depth(data, limit)
        return json.loads(data)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = " ".join(str(err).split())[:200]
        raise NashError(f"cannot read {what} {path}: not valid JSON ({reason})") from None


def read_json_file(path: str | Path, limit: int, what: str = "JSON file") -> Any:
    """`read_bytes` then `parse_json`: any JSON value, bounded in size and depth."""
    return parse_json(read_bytes(path, limit, what), what, path)


def refuse_link(path: str | Path, what: str = "path") -> None:
    """A NashError if `path` is a symbolic link: nash writes there, and would write wherever it points."""
    if Path(path).is_symlink():
        raise NashError(f"{what} {path} is a symbolic link; nash does not write through links it did not make. "
                        "Remove the link or choose another folder")  # fmt: skip


def real_folder(path: str | Path, what: str = "folder") -> Path:
    """Create `path` (and its parents) if missing; it must be a folder and not a symbolic link."""
    path = Path(path)
    refuse_link(path, what)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NashError(f"{what} {path} exists and is not a folder; choose another name") from None
    refuse_link(path, what)  # made into a link between the check and mkdir
    if not path.is_dir():
        raise NashError(f"{what} {path} is not a folder; choose another name")
    return path


def open_no_follow(path: str | Path, flags: int, mode: int = 0o644, what: str = "path") -> int:
    """os.open(`path`) refusing a symbolic link in its last component (O_NOFOLLOW); returns the descriptor."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as err:
        if err.errno == 40 or Path(path).is_symlink():  # ELOOP: the last component is a link
            refuse_link(path, what)
        raise


def write_new(path: str | Path, data: bytes) -> None:
    """Create `path` holding `data`; it must not exist (no link, no file): O_CREAT | O_EXCL."""
    fd = open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def open_append(path: str | Path, what: str = "path"):
    """A binary handle appending to `path` (created if missing), never through a link; for logs."""
    return os.fdopen(open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, what=what), "ab")


def remove_file(path: str | Path) -> None:
    """Delete `path` if present; a link is removed itself (unlink never follows), a folder is left alone."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise NashError(f"{path} is a folder where nash expected its own file; move it aside") from None
