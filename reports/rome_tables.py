"""The ROME paper's S0, ablation and K tables over our runs (see `reports.paper_tables` for the rules).

S0 numbers the paper took from other work were measured in the 8-op DARTS space with `none` (GDAS,
PC-DARTS, DARTS); they are listed with their space and never compared with an S0 run. ImageNet
transfers and reruns say so in their note.
"""

from __future__ import annotations

import math

import pandas as pd

from reports.collapse import GROUP, group_label, mean_std, stat
from reports.paper_tables import MARK_NOTE, caption, compared_stat, numbers, setting_columns
from reports.published import differs, load_published, published_stat, setting_matches
from reports.render import Stat, Table
from reports.settings import EPOCHS_BUDGET, SETTING_ID, ensure_setting_columns

SWITCHES = ("topology", "accumulate_weights", "accumulate_arch")
SPACE_NAMES = {"s0": "S0", "darts": "DARTS (8 ops, with none)"}


def _s0_reference(rows: list[dict]) -> dict | None:
    """The published test error of a method (ImageNet: 100 − top-1), with its setting, or None."""
    for row in rows:
        if row["metric"] == "test_error" and row["mean"]:
            return row
        if row["metric"] == "top1_acc" and row["mean"]:
            decimals = len(row["mean"].split(".")[1]) if "." in row["mean"] else 0
            return {**row, "mean": f"{100 - float(row['mean']):.{decimals}f}"}
    return None


def s0_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = ensure_setting_columns(per_run[per_run["benchmark"].str.startswith("s0-")])
    if runs.empty:
        return None
    published = load_published("rome_s0")
    lines, compared = [], False
    for (benchmark, *_rest), group in runs.groupby(GROUP, sort=True):
        refs = published[(published.benchmark == benchmark) & (published.searcher == group["searcher"].iloc[0])]
        ref = next((r for r in (_s0_reference([x]) for x in refs.to_dict("records")) if r is not None and
                    setting_matches(group, r, benchmark)), None) if with_published else None  # fmt: skip
        compared |= ref is not None
        error = numbers(group, "test_error")
        devices = ", ".join(sorted({str(d) for d in group.get("run.device", pd.Series(dtype=str)).dropna()}))
        lines.append({
            "benchmark": benchmark, "space": "S0", "method": group_label(group.iloc[0]), **setting_columns(group),
            "test error %": compared_stat(group, "test_error", ref, benchmark),
            "best %": Stat(error.min()) if error.notna().any() else None,
            "params (M)": stat(numbers(group, "eval.params") / 1e6),
            "search h": stat(numbers(group, "run.search_seconds") / 3600), "search GPU-days": None,
            "device / note": devices,
        })  # fmt: skip
    if with_published:
        keys = ["benchmark", "method", "space", "profile", "epochs"]
        for key, rows in published.groupby(keys, sort=False):
            rows = rows.to_dict("records")
            by_metric = {r["metric"]: r for r in rows}
            error = _s0_reference(rows)
            best, params, days = (by_metric.get(m) for m in ("best_test_error", "params_m", "search_gpu_days"))
            notes = "; ".join(dict.fromkeys(r["note"] for r in rows if r["note"]))
            if "top1_acc" in by_metric:
                notes = f"top-1 {by_metric['top1_acc']['mean']} %; {notes}"
            lines.append({
                "benchmark": key[0], "space": SPACE_NAMES.get(key[2], key[2]), "method": f"{key[1]} (published)",
                "profile": key[3], "epochs": int(key[4]) if key[4] else None, "seeds": None,
                "test error %": published_stat(error["mean"], error["std"]) if error else None,
                "best %": published_stat(best["mean"], "") if best else None,
                "params (M)": published_stat(params["mean"], params["std"]) if params else None,
                "search h": None, "search GPU-days": published_stat(days["mean"], "") if days else None,
                "device / note": notes,
            })  # fmt: skip
    notes = ["Test error % of the evaluated final cell (mean ± std over search seeds; ImageNet: 100 − top-1), its "
             "parameters without the auxiliary head, and the search cost in hours on our device."]  # fmt: skip
    if with_published:
        notes += ["Published: ROME paper, Tables 2–4. Rows in the 'DARTS (8 ops, with none)' space are another "
                  "search space than S0 and are never compared with our S0 runs; transfers and reruns say so.",
                  MARK_NOTE]  # fmt: skip
    title = caption("DARTS space without none (S0): test error, parameters and search cost", runs, compared,
                    with_published)  # fmt: skip
    return Table("s0", title, pd.DataFrame(lines), notes)


