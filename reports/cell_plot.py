"""Derived cells drawn as small diagrams (matplotlib only): nodes, the op on each edge, parameter-free ops marked.

- NAS-Bench-201: the 4-node cell, node 0 its input and node 3 its output, one op on each of the 6 edges.
- DARTS family: the normal and the reduction cell; inputs c_{k-2}, c_{k-1}, intermediate nodes 0–3 (two
  inputs each), and the output c_{k} joined from the concat list.

Parameter-free ops (skip, pools, none, noise) are drawn red and dashed; `none` edges faint and dotted (they
pass nothing). One figure per distinct final cell of a benchmark, titled by the runs that ended there, so
seeds that collapse to the same cell share a drawing; `epochs` adds the cell each run held at those epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyArrowPatch

from reports import plots
from reports.genotypes import INPUT_FREE_OPS, PARAMETER_FREE_OPS, darts_cells, darts_concats, parse_cell_ops
from reports.render import Table

MAX_DRAWN = 40  # figures per report: a 100-run sweep ends in far fewer distinct cells; more is unreadable


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    op: str  # "" for the un-labelled concat edges into a DARTS cell's output


def cell_edges(genotype: str) -> dict[str, list[Edge]]:
    """The edges of each cell ("cell" on NB201; "normal" and "reduce" in the DARTS family)."""
    ops = parse_cell_ops(genotype)  # validates the string (and bounds its size) first
    if ops.space == "nb201":
        edges = []
        for target, node in enumerate(genotype.strip().split("+"), start=1):
            for token in node.strip("|").split("|"):
                op, source = token.split("~")
                edges.append(Edge(str(int(source)), str(target), op))
        return {"cell": edges}
    concats = darts_concats(genotype)
    cells = {}
    for name, genes in darts_cells(genotype).items():
        edges = [Edge(_darts_node(int(source)), str(k // 2), op) for k, (op, source) in enumerate(genes)]
        concat = concats.get(name, range(2, 2 + len(genes) // 2))
        edges += [Edge(_darts_node(node), "c_{k}", "") for node in concat]
        cells[name] = edges
    return cells


def _darts_node(index: int) -> str:
    return {0: "c_{k-2}", 1: "c_{k-1}"}.get(index, str(index - 2))


def _positions(edges: list[Edge], nb201: bool) -> dict[str, tuple[float, float]]:
    if nb201:  # planar: input left, output right, node 1 on top, node 2 inside; the 0 -> 3 edge bends below
        return {"0": (0.0, 0.0), "1": (1.5, 1.5), "2": (1.5, 0.5), "3": (3.0, 0.0)}
    inner = sorted({e.target for e in edges if e.target != "c_{k}"}, key=int)  # a column between inputs and output
    top = 0.8 * (len(inner) - 1)
    spots = {"c_{k-2}": (0.0, 1.2), "c_{k-1}": (0.0, -1.2), "c_{k}": (4.4, 0.0)}
    spots.update({node: (2.4, top - 1.6 * i) for i, node in enumerate(inner)})
    return spots


def _bend(edge: Edge, dx: float, dy: float, nb201: bool) -> float:
    """arc3's rad: 0 is straight; positive bends a left-to-right edge downwards."""
    if nb201:
        return 0.3 if (edge.source, edge.target) == ("0", "3") else 0.0
    if not edge.op or dx:  # concat edges into the output, and edges from the inputs, run straight
        return 0.0
    return -0.35  # between nodes of the column, on the output's side: a longer arc bulges further, so labels part


