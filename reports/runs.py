"""Load every run under a folder into pandas frames (torch-free: reads the store format only).

A run folder holds `run.json` (run-level facts) and, once an epoch has finished, `epochs.parquet`
(one row per epoch); search runs may add `ranking.parquet` (supernet vs oracle accuracy of a fixed
sample of cells). Evaluation runs (`"kind": "evaluation"`) train a genotype from scratch.

Column naming of the joined frames: the epoch rows keep their own names; run-level facts are
flattened with dots: `config.train.lr`, `config.searcher_options.k`, and every other key of run.json
under `run.` (`run.status`, `run.search_seconds`, `run.versions.torch`). `variant` is
`config.variant` or "". `run_path` (the run folder relative to the loaded folder) is the key that
joins them, so equal run ids in two sweeps never mix. The final evaluation of a search run is under
`eval.` (`eval.test_error`, `eval.params`, `eval.flops`, `eval.seconds`, `eval.peak_mem_mb`,
`eval.run_id`): from run.json's `evaluation` entry, else from an evaluation run of the same
benchmark, profile and genotype in the folder (same seed preferred).

A damaged run (unreadable run.json or parquet) is skipped with a one-line warning on stderr. The same
run found twice (a copy: equal run_id, run.json and epochs, e.g. `runs/demo/X` and `runs/X`) is
loaded once, from its shortest path; `RunStore.duplicates` says which copies were dropped. Which runs
are seeds of one experiment is decided by `reports.settings` (columns `setting`, `setting_id`,
`epochs_budget`). A run
whose run.json says `running` while no process holds its lock file is loaded as `interrupted`.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.errors import NashError
from benchmarks.safe_files import MIB, parse_json, read_bytes
from reports.settings import SETTING, with_settings

RUN_FILE = "run.json"
EPOCHS_FILE = "epochs.parquet"
RANKING_FILE = "ranking.parquet"
LOCK_FILE = ".nash-run.lock"  # held by the process writing the run (harness.system.run_lock)
KEY = "run_path"
IDENTITY = ("benchmark", "searcher", "profile", "seed", "variant", SETTING)
EVAL_FIELDS = ("test_error", "params", "flops", "seconds", "peak_mem_mb", "run_id")
# Size limits of the files a report reads whole (a FIFO, a device or a planted multi-GB file is refused, not read):
RUN_JSON_LIMIT = 4 * MIB  # a run.json is a few kB: config, versions, final result
EPOCHS_LIMIT = 256 * MIB  # one row per epoch (~5 kB with α); 5,000 epochs (the most a run takes) are ~25 MB
RANKING_LIMIT = 64 * MIB  # a fixed sample of cells (hundreds) x ranking points: a few MB at most
# Names a report turns into table rows, file names and plot labels: benchmark, searcher, profile, variant.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # NUL, newline, escape sequences: never in a run's own text


@dataclass
class RunStore:
    """Everything loaded from one results folder."""

    epochs: pd.DataFrame  # one row per search epoch, joined with its run's facts
    facts: pd.DataFrame  # one row per search run
    evaluations: pd.DataFrame  # one row per evaluation run
    rankings: pd.DataFrame  # ranking.parquet rows with the run's identity; empty when none was written
    skipped: list[str]  # damaged run folders, with the reason
    duplicates: list[str] = field(default_factory=list)  # copies of a loaded run, not loaded again


def warn(message: str) -> None:
    print(f"nash: warning: {message}", file=sys.stderr)


def flatten(payload: dict[str, Any], prefix: str) -> dict[str, Any]:
    """{"a": {"b": 1}} → {"prefix.a.b": 1}; lists are kept as values."""
    flat: dict[str, Any] = {}
    for key, value in payload.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def _find_run_dirs(folder: Path) -> list[Path]:
    found = [Path(root) for root, _dirs, files in os.walk(folder) if RUN_FILE in files]
    return sorted(found)


def _read_facts(run_dir: Path, check_writer: bool = True) -> dict[str, Any]:
    path = run_dir / RUN_FILE
    payload = parse_json(read_bytes(path, RUN_JSON_LIMIT, RUN_FILE), RUN_FILE, path)
    if not isinstance(payload, dict):
        raise ValueError("run.json is not a JSON object")
    _check_run_fields(payload)
    if check_writer and payload.get("status") == "running" and _writer_gone(run_dir):
        payload = _read_facts(run_dir, check_writer=False)  # it may have finished since the first read
        if payload.get("status") == "running":
            payload["status"] = "interrupted"  # its process died mid-run (SIGKILL, OOM, a lost node)
    return payload


_IDENTITY_TYPES = {"benchmark": str, "searcher": str, "profile": str, "seed": int}
_INTEGER_COLUMNS = ("epoch", "skip_count", "param_free_count")
_NUMBER_COLUMNS = ("train_loss", "train_acc", "val_loss", "val_acc", "tau", "epoch_seconds", "peak_mem_mb")
# run.json fields every report reads, with their types (absent or null is allowed: older runs lack some).
_RUN_FIELD_TYPES = {"status": str, "kind": str, "run_id": str, "final": dict, "evaluation": dict, "network": dict}
_EVAL_FIELD_TYPES = {"benchmark": str, "profile": str, "seed": int, "genotype": str, "device": str}


def _expected(kind: type) -> str:
    return {str: "text", int: "an integer", dict: "an object"}[kind]


def _check_type(where: str, value: Any, kind: type) -> None:
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ValueError(f"{where} is a {type(value).__name__}, expected {_expected(kind)}")


def _check_text(where: str, value: Any, name: bool = False) -> None:
    """Text a report shows: no control characters (NUL, escapes); a `name` also makes file names and labels."""
    if not isinstance(value, str) or not value:
        return
    if name and not _NAME.fullmatch(value):
        raise ValueError(f"{where} {value[:40]!r} is not a name (letters, digits, . _ + -; at most 100)")
    if _CONTROL.search(value):
        raise ValueError(f"{where} holds control characters")


def _check_run_fields(payload: dict[str, Any]) -> None:
    """The run-level fields a report reads have their types; a ValueError names the first that does not."""
    for key, kind in _RUN_FIELD_TYPES.items():
        _check_type(key, payload.get(key), kind)
    for key in ("status", "kind", "run_id"):
        _check_text(key, payload.get(key), name=key != "run_id")
    if payload.get("kind") == "evaluation":
        for key, kind in _EVAL_FIELD_TYPES.items():
            _check_type(key, payload.get(key), kind)
            _check_text(key, payload.get(key), name=key in ("benchmark", "profile"))
    final = payload.get("final") or {}
    _check_type("final.genotype", final.get("genotype"), str)
    _check_text("final.genotype", final.get("genotype"))


def _check_search_identity(payload: dict[str, Any]) -> None:
    """A search run.json names its benchmark, searcher, profile and seed (under config), with their types."""
    config = payload.get("config")
    if not isinstance(config, dict):
        raise ValueError("run.json has no config object")
    for name, kind in _IDENTITY_TYPES.items():
        value = config.get(name, payload.get(name))
        if not isinstance(value, kind) or isinstance(value, bool):
            found = "missing" if value is None else f"a {type(value).__name__}"
            raise ValueError(f"config.{name} is {found}, expected a {kind.__name__}")
        _check_text(f"config.{name}", value, name=True)
    _check_type("config.variant", config.get("variant"), str)
    _check_text("config.variant", config.get("variant"), name=True)


def _check_genotype_text(table: pa.Table) -> None:
    """The epochs' genotype strings hold no control characters (a NUL byte, an escape sequence)."""
    if "genotype" not in table.column_names:
        return
    column = table.column("genotype")
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    if pc.any(pc.match_substring_regex(column, r"[\x00-\x1f\x7f]")).as_py():
        raise ValueError("column genotype holds control characters")


