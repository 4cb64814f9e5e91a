"""`--config FILE`: a TOML file of config fields, applied after the profile and before `--set`.

```toml
deterministic = true          # top-level: deterministic, device
[train]
batch_size = 128
[network]
channels = 16
[data]
train_per_class = "none"      # TOML has no null: the text "none" clears an optional field
[searcher]
k = 3
```

The run's identity (benchmark, searcher, profile, seed) stays on the command line: it names the
run folder and is what a sweep varies, so a file cannot change it behind the run id's back.
Epochs are `[train] epochs`; `--epochs` on the command line wins over the file.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from benchmarks.errors import NashError
from benchmarks.safe_files import MIB, read_bytes
from harness.config.objects import RunObjects
from harness.config.run_config import SECTIONS, RunConfig, set_field

TOP_LEVEL = ("deterministic", "device")
COMMAND_LINE_ONLY = ("benchmark", "searcher", "profile", "seed", "epochs")
# A config file sets a few dozen fields (a few kB); 1 MiB is far beyond any real one and still parses in a blink.
CONFIG_FILE_LIMIT = 1 * MIB


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The file's tables as a dict; a missing, odd (FIFO, device, folder), oversized or malformed file is a
    one-line NashError."""
    data = read_bytes(path, CONFIG_FILE_LIMIT, "config file")  # never blocks on a FIFO, never reads GBs
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise NashError(f"config file {path} is not valid TOML: {err}") from None
    except UnicodeDecodeError as err:  # TOML is UTF-8 by definition
        raise NashError(f"config file {path} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except RecursionError:  # tomllib recurses per nested array or inline table: the stack bounds the nesting
        raise NashError(f"config file {path} nests its values too deeply to be a config file") from None


def apply_config_file(config: RunConfig, path: str | Path, objects: RunObjects | None = None) -> RunConfig:
    """`config` with every key of the file applied; unknown keys name themselves and the file."""
    return apply_config_values(config, read_config_file(path), path, objects)


def apply_config_values(
    config: RunConfig, values: dict[str, Any], path: str | Path, objects: RunObjects | None = None
) -> RunConfig:
    """`config` with the parsed keys of config file `path` applied (a sweep parses once, cells apply);
    `objects`: the run's, when the caller resolved them."""
    for key, value in values.items():
        where = f"config file {path}, key {key!r}"
        if key in SECTIONS:
            if not isinstance(value, dict):
                raise NashError(f"{where}: expected a [{key}] table of fields")
            for name, field_value in value.items():
                where = f"config file {path}, key '{key}.{name}'"
                config = set_field(config, key, name, field_value, where, objects)
        elif key in TOP_LEVEL:
            config = _set_top_level(config, key, value, where)
        elif key in COMMAND_LINE_ONLY:
            hint = "[train] epochs = N" if key == "epochs" else f"--{key}"
            raise NashError(f"{where}: the run's {key} is chosen on the command line, not in a file; use {hint}")
        else:
            valid = ", ".join([*TOP_LEVEL, *(f"[{s}]" for s in SECTIONS)])
            raise NashError(f"{where}: unknown key; valid: {valid}")
    return config


def _set_top_level(config: RunConfig, key: str, value: Any, where: str) -> RunConfig:
    expected = bool if key == "deterministic" else str
    if type(value) is not expected:
        raise NashError(f"{where}: {value!r} is not a valid {expected.__name__}")
    return dataclasses.replace(config, **{key: value})
