"""The papers' tables over our runs, optionally with the published numbers beside them.

Input: one row per search run (`reports.build.per_run_table`: final counts and oracle values, config
switches, evaluation). Every builder returns None when no run fits its table. Means ± population std
over seeds; MARK flags a mean outside the published mean ± tolerance (`reports.published`).
"""

from __future__ import annotations

import math

import pandas as pd

from reports.collapse import mean_std, method_label
from reports.published import cell, differs, load_published
from reports.render import Table, fmt

NB201_COLUMNS = {  # table column → (published dataset, split, our oracle column)
    "C10 valid": ("cifar10", "valid", "oracle_cifar10valid_valid_200"),
    "C10 test": ("cifar10", "test", "oracle_cifar10_test_200"),
    "C100 valid": ("cifar100", "valid", "oracle_cifar100_valid_200"),
    "C100 test": ("cifar100", "test", "oracle_cifar100_test_200"),
    "IN16 valid": ("imagenet16", "valid", "oracle_imagenet16_valid_200"),
    "IN16 test": ("imagenet16", "test", "oracle_imagenet16_test_200"),
}
DATASET_ORDER = {"cifar10": 0, "cifar100": 1, "svhn": 2, "imagenet": 3}
SWITCHES = ("topology", "accumulate_weights", "accumulate_arch")


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats; all NaN when the runs do not have it."""
    if column not in frame.columns:
        return pd.Series(math.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce")


def _stat(runs: pd.DataFrame, column: str, digits: int = 2, published: tuple[str, str] | None = None) -> str:
    if column not in runs.columns:
        return ""
    mean, std = mean_std(runs[column])
    return fmt(mean, std, digits, marked=published is not None and differs(mean, *published))


def _published_lookup(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, tuple[str, str]]:
    return {tuple(r[k] for k in keys): (r["mean"], r["std"]) for r in frame.to_dict("records")}


def nb201_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = per_run[per_run["space"] == "nb201"]
    if runs.empty:
        return None
    published = load_published("nb201")
    lookup = _published_lookup(published, ["searcher", "dataset", "split"])
    lines = []
    for (benchmark, searcher, variant), group in runs.groupby(["benchmark", "searcher", "variant"], sort=True):
        line = {"method": method_label(searcher, variant), "searched on": benchmark, "seeds": str(len(group))}
        for label, (dataset, split, column) in NB201_COLUMNS.items():
            ref = lookup.get((searcher, dataset, split)) if with_published and benchmark == "nb201-cifar10" else None
            line[label] = _stat(group, column, published=ref)
        lines.append(line)
    if with_published:
        for method, rows in published.groupby("method", sort=False):
            line = {"method": f"{method} (published)", "searched on": "", "seeds": ""}
            line.update({label: "" for label in NB201_COLUMNS})
            for row in rows.to_dict("records"):
                label = next(k for k, v in NB201_COLUMNS.items() if v[:2] == (row["dataset"], row["split"]))
                line[label] = cell(row["mean"], row["std"])
            lines.append(line)
    notes = [
        "Accuracy % of the final derived cell by the NB201 table (200 epochs, seed mean of the table), "
        "mean ± std over our search seeds. C10 valid = cifar10-valid x-valid; test = ori-test (C10) / x-test.",
        "C100 / IN16 valid stay empty unless the table holds their 200-epoch x-valid values.",
    ]
    if with_published:
        sources = "; ".join(sorted(set(published["source"])))
        notes.append(f"Published: {sources}. † = our nb201-cifar10 mean outside the published mean ± std.")
    return Table("nb201", "NAS-Bench-201: accuracy of the searched cell (%)", pd.DataFrame(lines), notes)


def _split_benchmark(name: str) -> tuple[str, str]:
    space, _, dataset = name.partition("-")
    return space, dataset


def s1_s4_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = per_run[per_run["benchmark"].str.match(r"^s[1-4]-")]
    if runs.empty:
        return None
    published = load_published("rome_s1_s4")
    lookup = _published_lookup(published, ["benchmark", "searcher", "metric"])
    benchmarks = sorted(set(runs["benchmark"]) | (set(published["benchmark"]) if with_published else set()))
    benchmarks.sort(key=lambda b: (DATASET_ORDER.get(_split_benchmark(b)[1], 9), b))
    methods = sorted(set(zip(runs["searcher"], runs["variant"], strict=True)))
    lines = []
    for benchmark in benchmarks:
        space, dataset = _split_benchmark(benchmark)
        line = {"data": dataset, "space": space.upper()}
        for searcher, variant in methods:
            group = runs[
                (runs["benchmark"] == benchmark) & (runs["searcher"] == searcher) & (runs["variant"] == variant)
            ]
            name = method_label(searcher, variant)
            err_ref = lookup.get((benchmark, searcher, "test_error")) if with_published else None
            pf_ref = lookup.get((benchmark, searcher, "pf")) if with_published else None
            line[f"{name} err"] = _stat(group, "test_error", published=err_ref)
            line[f"{name} #pf"] = _stat(group, "param_free_normal", digits=1, published=pf_ref)
        if with_published:
            for row in published[published["benchmark"] == benchmark].to_dict("records"):
                suffix = " #pf" if row["metric"] == "pf" else ""
                line[f"{row['method']}{suffix} (pub)"] = cell(row["mean"], row["std"])
        lines.append(line)
    notes = [
        "Test error % of the evaluated final cell and #pf = parameter-free ops (skip, pools, none, noise) in its "
        "normal cell; mean ± std over our search seeds. Empty: no evaluation run, or no value in the paper.",
    ]
    if with_published:
        notes.append(f"Published: {published['source'].iloc[0]}. † = ours outside the published mean ± std.")
    return Table("s1_s4", "RobustDARTS spaces S1–S4: test error (%) and #pf", pd.DataFrame(lines).fillna(""), notes)


def s0_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = per_run[per_run["benchmark"].str.startswith("s0-")]
    if runs.empty:
        return None
    published = load_published("rome_s0")
    lines = []
    for (benchmark, searcher, variant), group in runs.groupby(["benchmark", "searcher", "variant"], sort=True):
        ref = None
        if with_published:
            rows = published[(published.benchmark == benchmark) & (published.searcher == searcher)]
            rows = rows[rows.metric == "test_error"]
            ref = (rows["mean"].iloc[0], rows["std"].iloc[0]) if len(rows) else None
        hours = numbers(group, "run.search_seconds") / 3600
        params = numbers(group, "eval.params") / 1e6
        error = numbers(group, "test_error")
        devices = ", ".join(sorted({str(d) for d in group.get("run.device", pd.Series(dtype=str)).dropna()}))
        lines.append(
            {
                "benchmark": benchmark,
                "method": method_label(searcher, variant),
                "seeds": str(len(group)),
                "test error %": _stat(group, "test_error", published=ref),
                "best %": fmt(error.min()) if error.notna().any() else "",
                "params (M)": fmt(*mean_std(params)),
                "search cost": fmt(mean_std(hours)[0]) + " h" if hours.notna().any() else "",
                "device": devices,
            }
        )
    if with_published:
        for (benchmark, method, note), rows in published.groupby(["benchmark", "method", "note"], sort=False):
            by_metric = {r["metric"]: (r["mean"], r["std"]) for r in rows.to_dict("records")}
            error = by_metric.get("test_error")
            if "top1_acc" in by_metric:  # ImageNet: the paper gives top-1 accuracy
                acc = by_metric["top1_acc"][0]
                error = (f"{100 - float(acc):.{len(acc.split('.')[1])}f}", "")
                note = f"{note}; top-1 {acc} %".strip("; ")
            if error is None and "search_gpu_days" not in by_metric:
                continue
            days = by_metric.get("search_gpu_days")
            line = {"benchmark": benchmark, "method": f"{method} (published)", "seeds": "", "device": note}
            line["test error %"] = cell(*error) if error else ""
            line["best %"] = by_metric.get("best_test_error", ("", ""))[0]
            line["params (M)"] = cell(*by_metric["params_m"]) if "params_m" in by_metric else ""
            line["search cost"] = f"{days[0]} GPU-days" if days else ""
            lines.append(line)
    notes = ["Test error % of the evaluated final cell (mean ± std over search seeds), its parameters without the "
             "auxiliary head, and the search cost in hours on our device."]  # fmt: skip
    if with_published:
        notes.append("Published: ROME paper (S0 and ImageNet tables); the device column holds its notes. † as above.")
    return Table(
        "s0", "DARTS space without none (S0): test error, parameters and search cost", pd.DataFrame(lines), notes
    )


def _accuracy(group: pd.DataFrame) -> pd.Series:
    """Accuracy %: the oracle's on NB201, else 100 − evaluation test error."""
    oracle = numbers(group, "final_acc")
    return oracle.where(oracle.notna(), 100 - numbers(group, "test_error"))


