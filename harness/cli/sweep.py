"""`nash sweep` (searchers × benchmarks × seeds, or a preset) and `nash status` (the manifest's table).

nash sweep --searchers darts,gdas,pcdarts,rome --benchmarks nb201-cifar10,s2-cifar10 --seeds 0-2 --out runs/
nash sweep --preset rome-ablation --profile quick --seeds 0 --out runs/ablation
nash status runs/
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError


def add_parsers(subparsers: Any) -> None:
    from harness.cli.arguments import add_config_options, add_data_root_option
    from harness.sweep.executors import EXECUTORS
    from harness.sweep.presets import preset_names

    p = subparsers.add_parser(
        "sweep",
        help="run searchers x benchmarks x seeds (or a preset); re-running skips done cells, retries failed ones",
    )
    p.add_argument(
        "--searchers", default=None, help="comma-separated, e.g. darts,gdas,pcdarts,rome (default: the preset's)"
    )
    p.add_argument(
        "--benchmarks", default=None, help="comma-separated, e.g. nb201-cifar10,s2-cifar10 (default: the preset's)"
    )
    p.add_argument("--seeds", default=None, help="a range 0-2 or a list 0,3,5 (default 0, or the preset's)")
    p.add_argument("--profile", default=None, help="quick or paper (default quick, or the preset's)")
    p.add_argument(
        "--preset",
        default=None,
        help=f"a study shipped as data: {', '.join(preset_names())} (or a .toml file); flags given override it "
        "(default: none)",
    )
    p.add_argument("--out", default="runs", help="results folder: <out>/<run id>/ per cell and <out>/sweep.json")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="search epochs of every cell, overriding profile and preset (default: the profile's or preset's)",
    )
    add_config_options(p, of_what="every cell")
    p.add_argument("--deterministic", action="store_true", help="every cell in torch's deterministic mode")
    add_data_root_option(p)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (of every cell)")
    p.add_argument("--jobs", type=int, default=None, help="cells at once (local default 1; ray: what the cluster fits)")
    p.add_argument("--executor", default="local", choices=EXECUTORS, help="local child processes, or Ray tasks")
    p.add_argument(
        "--address", default=None, help="Ray cluster address, e.g. head:6379 (default: a local Ray instance)"
    )
    p.add_argument("--gpus-per-run", type=float, default=0.0, help="GPUs a Ray task asks for (default 0: CPU)")
    p.add_argument(
        "--reclaim",
        action="store_true",
        help="also take over cells claimed from other hosts (a resubmitted job; only when no other sweep runs)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars or per-epoch lines")
    p.set_defaults(func=sweep_command)

    s = subparsers.add_parser(
        "status", help="the state of every cell of a sweep folder, or of every run in a results folder"
    )
    s.add_argument("out", help="the --out folder of nash sweep (or of nash search / evaluate)")
    s.set_defaults(func=status_command)


def sweep_command(args: argparse.Namespace) -> int:
    from harness.sweep.executors import ExecutorOptions
    from harness.sweep.plan import plan_sweep
    from harness.sweep.ray_executor import INSTALL_HINT
    from harness.sweep.runner import run_sweep

    cells = plan_sweep(request_from_args(args))  # every cell validated before anything is written
    if args.executor == "ray" and importlib.util.find_spec("ray") is None:
        raise NashError(INSTALL_HINT)
    options = ExecutorOptions(
        kind=args.executor,
        jobs=args.jobs,
        address=args.address,
        gpus_per_run=args.gpus_per_run,
        progress=not args.no_progress,
    )
    return run_sweep(cells, Path(args.out), options, reclaim=args.reclaim).exit_code


def request_from_args(args: argparse.Namespace):
    """The sweep the flags ask for: a preset's searchers, benchmarks, seeds and profile unless flags say otherwise."""
    from harness.cli.arguments import config_overrides
    from harness.config.file import read_config_file
    from harness.sweep.plan import SweepRequest, parse_names, parse_seeds
    from harness.sweep.presets import load_preset, preset_names

    preset = load_preset(args.preset) if args.preset else None
    searchers = parse_names(args.searchers) if args.searchers else (preset.searchers if preset else [])
    benchmarks = parse_names(args.benchmarks) if args.benchmarks else (preset.benchmarks if preset else [])
    if not searchers or not benchmarks:
        raise NashError(
            f"nash sweep needs --searchers and --benchmarks, or --preset NAME ({', '.join(preset_names())})"
        )
    return SweepRequest(
        searchers=searchers,
        benchmarks=benchmarks,
        seeds=parse_seeds(args.seeds if args.seeds is not None else (preset.seeds if preset else "0")),
        profile=args.profile or (preset.profile if preset else "quick"),
        epochs=args.epochs,
        overrides=config_overrides(args),
        data_root=str(Path(args.data_root).resolve()) if args.data_root else None,
        device=args.device,
        preset=preset,
        config_file=args.config,
        config_values=read_config_file(args.config) if args.config else {},
        deterministic=args.deterministic,
    )


def status_command(args: argparse.Namespace) -> int:
    from harness.sweep.manifest import MANIFEST_FILE, Manifest
    from harness.system.run_status import find_runs, format_runs_status

    out = Path(args.out)
    if not (out / MANIFEST_FILE).exists():  # no sweep: the runs themselves
        runs = find_runs(out) if out.is_dir() else []
        if not runs:
            raise NashError(
                f"no sweep manifest ({MANIFEST_FILE}) and no runs (run.json) in {out}; "
                "start one with `nash sweep --out` or `nash search --out`"
            )
        print(format_runs_status(out, runs))
        return 0
    print(format_status(Manifest(out).read()))
    return 0


def format_status(manifest: dict[str, Any]) -> str:
    """The table (cell, state, seconds, error) and the totals."""
    from harness.run.progress import format_seconds
    from harness.sweep.manifest import STATES, claim_is_stale

    cells = manifest["cells"]
    width = max([len("cell"), *(len(cell_id) for cell_id in cells)])
    lines = [f"{'cell':<{width}}  {'state':<11}  {'seconds':>8}  error / note"]
    for cell_id, cell in cells.items():
        state = cell["state"]
        seconds = f"{cell['seconds']:.1f}" if "seconds" in cell and state in ("done", "failed") else ""
        note = cell.get("error") or cell.get("note") or ""
        if state == "running":
            since = format_seconds(time.time() - cell["started"])
            note = f"on {cell['host']} pid {cell['pid']} for {since}"
            if claim_is_stale(cell):  # its process died: shown as interrupted, not as running
                state, note = "interrupted", f"{note}; claim stale: process gone, the next sweep resumes it"
        lines.append(f"{cell_id:<{width}}  {state:<11}  {seconds:>8}  {note}".rstrip())
    counts = {state: sum(c["state"] == state for c in cells.values()) for state in STATES}
    counts["interrupted"] = sum(claim_is_stale(c) for c in cells.values())
    counts["running"] -= counts["interrupted"]
    shown = [*STATES, "interrupted"] if counts["interrupted"] else STATES
    total_seconds = sum(c.get("seconds", 0.0) for c in cells.values() if c["state"] == "done")
    lines.append(
        f"{len(cells)} cells: " + ", ".join(f"{counts[s]} {s}" for s in shown) + f"; {format_seconds(total_seconds)} "
        "in done cells"
    )
    return "\n".join(lines)
