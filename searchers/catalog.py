"""Which searchers exist and what each does, without importing them (no torch).

`nash searchers`, `nash --help` and reports need the names and one-line descriptions, not the
classes: importing a searcher imports torch (seconds of CPU). The built-in searchers are named
here with the module that defines them (`searchers.registry` imports them and a test checks the
two agree). Plug-ins are found through the `nash.searchers` entry-point group, read from package
metadata without loading them: a plug-in is listed by its entry point and package, and imported
only when a run uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

ENTRY_POINT_GROUP = "nash.searchers"


@dataclass(frozen=True)
class SearcherInfo:
    name: str
    target: str  # "module:Class", imported only when the searcher runs
    description: str


BUILTIN_SEARCHERS: dict[str, SearcherInfo] = {
    info.name: info
    for info in (
        SearcherInfo(
            "darts",
            "searchers.darts:Darts",
            "DARTS, first order: softmax mixture of all ops on every edge (Liu et al., ICLR 2019)",
        ),
        SearcherInfo(
            "darts-v2",
            "searchers.darts:DartsSecondOrder",
            "DARTS, second order: arch gradient after a virtual weight step, finite-difference Hessian",
        ),
        SearcherInfo(
            "gdas",
            "searchers.gdas:Gdas",
            "GDAS: one Gumbel-sampled op per edge, straight-through, tau 10 -> 0.1 (Dong & Yang, CVPR 2019)",
        ),
        SearcherInfo(
            "pcdarts",
            "searchers.pcdarts:PcDarts",
            "PC-DARTS: 1/k of the channels through the mixed op, edge normalisation, warm-up (Xu et al., 2020)",
        ),
        SearcherInfo(
            "rome",
            "searchers.rome:Rome",
            "ROME: GDAS single path, 2 sampled inputs per node, K-sample grad accumulation (Wang et al., ICCV 2023)",
        ),
    )
}

BUILTIN_DESCRIPTIONS: dict[str, str] = {name: info.description for name, info in BUILTIN_SEARCHERS.items()}


def plugin_entry_points() -> list[EntryPoint]:
    """Installed plug-in searchers (entry points of ENTRY_POINT_GROUP), not loaded; built-in names win."""
    return [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in BUILTIN_SEARCHERS]


def searcher_descriptions() -> dict[str, str]:
    """Every searcher's name and one line about it, built-ins first; imports no searcher."""
    described = dict(BUILTIN_DESCRIPTIONS)
    for ep in plugin_entry_points():
        package = f"package {ep.dist.name} {ep.dist.version}" if ep.dist is not None else "plug-in"
        described.setdefault(ep.name, f"plug-in {ep.value} ({package})")
    return described
