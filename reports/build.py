"""`nash report`: every table and plot over a results folder, with index.html and index.md.

Parts without data (no eigenvalues, no evaluations, no ROME switches, ...) are skipped and the
index says so; nothing here needs torch.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmarks.errors import NashError
from reports import analysis_tables, paper_tables, plots
from reports.collapse import CollapseRule, over_epochs, run_collapse, with_cell_counts
from reports.eigenvalue import EIGEN_COLUMN, EarlyStopRule, early_stops
from reports.ranking import TAU_COLUMN, benchmark_tau, final_metrics, mean_ranks, method_ranks, supernet_tau
from reports.render import Table, to_html, to_markdown, write_table
from reports.runs import RunStore, load_store


@dataclass(frozen=True)
class ReportOptions:
    rule: CollapseRule = CollapseRule()
    early_stop: EarlyStopRule = EarlyStopRule()
    published: bool = True


@dataclass
class Report:
    folder: Path
    tables: list[Table] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was skipped and why
    runs: int = 0


def per_run_table(counted: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """run_collapse's row per run, with the run's flattened facts (config switches, cost, evaluation)."""
    per_run = run_collapse(counted)
    extra = facts.drop(columns=[c for c in facts.columns if c in per_run.columns and c != "run_path"])
    return per_run.merge(extra, on="run_path", how="left")


def build_report(store: RunStore, out: Path, options: ReportOptions = ReportOptions()) -> Report:
    report = Report(Path(out), runs=len(store.facts))
    if store.epochs.empty:
        raise NashError("no search run with finished epochs in that folder; run `nash search` or `nash demo` first")
    epochs = store.epochs
    if "run.status" in epochs.columns:  # a failed or running search's last epoch is not its result
        unfinished = store.facts.loc[store.facts["run.status"] != "done", "run_path"]
        if len(unfinished):
            report.notes.append(
                f"left out {len(unfinished)} unfinished runs (status not done): {', '.join(unfinished)}"
            )
            epochs = epochs[~epochs["run_path"].isin(unfinished)]
        if epochs.empty:
            raise NashError(
                "no finished search run in that folder (every run.json says running, failed or interrupted)"
            )
    counted = with_cell_counts(epochs, options.rule)
    per_run = per_run_table(counted, store.facts)
    report.runs = len(per_run)
    data = report.folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    per_run.to_csv(data / "runs.csv", index=False)
    colours = plots.searcher_colours(per_run["searcher"])
    figures = report.folder / "plots"

    report.tables.append(analysis_tables.collapse_table(per_run, options.rule))
    report.tables.append(analysis_tables.run_collapse_table(per_run))
    for builder, name in [
        (paper_tables.nb201_table, "NAS-Bench-201 table: no NB201 runs"),
        (paper_tables.s1_s4_table, "S1–S4 table: no runs on s1-* … s4-*"),
        (paper_tables.s0_table, "S0 table: no runs on s0-*"),
        (paper_tables.ablation_table, "ROME ablation table: no ROME runs with switches in their config"),
        (paper_tables.k_table, "K table: no ROME runs with K in their config"),
    ]:
        table = builder(per_run, options.published)
        report.tables.append(table) if table is not None else report.notes.append(f"skipped {name}")

    stops = early_stops(counted, options.early_stop)
    if stops.empty:
        report.notes.append(f"skipped the eigenvalue early-stop table and plot: no `{EIGEN_COLUMN}` values")
    else:
        report.tables.append(analysis_tables.early_stop_table(stops, options.early_stop))
        eigen = over_epochs(counted, EIGEN_COLUMN)
        marks = stops.rename(columns={"stop_epoch": "epoch"})  # dotted: where the early-stop rule would stop
        label, title = "dominant eigenvalue λ_max (unitless)", "Hessian eigenvalue (dotted: early stop)"
        report.plots += plots.curves(eigen, figures, "eigenvalue", label, title, colours, marks)

    metrics = final_metrics(per_run)
    ranks = method_ranks(metrics)
    if ranks.empty:
        report.notes.append("skipped method rankings: no final metric (oracle accuracy or evaluation test error)")
    else:
        report.tables += analysis_tables.rank_tables(ranks, mean_ranks(ranks), benchmark_tau(ranks), metrics)
        report.plots += plots.rank_heatmap(ranks, figures)

    taus = supernet_tau(store.epochs, store.rankings)
    if taus.empty:
        report.notes.append(f"skipped supernet Kendall τ: no `{TAU_COLUMN}` values and no ranking.parquet")
    else:
        report.tables.append(analysis_tables.supernet_tau_table(taus))
        tau_stats = over_epochs(taus.rename(columns={TAU_COLUMN: "tau_value"}), "tau_value")
        report.plots += plots.curves(tau_stats, figures, "supernet_tau", "Kendall τ", "supernet ranking", colours)
    report.tables.append(analysis_tables.cost_table(per_run, options.published))

    report.plots += plots.curves(over_epochs(counted, "skip_normal"), figures, "skips", "skip_connect ops in the "
                                 "normal cell (count)", "skip count", colours)  # fmt: skip
    accuracy = over_epochs(counted, "headline_acc")
    if accuracy.empty:
        report.notes.append("skipped oracle accuracy vs epoch: no benchmark with a tabular oracle")
    else:
        report.plots += plots.curves(
            accuracy, figures, "oracle_acc", "headline oracle accuracy (%)", "derived cell", colours
        )
    report.plots += plots.cost_bars(per_run, figures, colours)

    for table in report.tables:
        write_table(table, report.folder / "tables")
    _write_index(report, store)
    return report


def write_report(runs: str | Path, out: str | Path, options: ReportOptions = ReportOptions()) -> Report:
    """Load every run under `runs` and write the report to `out`."""
    runs = Path(runs)
    if not runs.is_dir():
        raise NashError(f"{runs} is not a folder; pass the --out folder of `nash search`, `nash sweep` or `nash demo`")
    store = load_store(runs)
    if store.facts.empty:
        raise NashError(f"no search runs (run.json files) under {runs}; point at the folder your searches wrote to")
    return build_report(store, Path(out), options)


def _write_index(report: Report, store: RunStore) -> None:
    folder = report.folder
    summary = f"{report.runs} search runs, {len(store.evaluations)} evaluation runs"
    if store.skipped:
        summary += f"; {len(store.skipped)} damaged runs skipped"
    images = [p.relative_to(folder).as_posix() for p in report.plots]
    md = ["# nash report", "", summary, ""]
    md += [f"- {note}" for note in [*report.notes, *(f"skipped damaged run {s}" for s in store.skipped)]]
    md += ["", *(to_markdown(t) if t.inline else _link(t, "md") for t in report.tables), "## Plots", ""]
    md += [f"![{Path(i).stem}]({i})  \n(PDF: [{Path(i).with_suffix('.pdf').name}]({i[:-4]}.pdf))" for i in images]
    (folder / "index.md").write_text("\n".join(md) + "\n")
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:13px;margin-bottom:.5em}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}.note{color:#555;font-size:12px}"
        "img{max-width:100%;margin:.5em 0}"
    )
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>nash report</title><style>{style}</style>"
             f"</head><body><h1>nash report</h1><p>{html.escape(summary)}</p>"]  # fmt: skip
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in report.notes]
    parts += [to_html(t) if t.inline else _link(t, "html") for t in report.tables]
    parts += ["<h2>Plots</h2>", *(f"<img src='{html.escape(i)}' alt='{html.escape(i)}'>" for i in images)]
    (folder / "index.html").write_text("\n".join(parts) + "</body></html>\n")


def _link(table: Table, kind: str) -> str:
    """A long table is only linked from the index (its files are in tables/)."""
    rows = f"{len(table.frame)} rows"
    if kind == "md":
        path = f"tables/{table.name}"
        return f"### {table.title}\n\n{rows}: [{path}.md]({path}.md), [CSV]({path}.csv)\n"
    return (f"<h3 id='{table.name}'>{html.escape(table.title)}</h3><p>{rows}: <a href='tables/{table.name}.md'>"
            f"Markdown</a>, <a href='tables/{table.name}.csv'>CSV</a></p>")  # fmt: skip
