"""`nash report --out DIR` without a half-built report: built in a hidden folder beside DIR, then moved in.

A report is dozens of files (tables, plots, index). Built straight into DIR, a full disk or a
denied write half-way leaves a folder that looks like a report but lacks parts. Here the report is
built in `.DIR.*.partial` in the same parent (same file system), and only a complete one is moved
into DIR, file by file (each a rename; files of other names already in DIR are left alone). On
any failure the staging folder, and any folder this call created, is removed, and the error is one
line.

Links (benchmarks.safe_files): DIR itself may be a symbolic link the user gave, and is followed (the
report is staged beside its target). Inside DIR nothing is followed: a report file's name held by a
link is replaced by the file, a subfolder (`tables/`, `plots/`) that is a link is refused before any
file moves, so the report never lands outside DIR.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.errors import NashError
from benchmarks.safe_files import real_folder, refuse_link


def write_report_staged(runs, out: str | Path, options):
    """`reports.build.write_report(runs, out, options)`, all or nothing; returns its Report (built elsewhere)."""
    from reports.build import write_report

    out = Path(out).absolute()
    if out.is_symlink():  # the user's own link: staged beside its target, so the moves stay on one file system
        out = out.resolve()
    if out.exists() and not out.is_dir():
        raise NashError(f"--out {out} is a file; name a folder for the report")
    created = [folder for folder in (out, *out.parents) if not folder.exists()]  # deepest first
    staging = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        report = write_report(runs, staging, options)
        _move_into(staging, out)
        return report
    except OSError as err:
        _remove_created(created)
        raise NashError(f"cannot write the report to {out}: {err.strerror or err}; choose another --out") from None
    except BaseException:
        _remove_created(created)
        raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _move_into(staging: Path, out: Path) -> None:
    out.mkdir(exist_ok=True)
    paths = sorted(staging.rglob("*"))
    folders = [out / path.relative_to(staging) for path in paths if path.is_dir()]
    for folder in folders:  # all checked before the first move: refused whole, never half moved
        refuse_link(folder, "report folder")
    for folder in folders:
        real_folder(folder, "report folder")
    for path in paths:
        if path.is_file():
            os.replace(path, out / path.relative_to(staging))  # a link at the target is replaced, not followed


def _remove_created(created: list[Path]) -> None:
    """Folders this call created (deepest first), if nothing else put files there meanwhile."""
    if created:
        shutil.rmtree(created[0], ignore_errors=True)  # the report folder itself, or the first missing parent
    for folder in created[1:]:
        try:
            folder.rmdir()
        except OSError:  # not empty: someone else's now
            pass
