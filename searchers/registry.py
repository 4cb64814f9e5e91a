"""The searchers nash knows, by the name used on the command line and in result files.

The built-in ones, then the plug-ins of installed packages (entry-point group `nash.searchers`,
`searchers.plugins`). A plug-in that fails to import or breaks the contract is left out of
SEARCHERS; its one-line problem is in PLUGIN_PROBLEMS (`nash searchers` prints it, and naming
that searcher anywhere is that error).
"""

from __future__ import annotations

from benchmarks.errors import NashError
from searchers.base import Searcher
from searchers.darts import Darts, DartsSecondOrder
from searchers.darts_ada import DartsAda
from searchers.darts_es import DartsEs
from searchers.darts_minus import DartsMinus
from searchers.drnas import DrNas
from searchers.gdas import Gdas
from searchers.pcdarts import PcDarts
from searchers.plugins import first_line, load_plugins
from searchers.rome import Rome
from searchers.sdarts import SdartsRs

BUILTIN_SEARCHERS: dict[str, type[Searcher]] = {
    cls.name: cls
    for cls in (Darts, DartsSecondOrder, Gdas, PcDarts, Rome, DartsEs, DartsAda, SdartsRs, DartsMinus, DrNas)
}

DESCRIPTIONS = {
    "darts": "DARTS, first order: softmax mixture of all ops on every edge (Liu et al., ICLR 2019)",
    "darts-v2": "DARTS, second order: arch gradient after a virtual weight step, finite-difference Hessian",
    "gdas": "GDAS: one Gumbel-sampled op per edge, straight-through, tau 10 -> 0.1 (Dong & Yang, CVPR 2019)",
    "pcdarts": "PC-DARTS: 1/k of the channels through the mixed op, edge normalisation, warm-up (Xu et al., 2020)",
    "rome": "ROME: GDAS single path, 2 sampled inputs per node, K-sample grad accumulation (Wang et al., ICCV 2023)",
    "darts-es": "DARTS-ES: DARTS 2nd order stopped by the Hessian-eigenvalue rule (Zela et al., ICLR 2020)",
    "darts-ada": "DARTS-ADA: on the eigenvalue rule, roll back, weight decay x10 up to 0.03 (Zela et al., 2020)",
    "sdarts-rs": "SDARTS-RS: weight step on softmax(alpha) + uniform noise, eps 0.03 -> 0.3 (Chen & Hsieh, ICML 2020)",
    "darts-minus": "DARTS-: an auxiliary skip on every edge, its weight decaying 1 -> 0 (Chu et al., ICLR 2021)",
    "drnas": "DrNAS: edge weights drawn from Dirichlet(ELU(alpha)+1), pathwise gradient (Chen et al., ICLR 2021)",
}

_PLUGINS, PLUGIN_PROBLEMS = load_plugins(BUILTIN_SEARCHERS)
SEARCHERS: dict[str, type[Searcher]] = {**BUILTIN_SEARCHERS, **_PLUGINS}
DESCRIPTIONS.update({name: f"{first_line(cls)} [plug-in]" for name, cls in _PLUGINS.items()})


def get_searcher(name: str) -> type[Searcher]:
    try:
        return SEARCHERS[name]
    except KeyError:
        if name in PLUGIN_PROBLEMS:
            raise NashError(PLUGIN_PROBLEMS[name]) from None
        raise NashError(f"unknown searcher {name!r}; valid searchers: {', '.join(SEARCHERS)}") from None