def _truthy(value) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    return "true" if str(value).lower() in ("true", "1") else "false"


def ablation_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    columns = [f"config.searcher_options.{s}" for s in SWITCHES]
    runs = per_run[per_run["searcher"] == "rome"]
    if runs.empty or not set(columns) <= set(runs.columns):
        return None
    runs = runs.assign(**{s: runs[c].map(_truthy) for s, c in zip(SWITCHES, columns, strict=True)})
    runs = runs.assign(k=numbers(runs, "config.searcher_options.k"))
    published = load_published("rome_ablation")
    lookup = {(r["benchmark"], *(r[s] for s in SWITCHES)): r for r in published.to_dict("records")}
    lines = []
    for key, group in runs.groupby(["benchmark", *SWITCHES, "k"], sort=True, dropna=False):
        ref = lookup.get(key[:4])
        mean, std = mean_std(_accuracy(group))
        marked = with_published and ref is not None and differs(mean, ref["acc_mean"], ref["acc_std"])
        line = {"benchmark": key[0], "TD": key[1], "GA-θ": key[2], "GA-α": key[3], "K": fmt(key[4], None, 0)}
        line["seeds"] = str(len(group))
        line["label"] = ref["label"] if ref else ""
        line["accuracy %"] = fmt(mean, std, marked=marked)
        if with_published:
            line["published %"] = cell(ref["acc_mean"], ref["acc_std"]) if ref else ""
        lines.append(line)
    notes = ["ROME's switches (TD = topology, GA-θ = accumulate_weights, GA-α = accumulate_arch): accuracy % of "
             "the final cell (NB201 oracle, or 100 − evaluation test error), mean ± std over seeds."]  # fmt: skip
    if with_published:
        notes.append(f"Published: {published['source'].iloc[0]}. † = ours outside the published mean ± std.")
    return Table("rome_ablation", "ROME component ablation", pd.DataFrame(lines), notes)