def _accuracy(group: pd.DataFrame) -> pd.Series:
    """Accuracy %: the oracle's on NB201, else 100 − evaluation test error."""
    oracle = numbers(group, "final_acc")
    return oracle.where(oracle.notna(), 100 - numbers(group, "test_error"))


def _truthy(value) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    return "true" if str(value).lower() in ("true", "1") else "false"


def _marked_accuracy(group: pd.DataFrame, ref: dict | None, benchmark: str) -> tuple[Stat, bool]:
    """Accuracy over the group's seeds, marked against `ref` when the runs used its setting; and whether they did."""
    accuracy = _accuracy(group)
    mean, std = mean_std(accuracy)
    n = int(accuracy.notna().sum())
    row = {**ref, "searcher": "rome", "mean": ref["acc_mean"]} if ref is not None else None
    comparable = row is not None and setting_matches(group, row, benchmark)
    return Stat(mean, std, n, 2, comparable and differs(mean, ref["acc_mean"], ref["acc_std"])), comparable


def ablation_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    columns = [f"config.searcher_options.{s}" for s in SWITCHES]
    runs = ensure_setting_columns(per_run[per_run["searcher"] == "rome"])
    if runs.empty or not set(columns) <= set(runs.columns):
        return None
    runs = runs.assign(**{s: runs[c].map(_truthy) for s, c in zip(SWITCHES, columns, strict=True)})
    runs = runs.assign(k=numbers(runs, "config.searcher_options.k"))
    published = load_published("rome_ablation")
    lookup = {(r["benchmark"], *(r[s] for s in SWITCHES)): r for r in published.to_dict("records")}
    lines, compared = [], False
    for key, group in runs.groupby(["benchmark", *SWITCHES, "k", SETTING_ID], sort=True, dropna=False):
        ref = lookup.get(key[:4]) if with_published else None
        line = {"benchmark": key[0], "TD": key[1], "GA-θ": key[2], "GA-α": key[3]}
        line["K"] = None if pd.isna(key[4]) else int(key[4])
        line.update(setting_columns(group))
        line["label"] = ref["label"] if ref else ""
        line["accuracy %"], comparable = _marked_accuracy(group, ref, key[0])
        compared |= comparable
        if with_published:
            line["published %"] = published_stat(ref["acc_mean"], ref["acc_std"]) if ref else None
        lines.append(line)
    notes = ["ROME's switches (TD = topology, GA-θ = accumulate_weights, GA-α = accumulate_arch): accuracy % of "
             "the final cell (NB201 oracle, or 100 − evaluation test error), mean ± std over seeds."]  # fmt: skip
    if with_published:
        notes += [f"Published: {published['source'].iloc[0]} (profile paper, 50 epochs, K=7).", MARK_NOTE]
    title = caption("ROME component ablation", runs, compared, with_published)
    return Table("rome_ablation", title, pd.DataFrame(lines), notes)


def k_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = ensure_setting_columns(per_run[per_run["searcher"] == "rome"])
    for switch in SWITCHES:  # the K study is about full ROME: ablation cells with a switch off stay out
        column = f"config.searcher_options.{switch}"
        if column in runs.columns:
            runs = runs[runs[column].map(_truthy) != "false"]
    if runs.empty or "config.searcher_options.k" not in runs.columns:
        return None
    epochs = numbers(runs, EPOCHS_BUDGET).fillna(numbers(runs, "config.train.epochs")).fillna(numbers(runs, "epochs"))
    runs = runs.assign(k=runs["config.searcher_options.k"], epochs_budget=epochs)
    published = load_published("rome_k")
    lookup = {(r["benchmark"], int(r["k"])): r for r in published.to_dict("records")}
    lines, compared = [], False
    for (benchmark, k, budget, _id), group in runs.groupby(["benchmark", "k", EPOCHS_BUDGET, SETTING_ID], sort=True):
        ref = lookup.get((benchmark, int(k))) if with_published else None
        line = {"benchmark": benchmark, "K": int(k), **setting_columns(group), "K × epochs": int(k * budget)}
        line["accuracy %"], comparable = _marked_accuracy(group, ref, benchmark)
        compared |= comparable
        if with_published:
            line["published %"] = published_stat(ref["acc_mean"], ref["acc_std"]) if ref else None
            line["published epochs"] = int(ref["epochs"]) if ref else None
        lines.append(line)
    notes = ["Accuracy % of ROME's final cell (all switches on) per number of sampled architectures K "
             "(mean ± std over seeds)."]  # fmt: skip
    if with_published:
        notes += [f"Published: {published['source'].iloc[0]}; profile paper with the epochs shown.", MARK_NOTE]
    title = caption("ROME: the number of sampled architectures K", runs, compared, with_published)
    return Table("rome_k", title, pd.DataFrame(lines), notes)
