"""`nash status` on a folder of runs that no sweep wrote: one line per run folder, torch-free.

A run whose run.json still says `running` but whose process is gone (no one holds its lock,
see `harness.system.run_lock`) is shown as `interrupted`: `nash search ... --resume` continues it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.safe_files import parse_json, read_bytes
from harness.system.run_lock import RUN_FILE, run_status
from harness.system.store import RUN_JSON_LIMIT

STATUSES = ("running", "interrupted", "done", "failed")


def find_runs(folder: Path) -> list[Path]:
    return sorted(Path(root) for root, _dirs, files in os.walk(folder) if RUN_FILE in files)


def describe_run(run_dir: Path) -> dict[str, Any]:
    """The run's id, kind, status (with `interrupted` derived), epochs done, seconds and error."""
    try:
        facts = parse_json(read_bytes(run_dir / RUN_FILE, RUN_JSON_LIMIT, RUN_FILE), RUN_FILE, run_dir / RUN_FILE)
        problem = _facts_problem(facts)
    except NashError as err:  # a FIFO, a device, an oversized or not-JSON file: a row of its own, not a hang
        return {"status": "damaged", "note": str(err)}
    if problem:  # a row of this table shows them as text or numbers: another type is damage, not a status
        return {"status": "damaged", "note": f"cannot read {RUN_FILE}: {problem}"}
    status = run_status(run_dir, facts.get("status"))
    final = facts.get("final") if isinstance(facts.get("final"), dict) else {}
    seconds = facts.get("search_seconds", final.get("seconds"))
    note = facts.get("error") or ""
    if status == "interrupted":
        note = "process gone; continue it with --resume" + (f" ({note})" if note else "")
    return {
        "kind": facts.get("kind", "search"),
        "status": status,
        "epochs": facts.get("epochs_completed"),
        "seconds": seconds if isinstance(seconds, int | float) else None,
        "note": str(note).splitlines()[0] if note else "",
    }


# Fields this table shows, with the types it can show them as; another type is damage, not a value.
_FIELD_TYPES = {
    "kind": (str, "text"),
    "status": (str, "text"),
    "epochs_completed": (int, "an integer"),
    "search_seconds": ((int, float), "a number"),
    "error": (str, "text"),
    "final": (dict, "an object"),
}


def _facts_problem(facts: Any) -> str | None:
    """What makes `facts` not a run.json this table can show: one phrase naming the field, or None."""
    if not isinstance(facts, dict):
        return "not a JSON object"
    for key, (kind, expected) in _FIELD_TYPES.items():
        value = facts.get(key)
        if key not in facts or (value is None and key not in ("kind", "status")):  # null is no kind or status
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"field {key!r} is a {type(value).__name__}, expected {expected}"
    return None


def format_runs_status(folder: Path, run_dirs: list[Path]) -> str:
    """The table (run, kind, status, epochs, seconds, note) and the totals."""
    names = [run_dir.relative_to(folder).as_posix() for run_dir in run_dirs]
    width = max([len("run"), *(len(name) for name in names)])
    lines = [f"{'run':<{width}}  {'kind':<10}  {'status':<11}  {'epochs':>6}  {'seconds':>8}  error / note"]
    counts: dict[str, int] = {}
    for name, run_dir in zip(names, run_dirs, strict=True):
        run = describe_run(run_dir)
        counts[run["status"]] = counts.get(run["status"], 0) + 1
        epochs = "" if run.get("epochs") is None else str(run["epochs"])
        seconds = "" if run.get("seconds") is None else f"{run['seconds']:.1f}"
        line = f"{name:<{width}}  {run.get('kind', ''):<10}  {run['status']!s:<11}  {epochs:>6}  {seconds:>8}"
        lines.append(f"{line}  {run['note']}".rstrip())
    shown = [*STATUSES, *sorted(set(counts) - set(STATUSES), key=str)]
    lines.append(f"{len(run_dirs)} runs: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in shown if s in counts))
    return "\n".join(lines)
