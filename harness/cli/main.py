"""The `nash` command line. User errors print one line and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys

from benchmarks.errors import NashError
from harness.cli.arguments import add_config_options, add_data_root_option
from harness.system.interrupt import RunInterrupted, install_sigterm_handler
from harness.system.terminal import SafeText


def _add_search(sub) -> None:
    p = sub.add_parser("search", help="run one search: benchmark x searcher x profile x seed")
    p.add_argument("--benchmark", required=True, help="benchmark name (see `nash benchmarks`)")
    p.add_argument("--searcher", required=True, help="searcher name (see `nash searchers`)")
    p.add_argument("--profile", default="quick", help="quick (minutes on a CPU) or paper (published setting)")
    p.add_argument("--seed", type=int, default=0, help="run seed: weights, data order, sampling")
    p.add_argument("--out", default="runs", help="results folder; the run goes to <out>/<run id>/")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="override the profile's number of search epochs (default: the profile's)",
    )
    p.add_argument(
        "--data",
        default=None,
        help="the benchmark's dataset itself on disk (default: found under the data root; for CIFAR-10 also "
        "$NASH_DATA_DIR, and the quick profile's embedded subset)",
    )
    add_data_root_option(p)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument(
        "--oracle",
        default=None,
        help="tabular oracle file (from `nash table build`) (default: $NASH_ORACLE, else the embedded table)",
    )
    add_config_options(p, of_what="the run")
    p.add_argument(
        "--track-eigenvalue",
        type=int,
        default=None,
        metavar="E",
        help="every E epochs (and the last), the dominant Hessian eigenvalue of the val loss w.r.t. the "
        "architecture (column hessian_eigenvalue; same as --set analysis.eigenvalue_every=E; default: the config's, "
        "0 = off)",
    )
    p.add_argument(
        "--rank-every",
        type=int,
        default=None,
        metavar="E",
        help="every E epochs (and the last), Kendall tau of the supernet's ranking of a fixed sample of cells vs the "
        "table (NB201 benchmarks; column supernet_kendall_tau, cells in ranking.parquet; default: the config's, "
        "0 = off)",
    )
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="torch's deterministic algorithms, no cudnn autotuning (same seed, same rows); run.json records it",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from the run's last epoch checkpoint (starts fresh when there is none; a done run is skipped)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a finished run with the same id")
    p.add_argument(
        "--evaluate",
        action="store_true",
        help="then train the final genotype from scratch with the benchmark's evaluation protocol "
        "(DARTS-family benchmarks; same as `nash evaluate`)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_search)


def _run_search(args) -> int:
    from harness.cli.search import search_command

    return search_command(args)


def _add_demo(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="darts, gdas, pcdarts and rome on nb201-cifar10 with one arch-step budget (study profile), "
        "then whether each cell collapsed",
    )
    p.add_argument(
        "--searchers",
        default=None,
        help="comma-separated searchers to run instead of the demo's four (default: darts,gdas,pcdarts,rome)",
    )
    p.add_argument("--out", default="runs/demo", help="results folder (finished demo runs are replaced)")
    p.add_argument("--seed", type=int, default=0, help="seed of every demo run")
    add_data_root_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    from harness.cli.demo import demo_command

    return demo_command(args)


def _add_listings(sub) -> None:
    from harness.cli.listings import list_benchmarks, list_searchers

    sub.add_parser("benchmarks", help="list benchmarks and their profiles").set_defaults(func=list_benchmarks)
    sub.add_parser("searchers", help="list searchers").set_defaults(func=list_searchers)


class _DefaultsFormatter(argparse.HelpFormatter):
    """Ends an option's help with "(default: X)" unless the text already says what its default is."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == []
        if not action.option_strings or "default" in text.lower() or unset or action.default is argparse.SUPPRESS:
            return text  # options without a value to show say in words what happens when omitted (a test checks)
        return f"{text} (default: %(default)s)"


class NashParser(argparse.ArgumentParser):
    """Every `nash` parser, sub-commands included (they inherit the class), shows option defaults."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)


def nash_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nas-harness")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from harness.cli import evaluate as cli_evaluate
    from harness.cli import profile as cli_profile
    from harness.cli import report as cli_report
    from harness.cli import sweep as cli_sweep
    from harness.cli import table as cli_table

    parser = NashParser(prog="nash", description="nash, the NAS harness")
    parser.add_argument("--version", action="version", version=f"%(prog)s {nash_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_search(sub)
    _add_demo(sub)
    cli_evaluate.add_parser(sub)
    cli_table.add_query_parser(sub)
    cli_table.add_parser(sub)
    cli_report.add_parser(sub)
    cli_sweep.add_parsers(sub)
    cli_profile.add_parser(sub)
    _add_listings(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    install_sigterm_handler()  # first: a SIGTERM while the parser is built still ends with one line
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeText(sys.stdout), SafeText(sys.stderr)  # run-file text shown, never obeyed
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at interpreter exit
        return code
    except NashError as err:
        print(f"nash: error: {err}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, RunInterrupted):
        print("nash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`nash benchmarks | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except OSError as err:  # a file system refusal no check foresaw (a 300-character --out, a vanished folder)
        where = f"{err.filename}: " if err.filename else ""
        print(f"nash: error: {where}{err.strerror or err}; check the path and its permissions", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
