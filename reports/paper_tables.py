"""The papers' tables over our runs, optionally with the published numbers beside them.

Input: one row per search run (`reports.build.per_run_table`: final counts and oracle values, config
switches, evaluation, setting). Every builder returns None when no run fits its table. Means ±
population std over the seeds of one setting (`reports.settings`). A published value is compared
(MARK when ours lies outside its mean ± tolerance) only with runs of the setting behind it
(`reports.published.setting_matches`); a table none of whose runs used a published setting says in its
caption that it is not comparable with the published numbers.
"""

from __future__ import annotations

import math

import pandas as pd

from reports.collapse import GROUP, group_label, stat
from reports.published import differs, load_published, published_stat, setting_matches
from reports.render import Stat, Table
from reports.settings import EPOCHS_BUDGET, ensure_setting_columns

NB201_COLUMNS = {  # table column → (published dataset, split, our oracle column)
    "C10 valid": ("cifar10", "valid", "oracle_cifar10valid_valid_200"),
    "C10 test": ("cifar10", "test", "oracle_cifar10_test_200"),
    "C100 valid": ("cifar100", "valid", "oracle_cifar100_valid_200"),
    "C100 test": ("cifar100", "test", "oracle_cifar100_test_200"),
    "IN16 valid": ("imagenet16", "valid", "oracle_imagenet16_valid_200"),
    "IN16 test": ("imagenet16", "test", "oracle_imagenet16_test_200"),
}
DATASET_ORDER = {"cifar10": 0, "cifar100": 1, "svhn": 2, "imagenet": 3}
MARK_NOTE = (
    "† = our mean outside the published mean ± std, shown only where our runs used the published setting "
    "(searcher, profile, search epochs, space); other runs stand beside the published values unmarked."
)


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats; all NaN when the runs do not have it."""
    if column not in frame.columns:
        return pd.Series(math.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce")


def compared_stat(group: pd.DataFrame, column: str, ref: dict | None, benchmark: str, digits: int = 2) -> Stat:
    """Our seed statistic of `column`, marked when it differs from the published `ref` of the same setting."""
    if column not in group.columns:
        return Stat(math.nan)
    ours = stat(group[column], digits)
    if ref is not None and ref.get("mean") and setting_matches(group, ref, benchmark):
        return Stat(ours.mean, ours.std, ours.n, digits, differs(ours.mean, ref["mean"], ref["std"]))
    return ours


def setting_columns(group: pd.DataFrame) -> dict:
    """profile, search epochs and seeds of one group of runs."""
    budget = numbers(group, EPOCHS_BUDGET).dropna()
    return {
        "profile": ", ".join(sorted({str(p) for p in group.get("profile", pd.Series(dtype=str)).dropna()})),
        "epochs": int(budget.max()) if len(budget) else None,
        "seeds": len(group),
    }


def published_setting(row: dict) -> dict:
    epochs = str(row.get("epochs") or "")
    return {"profile": row.get("profile") or "", "epochs": int(epochs) if epochs else None, "seeds": None}


def caption(title: str, runs: pd.DataFrame, compared: bool, with_published: bool) -> str:
    """The title, saying when none of the runs is comparable with the published numbers."""
    if not with_published or compared:
        return title
    profiles = ", ".join(sorted({str(p) for p in runs.get("profile", pd.Series(dtype=str)).dropna()})) or "unknown"
    return f"{title} — {profiles} profile runs, not comparable to the published numbers"


def any_comparable(runs: pd.DataFrame, published: pd.DataFrame, benchmark_of) -> bool:
    """Does any group of runs use the setting of a published row of its searcher?"""
    for (benchmark, *_rest), group in runs.groupby(GROUP, sort=False):
        rows = published[published["searcher"] == group["searcher"].iloc[0]].to_dict("records")
        if any(benchmark_of(r, benchmark) and setting_matches(group, r, benchmark) for r in rows):
            return True
    return False


def nb201_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = ensure_setting_columns(per_run[per_run["space"] == "nb201"])
    if runs.empty:
        return None
    published = load_published("nb201")
    lookup = {(r["searcher"], r["dataset"], r["split"]): r for r in published.to_dict("records")}
    lines = []
    for (benchmark, *_rest), group in runs.groupby(GROUP, sort=True):
        line = {"method": group_label(group.iloc[0]), "searched on": benchmark, **setting_columns(group)}
        searcher = group["searcher"].iloc[0]
        for label, (dataset, split, column) in NB201_COLUMNS.items():
            ref = lookup.get((searcher, dataset, split)) if with_published and benchmark == "nb201-cifar10" else None
            line[label] = compared_stat(group, column, ref, benchmark)
        lines.append(line)
    notes = [
        "Accuracy % of the final derived cell by the NB201 table (200 epochs, seed mean of the table), "
        "mean ± std over our search seeds. C10 valid = cifar10-valid x-valid; test = ori-test (C10) / x-test.",
        "C100 / IN16 valid stay empty unless the table holds their 200-epoch x-valid values.",
    ]
    compared = False
    if with_published:
        for method, rows in published.groupby("method", sort=False):
            first = rows.iloc[0].to_dict()
            line = {"method": f"{method} (published)", "searched on": "nb201-cifar10", **published_setting(first)}
            line.update({label: None for label in NB201_COLUMNS})
            for row in rows.to_dict("records"):
                label = next(k for k, v in NB201_COLUMNS.items() if v[:2] == (row["dataset"], row["split"]))
                line[label] = published_stat(row["mean"], row["std"])
            lines.append(line)
        compared = any_comparable(runs, published, lambda _r, b: b == "nb201-cifar10")
        sources = "; ".join(sorted(set(published["source"])))
        notes += [f"Published (searched on CIFAR-10): {sources}.", MARK_NOTE]
        notes += sorted({f"{r['method']} {r['dataset']} {r['split']}: {r['note']}" for r in
                         published.to_dict("records") if not r["mean"] and r["note"]})  # fmt: skip
    title = caption("NAS-Bench-201: accuracy of the searched cell (%)", runs, compared, with_published)
    return Table("nb201", title, pd.DataFrame(lines), notes)


def _split_benchmark(name: str) -> tuple[str, str]:
    space, _, dataset = name.partition("-")
    return space, dataset


def s1_s4_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    """One line per (benchmark, method setting): our error and #pf beside the published row of the same method."""
    runs = ensure_setting_columns(per_run[per_run["benchmark"].str.match(r"^s[1-4]-")])
    if runs.empty:
        return None
    published = load_published("rome_s1_s4") if with_published else pd.DataFrame(columns=["benchmark", "searcher"])
    benchmarks = sorted(set(runs["benchmark"]), key=lambda b: (DATASET_ORDER.get(_split_benchmark(b)[1], 9), b))
    lines, compared = [], False
    for benchmark in benchmarks:
        space, dataset = _split_benchmark(benchmark)
        ours = runs[runs["benchmark"] == benchmark]
        refs = published[published["benchmark"] == benchmark]
        by_method = {(r["searcher"], r["metric"]): r for r in refs.to_dict("records")}
        methods = list(dict.fromkeys(refs["method"])) if len(refs) else []
        shown: set[str] = set()
        for _key, group in ours.groupby(GROUP, sort=True):
            searcher = group["searcher"].iloc[0]
            err, pf = by_method.get((searcher, "test_error")), by_method.get((searcher, "pf"))
            ref = err or pf
            matched = ref is not None and group["variant"].iloc[0] == "" and setting_matches(group, ref, benchmark)
            compared |= matched
            line = {"data": dataset, "space": space.upper(), "method": group_label(group.iloc[0]),
                    **setting_columns(group)}  # fmt: skip
            line["err %"] = compared_stat(group, "test_error", err if matched else None, benchmark)
            line["#pf"] = compared_stat(group, "param_free_normal", pf if matched else None, benchmark, 1)
            line.update(_published_cells(err, pf, ref))
            shown |= {ref["method"]} if ref is not None and group["variant"].iloc[0] == "" else set()
            lines.append(line)
        for method in methods:
            if method in shown:
                continue
            rows = refs[refs["method"] == method].to_dict("records")
            err = next((r for r in rows if r["metric"] == "test_error"), None)
            pf = next((r for r in rows if r["metric"] == "pf"), None)
            line = {"data": dataset, "space": space.upper(), "method": f"({rows[0]['searcher']}: no run)",
                    "profile": "", "epochs": None, "seeds": 0, "err %": None, "#pf": None}  # fmt: skip
            lines.append({**line, **_published_cells(err, pf, rows[0])})
    notes = [
        "Test error % of the evaluated final cell and #pf = parameter-free ops (skip, pools, none, noise) in its "
        "normal cell; mean ± std over our search seeds. Each line puts a nash searcher beside the published row of "
        "the same method (DARTS = darts-v2 with RobustDARTS' settings, DARTS-ES = darts-es, DARTS-ADA = darts-ada); "
        "'no run': the folder has no run of that searcher on the benchmark.",
    ]
    if with_published:
        notes += [f"Published: {published['source'].iloc[0]}; other benchmarks: reports/published/rome_s1_s4.csv.",
                  MARK_NOTE]  # fmt: skip
        empty = refs_empty(published, set(runs["benchmark"]))
        if empty:
            notes.append(f"Empty published cells ({', '.join(empty)}): not legible in the available copy of the paper.")
    title = caption("RobustDARTS spaces S1–S4: test error (%) and #pf", runs, compared, with_published)
    return Table("s1_s4", title, pd.DataFrame(lines), notes)


def _published_cells(err: dict | None, pf: dict | None, ref: dict | None) -> dict:
    cells = {
        "published": ref["method"] if ref is not None else "",
        "pub. err %": published_stat(err["mean"], err["std"]) if err else None,
        "pub. #pf": published_stat(pf["mean"], pf["std"]) if pf else None,
    }
    if ref is not None:
        epochs = f", {ref['epochs']} ep" if ref.get("epochs") else ""
        cells["pub. setting"] = f"{ref['searcher']}, {ref['profile'] or 'no nash profile'}{epochs}"
    else:
        cells["pub. setting"] = ""
    return cells


def refs_empty(published: pd.DataFrame, benchmarks: set[str]) -> list[str]:
    rows = published[(published["benchmark"].isin(benchmarks)) & (published["mean"] == "")]
    return [f"{r['method']} {r['metric']} on {r['benchmark']}" for r in rows.to_dict("records")]