def k_table(per_run: pd.DataFrame, with_published: bool) -> Table | None:
    runs = per_run[per_run["searcher"] == "rome"]
    for switch in SWITCHES:  # the K study is about full ROME: ablation cells with a switch off stay out
        column = f"config.searcher_options.{switch}"
        if column in runs.columns:
            runs = runs[runs[column].map(_truthy) != "false"]
    if runs.empty or "config.searcher_options.k" not in runs.columns:
        return None
    runs = runs.assign(k=runs["config.searcher_options.k"], epochs=runs.get("config.train.epochs", runs["epochs"]))
    published = load_published("rome_k")
    lookup = {(r["benchmark"], int(r["k"])): r for r in published.to_dict("records")}
    lines = []
    for (benchmark, k, epochs), group in runs.groupby(["benchmark", "k", "epochs"], sort=True):
        ref = lookup.get((benchmark, int(k)))
        mean, std = mean_std(_accuracy(group))
        marked = with_published and ref is not None and differs(mean, ref["acc_mean"], ref["acc_std"])
        line = {
            "benchmark": benchmark,
            "K": str(int(k)),
            "epochs": str(int(epochs)),
            "K × epochs": str(int(k * epochs)),
        }
        line.update({"seeds": str(len(group)), "accuracy %": fmt(mean, std, marked=marked)})
        if with_published:
            line["published %"] = cell(ref["acc_mean"], ref["acc_std"]) if ref else ""
        lines.append(line)
    notes = ["Accuracy % of ROME's final cell (all switches on) per number of sampled architectures K "
             "(mean ± std over seeds)."]  # fmt: skip
    if with_published:
        notes.append(f"Published: {published['source'].iloc[0]}. † = ours outside the published mean ± std.")
    return Table("rome_k", "ROME: the number of sampled architectures K", pd.DataFrame(lines), notes)