def _merged_schema(table: pa.Table, schema: pa.Schema | None, check_columns: bool) -> pa.Schema:
    """`schema` (of the runs read before) merged with `table`'s; a column of another type is a ValueError.

    With `check_columns`, the epoch columns the report reads must also have their own types, so one odd
    run is skipped wherever it sorts, instead of setting the type the others are held to.
    """
    for name in table.column_names if check_columns else ():
        kind = table.schema.field(name).type
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind)
        if name in _INTEGER_COLUMNS and not (pa.types.is_integer(kind) or pa.types.is_null(kind)):
            raise ValueError(f"column {name} is {kind}, expected integers")
        if (name in _NUMBER_COLUMNS or name.startswith("oracle_")) and not numeric:
            raise ValueError(f"column {name} is {kind}, expected numbers")
        text = kind.value_type if pa.types.is_dictionary(kind) else kind  # a categorical column is text too
        if name == "genotype" and not (pa.types.is_string(text) or pa.types.is_large_string(text)):
            raise ValueError(f"column genotype is {kind}, expected text")
    if schema is None:
        return table.schema
    try:
        return pa.unify_schemas([schema, table.schema], promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid) as err:
        raise ValueError(str(err).splitlines()[0]) from None


def _writer_gone(run_dir: Path) -> bool:
    """Nobody holds the run's lock file (the store format of harness.system.run_lock: flock on LOCK_FILE)."""
    try:  # O_NONBLOCK: a FIFO planted as the lock file must not hang the report
        fd = os.open(run_dir / LOCK_FILE, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return True  # a running writer keeps the file until it has written its final status
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # dropped at close: a probe, not a hold
    except OSError:  # held (BlockingIOError), or a file system without locks: trust run.json
        return False
    finally:
        os.close(fd)
    return True


def _search_fact_row(payload: dict[str, Any], run_path: str) -> dict[str, Any]:
    config = payload.get("config") or {}
    row: dict[str, Any] = {KEY: run_path, "run_id": payload.get("run_id", run_path)}
    for name in ("benchmark", "searcher", "profile", "seed"):
        row[name] = config.get(name, payload.get(name))
    row["variant"] = config.get("variant") or ""
    row.update(flatten(config, "config"))
    rest = {k: v for k, v in payload.items() if k not in ("config", "evaluation")}
    row.update(flatten(rest, "run"))
    evaluation = payload.get("evaluation")
    if isinstance(evaluation, dict):
        row.update({f"eval.{k}": evaluation.get(k) for k in EVAL_FIELDS})
    return row


def _eval_fact_row(payload: dict[str, Any], run_path: str) -> dict[str, Any]:
    final = payload.get("final") or {}
    network = payload.get("network") or {}
    row = {KEY: run_path, "run_id": payload.get("run_id", run_path), "status": payload.get("status")}
    for name in ("benchmark", "profile", "seed", "genotype", "device"):
        row[name] = payload.get(name)
    row["test_error"] = final.get("test_error")
    row["params"] = final.get("params", network.get("params"))
    row["flops"] = final.get("flops", network.get("flops"))
    row["seconds"] = final.get("seconds")
    row["peak_mem_mb"] = final.get("peak_mem_mb")
    return row


def _read_parquet(path: Path, limit: int) -> pa.Table | None:
    """The table in `path` (None if absent), checked first: a regular file under `limit` bytes (no FIFO, device
    or planted huge file)."""
    if not os.path.lexists(path):
        return None
    data = read_bytes(path, limit, path.name)
    # One small file at a time: ParquetFile without threads skips the dataset layer and the thread pool
    # (2-3x faster than pq.read_table on run-sized files).
    with pq.ParquetFile(pa.BufferReader(data)) as handle:
        return handle.read(use_threads=False)


def load_store(folder: str | Path) -> RunStore:
    """Load every run under `folder` (recursively)."""
    folder = Path(folder)
    search_facts, eval_facts, epoch_tables, ranking_tables, skipped = [], [], [], [], []
    schemas: dict[str, pa.Schema | None] = {EPOCHS_FILE: None, RANKING_FILE: None}  # of the runs kept so far
    seen: dict[str, list[tuple[dict[str, Any], pa.Table | None, str]]] = {}  # run_id -> loaded copies
    duplicates: list[str] = []
    for run_dir in sorted(_find_run_dirs(folder), key=lambda p: (len(p.parts), p.as_posix())):
        run_path = run_dir.relative_to(folder).as_posix() or "."
        try:
            _check_text("its folder name", run_path)
            payload = _read_facts(run_dir)
            if payload.get("kind") == "evaluation":
                if not all(isinstance(payload.get(key) or {}, dict) for key in ("final", "network")):
                    raise ValueError("its final or network entry is not an object")
                copy_of = _loaded_copy(seen, payload, None, run_path)
                if copy_of is None:
                    eval_facts.append(_eval_fact_row(payload, run_path))
                else:
                    duplicates.append(f"{run_path} (a copy of {copy_of})")
                continue
            _check_search_identity(payload)
            epochs = _read_parquet(run_dir / EPOCHS_FILE, EPOCHS_LIMIT)
            ranking = _read_parquet(run_dir / RANKING_FILE, RANKING_LIMIT)
            if epochs is not None:
                _check_genotype_text(epochs)
            merged = {}  # into `schemas` only once the whole run is accepted
            for name, table in ((EPOCHS_FILE, epochs), (RANKING_FILE, ranking)):
                if table is not None:
                    merged[name] = _merged_schema(table, schemas[name], check_columns=name == EPOCHS_FILE)
            schemas.update(merged)
        except (OSError, ValueError, NashError, pa.ArrowException) as err:  # JSONDecodeError is a ValueError
            text = str(err).splitlines()[0] if str(err) else ""
            reason = _CONTROL.sub("?", f"{run_dir!s:.300}: {type(err).__name__}: {text}")  # one line, shown raw
            warn(f"skipping damaged run {reason}")
            skipped.append(reason)
            continue
        copy_of = _loaded_copy(seen, payload, epochs, run_path)
        if copy_of is not None:
            duplicates.append(f"{run_path} (a copy of {copy_of})")
            continue
        search_facts.append(_search_fact_row(payload, run_path))
        for table, bucket in ((epochs, epoch_tables), (ranking, ranking_tables)):
            if table is not None and table.num_rows:
                bucket.append(table.append_column(KEY, pa.array([run_path] * table.num_rows, pa.string())))
    facts = pd.DataFrame(search_facts)
    evaluations = pd.DataFrame(eval_facts)
    if len(facts):
        facts = with_settings(_join_evaluations(facts, evaluations))
    epochs = _concat(epoch_tables)
    if len(epochs):
        # Identity comes from the facts (config), so runs written before a column existed still group.
        epochs = epochs.drop(columns=[c for c in (*IDENTITY, "run_id") if c in epochs.columns])
        epochs = epochs.merge(facts, on=KEY, how="inner")
    rankings = _concat(ranking_tables)
    if len(rankings):
        rankings = rankings.merge(facts[[KEY, "run_id", *IDENTITY]], on=KEY, how="inner")
    return RunStore(epochs, facts, evaluations, rankings, skipped, duplicates)


def _loaded_copy(seen: dict, payload: dict[str, Any], epochs: pa.Table | None, run_path: str) -> str | None:
    """The path of an already loaded run this one copies (same run_id, run.json and epochs), else None."""
    copies = seen.setdefault(str(payload.get("run_id", run_path)), [])
    for other_payload, other_epochs, other_path in copies:
        same_epochs = (epochs is None and other_epochs is None) or (
            epochs is not None and other_epochs is not None and epochs.equals(other_epochs)
        )
        if same_epochs and other_payload == payload:
            return other_path
    copies.append((payload, epochs, run_path))
    return None


def _concat(tables: list[pa.Table]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def _normal_genotype(text: Any) -> str:
    return "".join(str(text).split())


def _join_evaluations(facts: pd.DataFrame, evaluations: pd.DataFrame) -> pd.DataFrame:
    """Fill `eval.*` of a search run from an evaluation run of its final genotype (same seed preferred)."""
    for name in EVAL_FIELDS:
        if f"eval.{name}" not in facts.columns:
            facts[f"eval.{name}"] = None
    if not evaluations.empty and "run.final.genotype" in facts.columns:
        _fill_from_evaluation_runs(facts, evaluations)
    for name in EVAL_FIELDS[:-1]:
        facts[f"eval.{name}"] = pd.to_numeric(facts[f"eval.{name}"], errors="coerce")
    return facts


def _fill_from_evaluation_runs(facts: pd.DataFrame, evaluations: pd.DataFrame) -> None:
    done = evaluations[evaluations["status"] == "done"]
    index: dict[tuple, list[dict[str, Any]]] = {}
    for record in done.to_dict("records"):
        key = (record["benchmark"], record["profile"], _normal_genotype(record["genotype"]))
        index.setdefault(key, []).append(record)
    for i, fact in facts.iterrows():
        if pd.notna(fact["eval.test_error"]):
            continue
        matches = index.get((fact["benchmark"], fact["profile"], _normal_genotype(fact["run.final.genotype"])), [])
        if not matches:
            continue
        match = next((m for m in matches if m["seed"] == fact["seed"]), matches[0])
        for name in EVAL_FIELDS:
            facts.at[i, f"eval.{name}"] = match[name]


def load_runs(folder: str | Path) -> pd.DataFrame:
    """Per-epoch rows of every search run under `folder`, joined with their run-level facts."""
    return load_store(folder).epochs


def load_run_facts(folder: str | Path) -> pd.DataFrame:
    """One row per search run under `folder`: flattened config and run facts, with `eval.*`."""
    return load_store(folder).facts
