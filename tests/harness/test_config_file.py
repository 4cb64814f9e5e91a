"""Config precedence (profile < --config FILE < --epochs < --set), typed fields, unknown keys as errors."""

import dataclasses
import json
import textwrap
from typing import get_args, get_type_hints

import pytest

from benchmarks.batches.arch_sampling import ARCH_SAMPLINGS
from benchmarks.errors import NashError
from harness.cli.main import build_parser, main
from harness.cli.search import search_config_from_args
from harness.config.file import apply_config_file
from harness.config.run_config import apply_overrides, resolve_config
from searchers.registry import get_searcher


def write(tmp_path, text: str):
    path = tmp_path / "run.toml"
    path.write_text(textwrap.dedent(text))
    return path


def config_from(*argv: str, searcher: str = "gdas"):
    args = build_parser().parse_args(["search", "--benchmark", "nb201-cifar10", "--searcher", searcher, *argv])
    return search_config_from_args(args)


def test_file_applies_after_the_profile_and_before_set(tmp_path):
    path = write(
        tmp_path,
        """
        deterministic = true
        device = "cpu"
        [train]
        batch_size = 128
        lr = 1            # an integer is a fine float
        epochs = 7
        [network]
        channels = 12
        [data]
        train_per_class = "none"
        augment = false
        [searcher]
        tau_max = 5.0
        """,
    )
    config = config_from("--config", str(path), "--set", "network.channels=20")
    assert config.train.batch_size == 128 and config.train.lr == 1.0 and isinstance(config.train.lr, float)
    assert config.train.epochs == 7 and config.deterministic and config.device == "cpu"
    assert config.network.channels == 20  # --set wins over the file
    assert config.data.train_per_class is None and config.data.augment is False
    assert config.searcher_options["tau_max"] == 5.0
    assert config.train.arch_lr == resolve_config("nb201-cifar10", "gdas").train.arch_lr  # untouched: the profile's
    assert config_from("--config", str(path), "--epochs", "2").train.epochs == 2  # --epochs wins over the file


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[train]\nbatch_sise = 3\n", "key 'train.batch_sise': unknown field 'batch_sise' of train"),
        ("[searcher]\nk = 3\n", "key 'searcher.k': gdas has no option 'k'"),
        ("colour = 'red'\n", "key 'colour': unknown key; valid: deterministic, device, [network]"),
        ("seed = 3\n", "the run's seed is chosen on the command line"),
        ("epochs = 3\n", "use [train] epochs = N"),
        ("[train]\nbatch_size = 1.5\n", "1.5 is not a valid int"),
        ("[train]\nnesterov = 'yes'\n", "'yes' is not a valid bool"),
        ("deterministic = 1\n", "1 is not a valid bool"),
        ("train = 3\n", "expected a [train] table"),
        ("[train\n", "is not valid TOML"),
    ],
)
def test_bad_files_are_one_line_naming_the_file(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(NashError) as err:
        apply_config_file(resolve_config("nb201-cifar10", "gdas"), path)
    message = str(err.value)
    assert fragment in message and str(path) in message and "\n" not in message


def test_missing_file_is_one_line(tmp_path, capsys):
    argv = ["search", "--benchmark", "nb201-cifar10", "--searcher", "gdas", "--out", str(tmp_path)]
    assert main([*argv, "--config", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err.strip() == f"nash: error: cannot read config file {tmp_path / 'nope.toml'}: " + (
        "No such file or directory"
    )


def _changed(value, choices=()):
    """A different valid value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value else 0.5
    if value is None:
        return 7  # the optional per-class counts
    return next(choice for choice in choices if choice != value)


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_every_profile_field_can_be_set_from_the_command_line(profile):
    """`--set section.field=value` reaches every field of network, train and data, parsed by the field's type."""
    config = resolve_config("nb201-cifar100", "gdas", profile, data="/datasets/cifar-100-python")
    for section in ("network", "train", "data"):
        for field in dataclasses.fields(getattr(config, section)):
            choices = ("cifar", "imagenet") if field.name == "stem" else ("embedded", "/elsewhere")  # stems are checked
            new = _changed(getattr(getattr(config, section), field.name), choices=choices)
            if field.name == "arch_sampling":  # unset (the space's reference) -> a named draw
                new = ARCH_SAMPLINGS[-1]
            text = str(new).lower() if isinstance(new, bool) else str(new)
            changed = apply_overrides(config, [f"{section}.{field.name}={text}"])
            assert getattr(getattr(changed, section), field.name) == new, (section, field.name)
            assert type(getattr(getattr(changed, section), field.name)) is type(new)


@pytest.mark.parametrize("searcher", ["darts", "darts-v2", "gdas", "pcdarts", "rome"])
def test_every_searcher_option_can_be_set_from_the_command_line(searcher):
    config = resolve_config("s2-cifar10", searcher, "quick")
    hints = get_type_hints(get_searcher(searcher).options_type)
    for name, value in config.searcher_options.items():
        # An unset optional switch (None = the space's reference behaviour) is changed to true.
        new = True if value is None and bool in get_args(hints[name]) else _changed(value, choices=("top2", "pairs"))
        text = str(new).lower() if isinstance(new, bool) else str(new)
        assert apply_overrides(config, [f"searcher.{name}={text}"]).searcher_options[name] == new, name


def test_run_json_stores_the_resolved_config(tmp_path, capsys):
    path = write(tmp_path, "[train]\nbatch_size = 16\n[network]\nchannels = 4\n[data]\ntrain_per_class = 8\n")
    argv = [
        "search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "1", "--device", "cpu",
        "--no-progress", "--out", str(tmp_path), "--config", str(path), "--set", "train.arch_lr=0.002",
    ]  # fmt: skip
    assert main(argv) == 0
    stored = json.loads((tmp_path / "nb201-cifar10__darts__quick__seed0" / "run.json").read_text())["config"]
    expected = config_from(*argv[5:], searcher="darts")
    assert stored == json.loads(json.dumps(expected.to_dict()))
    assert stored["train"]["batch_size"] == 16 and stored["train"]["arch_lr"] == 0.002
    assert stored["deterministic"] is False and stored["device"] == "cpu"
