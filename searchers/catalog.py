"""Which searchers exist and what each does, without importing them (no torch).

`nash searchers`, `nash --help` and reports need the names and one-line descriptions, not the
classes: importing a searcher imports torch (seconds of CPU). The built-in searchers are named
here with the module that defines them (`searchers.registry` imports them and a test checks the
two agree). Plug-ins are found through the `nash.searchers` entry-point group, read from package
metadata without loading them; `nash searchers` imports them (and torch) only when some are
installed, to check each against the contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from searchers.plugins import describe, plugin_entry_points


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
        SearcherInfo(
            "darts-es",
            "searchers.darts_es:DartsEs",
            "DARTS-ES: DARTS 2nd order stopped by the Hessian-eigenvalue rule (Zela et al., ICLR 2020)",
        ),
        SearcherInfo(
            "darts-ada",
            "searchers.darts_ada:DartsAda",
            "DARTS-ADA: on the eigenvalue rule, roll back, weight decay x10 up to 0.03 (Zela et al., 2020)",
        ),
        SearcherInfo(
            "sdarts-rs",
            "searchers.sdarts:SdartsRs",
            "SDARTS-RS: weight step on softmax(alpha) + uniform noise, eps 0.03 -> 0.3 (Chen & Hsieh, ICML 2020)",
        ),
        SearcherInfo(
            "darts-minus",
            "searchers.darts_minus:DartsMinus",
            "DARTS-: an auxiliary skip on every edge, its weight decaying 1 -> 0 (Chu et al., ICLR 2021)",
        ),
        SearcherInfo(
            "drnas",
            "searchers.drnas:DrNas",
            "DrNAS: edge weights drawn from Dirichlet(ELU(alpha)+1), pathwise gradient (Chen et al., ICLR 2021)",
        ),
    )
}

BUILTIN_DESCRIPTIONS: dict[str, str] = {name: info.description for name, info in BUILTIN_SEARCHERS.items()}


def searcher_descriptions() -> dict[str, str]:
    """Every searcher's name and one line about it, built-ins first; imports no searcher."""
    described = dict(BUILTIN_DESCRIPTIONS)
    for ep in plugin_entry_points():  # built-in names win
        described.setdefault(ep.name, describe(ep))
    return described
