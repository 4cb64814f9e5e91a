"""Searchers from other installed packages, found through Python entry points (`nash.searchers`).

A package declares its searcher class in its pyproject.toml (docs/PLUGINS.md has a whole example):

    [project.entry-points."nash.searchers"]
    darts-tau = "my_package.searcher:TemperedDarts"

and, once installed, it is listed by `nash searchers` and runs under `nash search` and `nash sweep`
like a built-in one. A plug-in that cannot be imported or breaks the contract is left out; its
problem is one line naming the entry point, and every other searcher keeps working.

Importing this module costs no torch: entry points are read from the installed metadata, and a
plug-in (which imports torch itself) is only imported by `load_plugins`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points

ENTRY_POINT_GROUP = "nash.searchers"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")  # and no "__": run ids join their parts with it


def plugin_entry_points() -> list[EntryPoint]:
    """The installed `nash.searchers` entry points, by name (nothing imported)."""
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))


def origin(ep: EntryPoint) -> dict[str, str]:
    """Where a plug-in comes from, for run.json: its distribution and version, and the entry point."""
    dist = getattr(ep, "dist", None)
    found = {"entry_point": f"{ep.name} = {ep.value}"}
    if dist is not None:
        found.update(distribution=dist.metadata["Name"], version=dist.version)
    return found


def describe(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    origin = f", from {dist.metadata['Name']} {dist.version}" if dist is not None else ""
    return f"searcher plug-in {ep.name!r} (entry point {ep.name} = {ep.value}{origin})"


def load_plugins(
    builtins: Mapping[str, type], found: Iterable[EntryPoint] | None = None
) -> tuple[dict[str, type], dict[str, str]]:
    """Import every plug-in: ({name: class} of those that follow the contract, {name: one-line problem})."""
    loaded: dict[str, type] = {}
    problems: dict[str, str] = {}
    for ep in plugin_entry_points() if found is None else found:
        if ep.name in loaded or ep.name in problems:
            problems[ep.name] = f"{describe(ep)} is declared more than once; uninstall one of the packages"
            loaded.pop(ep.name, None)
            continue
        try:
            obj = ep.load()
        except (Exception, SystemExit) as err:  # noqa: BLE001 - whatever a broken plug-in raises, leave it out
            problems[ep.name] = f"{describe(ep)} failed to import: {_one_line(err)}"
            continue
        problem = contract_problem(ep.name, obj, builtins)
        if problem:
            problems[ep.name] = f"{describe(ep)} {problem}"
        else:
            loaded[ep.name] = obj
    return loaded, problems


def contract_problem(name: str, obj: object, builtins: Mapping[str, type]) -> str | None:
    """What keeps `obj` from being the searcher `name`, as the rest of a sentence; None if nothing."""
    from benchmarks.registry.spaces import SPACE_NAMES
    from searchers.base import Searcher

    if name in builtins:
        return f"would replace the built-in searcher {name!r}; give the entry point another name"
    if not _NAME.fullmatch(name) or "__" in name:
        return "has an invalid name: use lower-case letters, digits, '-', '.' and single '_' (run ids join on '__')"
    if not (inspect.isclass(obj) and issubclass(obj, Searcher)):
        return f"loads {obj!r}, which is not a subclass of searchers.base.Searcher"
    if inspect.isabstract(obj):
        return f"loads {obj.__name__}, which does not implement {', '.join(sorted(obj.__abstractmethods__))}"
    if getattr(obj, "name", None) != name:
        return f"loads {obj.__name__}, whose `name` is {getattr(obj, 'name', None)!r}; it must be {name!r}"
    options_type = getattr(obj, "options_type", None)
    if not (inspect.isclass(options_type) and dataclasses.is_dataclass(options_type)):
        return f"loads {obj.__name__}, whose `options_type` is not a dataclass"
    try:
        options_type()
    except Exception as err:  # noqa: BLE001 - a plug-in's own validation may raise anything
        return f"loads {obj.__name__}, whose default options are refused: {_one_line(err)}"
    unknown = [space for space in getattr(obj, "spaces", ()) if space not in SPACE_NAMES]
    if unknown or not getattr(obj, "spaces", ()):
        return f"loads {obj.__name__}, whose `spaces` must name some of {', '.join(SPACE_NAMES)}"
    return None


def first_line(cls: type) -> str:
    """A plug-in's description: its `description` attribute, else its own docstring's first line."""
    text = getattr(cls, "description", None) or cls.__dict__.get("__doc__") or "(no description)"
    return text.strip().splitlines()[0]


def _one_line(err: BaseException) -> str:
    return " ".join(f"{type(err).__name__}: {err}".split())[:300]
