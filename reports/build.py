"""`nash report`: every table and plot over a results folder, with index.html and index.md.

Parts without data (no eigenvalues, no evaluations, no ROME switches, ...) are skipped and the
index says so; each plot is shown right after the table it belongs to; nothing here needs torch.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmarks.errors import NashError
from reports import analysis_tables, arch_plot, cell_plot, paper_tables, plots, rome_tables, searcher_columns
from reports.collapse import CollapseRule, over_epochs, run_collapse, with_cell_counts
from reports.collapse_plot import collapse_figures
from reports.eigenvalue import EIGEN_COLUMN, EarlyStopRule, early_stops
from reports.provenance import provenance
from reports.ranking import TAU_COLUMN, benchmark_tau, final_metrics, mean_ranks, method_ranks, supernet_tau
from reports.render import Table, html_text, markdown_escape, to_html, to_markdown, write_table
from reports.runs import RunStore, load_store
from reports.unfinished import reported_runs


@dataclass(frozen=True)
class ReportOptions:
    rule: CollapseRule = CollapseRule()
    early_stop: EarlyStopRule = EarlyStopRule()
    published: bool = True
    command: tuple[str, ...] = ()  # the command line that builds this report (provenance); () = `nash report RUNS`
    cell_epochs: tuple[int, ...] = ()  # draw each run's cell at these epochs too (the final cell always)
    unfinished: bool = False  # also report running / interrupted / failed runs as far as they got


@dataclass
class Report:
    folder: Path
    tables: list[Table] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was skipped and why
    runs: int = 0
    figures: dict[str, list[Path]] = field(default_factory=dict)  # table name -> its plots, shown after it
    provenance: list[tuple[str, str]] = field(default_factory=list)  # (label, text), shown first
    source: Path | None = None  # the runs folder

    def add(self, table: Table | None, skipped: str = "", plots: list[Path] | None = None) -> None:
        if table is None:
            self.notes.append(f"skipped {skipped}")
            return
        self.tables.append(table)
        if plots:
            self.plots += plots
            self.figures.setdefault(table.name, []).extend(plots)


def per_run_table(counted: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """run_collapse's row per run, with the run's flattened facts (config switches, cost, evaluation)."""
    per_run = run_collapse(counted)
    extra = facts.drop(columns=[c for c in facts.columns if c in per_run.columns and c != "run_path"])
    return per_run.merge(extra, on="run_path", how="left")


def build_report(
    store: RunStore, out: Path, options: ReportOptions = ReportOptions(), source: Path | None = None
) -> Report:
    report = Report(Path(out), runs=len(store.facts), source=source)
    report.provenance = provenance(store.facts, source, Path(out), list(options.command) or None)
    if store.epochs.empty:
        raise NashError("no search run with finished epochs in that folder; run `nash search` or `nash demo` first")
    if store.duplicates:
        report.notes.append(f"counted once: {len(store.duplicates)} run folder(s) holding a copy of another run "
                            f"(same run_id, run.json and epochs) left out: {', '.join(store.duplicates)}")  # fmt: skip
    store, unfinished_note = reported_runs(store, options.unfinished)
    if unfinished_note:
        report.notes.append(unfinished_note)
    counted = with_cell_counts(store.epochs, options.rule)
    per_run = per_run_table(counted, store.facts)
    report.runs = len(per_run)
    data = report.folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    per_run.to_csv(data / "runs.csv", index=False)
    colours = plots.searcher_colours(per_run["searcher"])
    figures = report.folder / "plots"
    published = options.published

    report.add(analysis_tables.collapse_table(per_run, options.rule),
               plots=collapse_figures(counted, options.rule, figures, colours))  # fmt: skip
    report.add(analysis_tables.run_collapse_table(per_run),
               plots=arch_plot.supernet_figures(counted, per_run, figures, colours))  # fmt: skip
    cells, cell_figures, undrawn = cell_plot.cells_table(per_run, counted, figures, options.cell_epochs)
    report.add(cells, "drawn cells: no run has a final genotype", plots=cell_figures)
    if undrawn:
        report.notes.append(undrawn)
    report.add(paper_tables.nb201_table(per_run, published), "NAS-Bench-201 table: no NB201 runs")
    report.add(paper_tables.s1_s4_table(per_run, published), "S1–S4 table: no runs on s1-* … s4-*")
    report.add(rome_tables.s0_table(per_run, published), "S0 table: no runs on s0-*")
    report.add(rome_tables.ablation_table(per_run, published),
               "ROME ablation table: no ROME runs with switches in their config")  # fmt: skip
    report.add(rome_tables.k_table(per_run, published), "K table: no ROME runs with K in their config")

    stops = early_stops(counted, options.early_stop)
    if stops.empty:
        report.notes.append(f"skipped the eigenvalue early-stop table and plot: no `{EIGEN_COLUMN}` values")
    else:
        eigen = over_epochs(counted, EIGEN_COLUMN)
        marks = stops.rename(columns={"stop_epoch": "epoch"})  # dotted: where the early-stop rule would stop
        label, title = "dominant eigenvalue λ_max (unitless)", "Hessian eigenvalue (dotted: early stop)"
        eigen_plots = plots.curves(eigen, figures, "eigenvalue", label, title, colours, marks, runs=per_run)
        report.add(analysis_tables.early_stop_table(stops, options.early_stop), plots=eigen_plots)

    alpha = arch_plot.alpha_weights(counted)
    with_skip = arch_plot.with_skip_weight(counted, alpha)
    drawn, undrawn = arch_plot.alpha_runs(alpha, per_run)
    report.add(arch_plot.arch_table(per_run, alpha), "α trajectory: no run stores `arch_weights`",
               plots=[*arch_plot.skip_weight_curves(with_skip, per_run, figures, colours),
                      *arch_plot.alpha_figures(alpha, per_run, figures, drawn)])  # fmt: skip
    if undrawn:
        report.notes.append(undrawn)

    own, own_plots = searcher_columns.searcher_columns_table(counted, per_run, figures, colours)
    report.add(own, "searchers' own columns: no numeric per-epoch column beyond nash's", plots=own_plots)

    metrics = final_metrics(per_run)
    ranks = method_ranks(metrics)
    if ranks.empty:
        report.notes.append("skipped method rankings: no final metric (oracle accuracy or evaluation test error)")
    else:
        rank_tables = analysis_tables.rank_tables(ranks, mean_ranks(ranks), benchmark_tau(ranks), metrics)
        heatmap = plots.rank_heatmap(ranks, figures) if len(ranks) >= 2 else []  # one benchmark: the table says it
        report.add(rank_tables[0], plots=heatmap)
        for table in rank_tables[1:]:
            report.add(table)

    taus = supernet_tau(store.epochs, store.rankings)
    if taus.empty:
        report.notes.append(f"skipped supernet Kendall τ: no `{TAU_COLUMN}` values and no ranking.parquet")
    else:
        tau_stats = over_epochs(taus.rename(columns={TAU_COLUMN: "tau_value"}), "tau_value")
        tau_plots = plots.curves(tau_stats, figures, "supernet_tau", "Kendall τ", "supernet ranking", colours,
                                 runs=per_run)  # fmt: skip
        report.add(analysis_tables.supernet_tau_table(taus), plots=tau_plots)
    report.add(analysis_tables.cost_table(per_run, published), plots=plots.cost_bars(per_run, figures, colours))

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
    return build_report(store, Path(out), options, source=runs)


_STYLE = (
    "body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
    "table{border-collapse:collapse;font-size:13px;margin-bottom:.5em}"
    "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}td.num,th.num{text-align:right}"
    ".note{color:#555;font-size:12px}img{max-width:100%;margin:.5em 0}"
)


def _write_index(report: Report, store: RunStore) -> None:
    """index.md, and index.html with every figure embedded (one file that opens offline and can be mailed);
    provenance first, the tables with their figures, the warnings last."""
    folder = report.folder
    summary = f"{report.runs} search runs, {len(store.evaluations)} evaluation runs"
    if store.skipped:
        summary += f"; {len(store.skipped)} damaged runs skipped"
    notes = [*report.notes, *(f"skipped damaged run {s}" for s in store.skipped)]
    md = ["# nash report", "", markdown_escape(summary), "", "## Provenance", ""]
    md += [f"- {label}: {markdown_escape(text)}" for label, text in report.provenance]
    md.append("")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>nash report</title><style>{_STYLE}</style>"
             f"</head><body><h1>nash report</h1><p>{html_text(summary)}</p>",
             "<h2>Provenance</h2><table class='provenance'>"]  # fmt: skip
    parts += [f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>" for k, v in report.provenance]
    parts.append("</table>")
    for table in report.tables:
        md.append(to_markdown(table) if table.inline else _link(table, "md"))
        parts.append(to_html(table) if table.inline else _link(table, "html"))
        for png in report.figures.get(table.name, []):
            image = png.relative_to(folder).as_posix()
            md.append(f"![{png.stem}]({image})  \n(PDF: [{png.with_suffix('.pdf').name}]({image[:-4]}.pdf))\n")
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            parts.append(f"<img src='data:image/png;base64,{data}' alt='{html_text(png.stem)}'>")
    if notes:
        md += ["## Warnings", "", *(f"- {markdown_escape(note)}" for note in notes), ""]
        parts.append("<h2>Warnings</h2>" + "".join(f"<p class='note'>{html_text(n)}</p>" for n in notes))
    (folder / "index.md").write_text("\n".join(md) + "\n")
    (folder / "index.html").write_text("\n".join(parts) + "</body></html>\n")


def _link(table: Table, kind: str) -> str:
    """A long table is only linked from the index (its files are in tables/)."""
    rows = f"{len(table.frame)} rows"
    if kind == "md":
        path = f"tables/{table.name}"
        return f"### {markdown_escape(table.title)}\n\n{rows}: [{path}.md]({path}.md), [CSV]({path}.csv)\n"
    return (f"<h3 id='{table.name}'>{html_text(table.title)}</h3><p>{rows}: <a href='tables/{table.name}.md'>"
            f"Markdown</a>, <a href='tables/{table.name}.csv'>CSV</a></p>")  # fmt: skip
