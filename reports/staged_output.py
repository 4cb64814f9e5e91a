"""`nash report --out DIR` without a half-built report: built in a hidden folder beside DIR, then moved in.

A report is dozens of files (tables, plots, index). Built straight into DIR, a full disk or a
denied write half-way leaves a folder that looks like a report but lacks parts. Here the report is
built in `.DIR.*.partial` in the same parent (same file system), and only a complete one is moved
into DIR, file by file (each a rename; files of other names already in DIR are left alone). On
any failure the staging folder, and any folder this call created, is removed, and the error is one
line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.errors import NashError


def write_report_staged(runs, out: str | Path, options):
    """`reports.build.write_report(runs, out, options)`, all or nothing; returns its Report (built elsewhere)."""
    from reports.build import write_report

    out = Path(out).absolute()
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
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            target = out / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)


def _remove_created(created: list[Path]) -> None:
    """Folders this call created (deepest first), if nothing else put files there meanwhile."""
    if created:
        shutil.rmtree(created[0], ignore_errors=True)  # the report folder itself, or the first missing parent
    for folder in created[1:]:
        try:
            folder.rmdir()
        except OSError:  # not empty: someone else's now
            pass
