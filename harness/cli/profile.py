"""`nash profile`: time per step, images/s and peak memory of each searcher, with ratios to DARTS."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from benchmarks.errors import NashError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "profile",
        help="time per search step, images/s and peak memory per searcher (ratios to DARTS), table or JSON",
    )
    p.add_argument("--benchmark", default="nb201-cifar10", help="supernet and searcher options of this benchmark")
    p.add_argument("--profile", default="paper", choices=("paper", "quick"), help="the benchmark profile to use")
    p.add_argument("--searchers", default=None, help="comma-separated (default: every registered searcher)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per searcher (the median is reported)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--batch", type=int, default=64, help="images per train batch (and per val batch)")
    p.add_argument("--size", type=int, default=32, help="image height and width (16 for ImageNet16-120)")
    p.add_argument("--channels", type=int, default=None, help="supernet C (default: the profile's)")
    p.add_argument("--cells", type=int, default=None, help="NB201 cells per stage N (default: the profile's)")
    p.add_argument("--layers", type=int, default=None, help="DARTS-space cells (default: the profile's)")
    p.add_argument("--precision", default="fp32", help="fp32 or bf16 (autocast around the forward passes)")
    p.add_argument("--channels-last", action="store_true", help="network and batches in NHWC memory layout")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="where to time the steps")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--format", default="table", choices=("table", "json"), help="what to print")
    p.add_argument(
        "--json",
        dest="json_file",
        default=None,
        metavar="FILE",
        help="also write the results as JSON (default: print only)",
    )
    p.set_defaults(func=profile_command)


def profile_command(args) -> int:
    from harness.instruments.profiling import ProfileSpec, format_report, profile_searchers, resolve_profile_device
    from searchers.registry import SEARCHERS, get_searcher

    spec = ProfileSpec(
        benchmark=args.benchmark,
        profile=args.profile,
        batch=args.batch,
        size=args.size,
        warmup=args.warmup,
        steps=args.steps,
        channels=args.channels,
        cells=args.cells,
        layers=args.layers,
        precision=args.precision,
        channels_last=args.channels_last,
        threads=args.threads,
    )
    names = [n.strip() for n in (args.searchers or ",".join(SEARCHERS)).split(",") if n.strip()]
    if not names:
        raise NashError("--searchers names no searcher; give a comma-separated list, e.g. darts,gdas")
    for name in names:
        get_searcher(name)  # an unknown name fails before anything runs
    if args.json_file:
        _check_writable(Path(args.json_file))  # before minutes of profiling, not after
    report = profile_searchers(spec, names, resolve_profile_device(args.device))
    text = json.dumps(report, indent=2)
    if args.json_file:
        from harness.system.store import atomic_write

        atomic_write(Path(args.json_file), lambda handle: handle.write((text + "\n").encode()))
    print(text if args.format == "json" else format_report(report))
    return 0


def _check_writable(path: Path) -> None:
    """A file can be created beside `path` (and removed again); else the one-line NashError."""
    if not path.parent.is_dir():
        raise NashError(f"--json {path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise NashError(f"--json {path} is a folder; name a file")
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"):
            pass
    except OSError as err:
        raise NashError(f"--json {path}: cannot write in {path.parent} ({err.strerror}); choose another file") from None
