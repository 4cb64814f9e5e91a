"""Options several `nash` commands share: --config / --set / --log, and --data-root."""

from __future__ import annotations


def add_config_options(p, of_what: str) -> None:
    """--config FILE and --set SECTION.FIELD=VALUE, shared by `nash search` and `nash sweep`."""
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help=f"TOML file of config fields of {of_what} ([train], [network], [data], [analysis], [perf], [log], "
        "[searcher] tables; deterministic, device), applied after the profile, before --set (default: none)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help=f"override one config field of {of_what}, e.g. train.arch_lr=3e-4 or network.channels=16 "
        "(repeatable; default: none)",
    )
    p.add_argument(
        "--log",
        action="append",
        default=[],
        choices=("tensorboard", "wandb"),
        help="also send each epoch's row to TensorBoard (<run dir>/tensorboard/) or W&B (repeatable; same as "
        "--set log.tensorboard=true; default: neither)",
    )


def config_overrides(args) -> list[str]:
    """--set assignments, then --log's as log.<tracker>=true."""
    return [*args.overrides, *(f"log.{tracker}=true" for tracker in args.log)]


def add_data_root_option(p) -> None:
    p.add_argument(
        "--data-root",
        default=None,
        metavar="DIR",
        help="folder of datasets: cifar-10-batches-py, cifar-100-python, svhn, ImageNet16, imagenet, fashion-mnist "
        "(default: $NASH_DATA_ROOT; layout in docs/DATA.md)",
    )