def _draw(ax, edges: list[Edge], title: str, nb201: bool) -> None:
    spots = _positions(edges, nb201)
    for edge in edges:
        if edge.source not in spots or edge.target not in spots:
            continue
        (x0, y0), (x1, y1) = spots[edge.source], spots[edge.target]
        free, dead = edge.op in PARAMETER_FREE_OPS, edge.op in INPUT_FREE_OPS
        colour = "#bbbbbb" if dead else "#d62728" if free else "#1f4e79" if edge.op else "#888888"
        bend = _bend(edge, x1 - x0, y1 - y0, nb201)
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), connectionstyle=f"arc3,rad={bend}", arrowstyle="-|>",
                                     mutation_scale=9, shrinkA=11, shrinkB=11, color=colour, linewidth=1.3,
                                     linestyle=":" if dead else "--" if free else "-"))  # fmt: skip
        if edge.op:
            t = 0.5 if nb201 or not x1 - x0 else 0.4 if edge.source == "c_{k-2}" else 0.7  # labels apart
            cx, cy = (x0 + x1) / 2 + bend * (y1 - y0), (y0 + y1) / 2 - bend * (x1 - x0)  # arc3's control point
            mx = (1 - t) ** 2 * x0 + 2 * t * (1 - t) * cx + t**2 * x1
            my = (1 - t) ** 2 * y0 + 2 * t * (1 - t) * cy + t**2 * y1
            beside = not nb201 and x0 == x1  # an arc beside the column: its label right of it, clear of the nodes
            long_arc = beside and abs(y1 - y0) > 2  # its middle may meet a short arc's: one label above, one below
            ax.text(mx + 0.04 * beside, my, edge.op, fontsize=6.5, ha="left" if beside else "center",
                    va="bottom" if long_arc else "top" if beside else "center",
                    color=colour,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})  # fmt: skip
    for node, (x, y) in spots.items():
        ends = node in ("0", "3") if nb201 else node.startswith("c_")
        ax.add_patch(plt.Circle((x, y), 0.16, color="#dddddd" if ends else "#9ecae1", zorder=3))
        math = node.startswith("c_")
        ax.text(x, y, f"${node}$" if math else node, ha="center", va="center", fontsize=7, zorder=4, parse_math=math)
    xs, ys = [x for x, _ in spots.values()], [y for _, y in spots.values()]
    ax.set(xlim=(min(xs) - 0.4, max(xs) + 0.4), ylim=(min(ys) - 0.6, max(ys) + 0.6), aspect="equal")
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def draw_cell(genotype: str, title: str, folder: Path, stem: str) -> Path:
    """One figure of `genotype`: a panel per cell."""
    cells = cell_edges(genotype)
    nb201 = "cell" in cells
    width, height = (4.2, 2.6) if nb201 else (4.6, 4.0)
    fig, axes = plt.subplots(1, len(cells), figsize=(width * len(cells), height), squeeze=False, layout="constrained")
    for ax, (name, edges) in zip(axes[0], cells.items(), strict=True):
        _draw(ax, edges, "" if nb201 else f"{name} cell", nb201)
    fig.suptitle(title, fontsize=9)
    fig.text(0.01, 0.01, "red dashed: parameter-free op; dotted: none", fontsize=6.5, color="#555555")
    return plots.save(fig, folder, stem)


def cells_table(per_run: pd.DataFrame, counted: pd.DataFrame, folder: Path, epochs: tuple[int, ...] = ()):
    """Per benchmark, each distinct final cell (and each run's cell at `epochs`) drawn once; the table says
    which runs hold it. Returns (Table or None, figures, note about cells left undrawn or "")."""
    held = per_run[["run_path", "benchmark", "searcher", "seed", "final_genotype"]].rename(
        columns={"final_genotype": "genotype"}
    )
    held = held.assign(epoch="final")
    if epochs:
        rows = counted[counted["epoch"].isin(epochs) & counted["run_path"].isin(per_run["run_path"])]
        chosen = rows[["run_path", "benchmark", "searcher", "seed", "genotype", "epoch"]].astype({"epoch": str})
        held = pd.concat([held, chosen], ignore_index=True)
    lines, written = [], []
    held = held.dropna(subset=["genotype"])
    held["order"] = held["epoch"].map(lambda e: -1 if e == "final" else int(e))
    held = held.sort_values(["benchmark", "order", "searcher", "seed"], kind="stable")
    groups = list(held.groupby(["benchmark", "genotype"], sort=False))
    for number, ((benchmark, genotype), rows) in enumerate(groups[:MAX_DRAWN], start=1):
        who = _holders(rows)
        ops = parse_cell_ops(genotype)
        title = f"cell {number}, {benchmark}: {_shorten(who, 110)}"
        written.append(draw_cell(genotype, title, folder, f"cell_{number:02d}_{benchmark}"))
        lines.append({"cell": number, "benchmark": benchmark, "held by (epoch)": who,
                      "parameter-free ops": ops.param_free() + (ops.param_free("reduce") if ops.reduce else 0),
                      "genotype": genotype})  # fmt: skip
    if not lines:
        return None, [], ""
    note = (
        f"drew {MAX_DRAWN} of {len(groups)} distinct cells; all are in tables/cells.csv"
        if len(groups) > MAX_DRAWN
        else ""
    )
    for (benchmark, genotype), rows in groups[MAX_DRAWN:]:
        lines.append({"cell": None, "benchmark": benchmark, "held by (epoch)": ", ".join(rows["run_path"]),
                      "parameter-free ops": None, "genotype": genotype})  # fmt: skip
    notes = ["Each distinct derived cell once, numbered as its figure: (final) is a run's result, (epoch N) its cell "
             "after epoch N (--cells-at). Parameter-free ops: both cells counted in the DARTS family."]  # fmt: skip
    table = Table("cells", "Derived cells", pd.DataFrame(lines), notes, inline=len(lines) <= 20)
    return table, written, note


def _holders(rows: pd.DataFrame) -> str:
    """'darts seed 0 (epoch 2, final), gdas seed 1 (final)'."""
    parts = []
    for (searcher, seed), held in rows.groupby(["searcher", "seed"], sort=False):
        when = ", ".join(e if e == "final" else f"epoch {e}" for e in dict.fromkeys(held["epoch"]))
        parts.append(f"{searcher} seed {seed} ({when})")
    return ", ".join(parts)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
