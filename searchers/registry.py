"""The searchers nash knows, by the name used on the command line and in result files.

The built-in ones, then the plug-ins of installed packages (entry-point group `nash.searchers`,
`searchers.plugins`). A plug-in that fails to import or breaks the contract is left out of
SEARCHERS; its one-line problem is in PLUGIN_PROBLEMS (`nash searchers` prints it, and naming
that searcher anywhere is that error).
"""

from __future__ import annotations

from benchmarks.errors import NashError
from searchers.base import Searcher
from searchers.catalog import BUILTIN_DESCRIPTIONS
from searchers.darts import Darts, DartsSecondOrder
from searchers.darts_ada import DartsAda
from searchers.darts_es import DartsEs
from searchers.darts_minus import DartsMinus
from searchers.drnas import DrNas
from searchers.gdas import Gdas
from searchers.pcdarts import PcDarts
from searchers.plugins import first_line, load_plugins, origin, plugin_entry_points
from searchers.rome import Rome
from searchers.sdarts import SdartsRs

BUILTIN_SEARCHERS: dict[str, type[Searcher]] = {
    cls.name: cls
    for cls in (Darts, DartsSecondOrder, Gdas, PcDarts, Rome, DartsEs, DartsAda, SdartsRs, DartsMinus, DrNas)
}

DESCRIPTIONS = dict(BUILTIN_DESCRIPTIONS)  # one copy, in the torch-free catalog (`nash searchers`)

_PLUGINS, PLUGIN_PROBLEMS = load_plugins(BUILTIN_SEARCHERS)
# Per loaded plug-in: its distribution, version and entry point (a run's run.json records its searcher's).
PLUGIN_ORIGINS = {ep.name: origin(ep) for ep in plugin_entry_points() if ep.name in _PLUGINS}
SEARCHERS: dict[str, type[Searcher]] = {**BUILTIN_SEARCHERS, **_PLUGINS}
DESCRIPTIONS.update({name: f"{first_line(cls)} [plug-in]" for name, cls in _PLUGINS.items()})


def get_searcher(name: str) -> type[Searcher]:
    try:
        return SEARCHERS[name]
    except KeyError:
        if name in PLUGIN_PROBLEMS:
            raise NashError(PLUGIN_PROBLEMS[name]) from None
        raise NashError(f"unknown searcher {name!r}; valid searchers: {', '.join(SEARCHERS)}") from None
