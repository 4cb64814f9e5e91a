"""The collapse study's per-seed table and trajectory figure (docs/STUDY.md).

    python scripts/study_figures.py RUNS_FOLDER --out docs/figures --name study_nb201

Reads every finished search under RUNS_FOLDER (one benchmark) and writes
- `<name>_trajectories.png`: per searcher (one colour) and seed (thin lines; mean thick), after each
  epoch, against the architecture steps done so far:
  parameter-free and skip counts of the derived cell, its oracle accuracy, the dominant Hessian
  eigenvalue and the supernet's Kendall τ (where measured);
- a Markdown table on stdout, one line per run: final cell, counts per epoch, verdict by the report's
  collapse rule, whether the input reaches the output, oracle accuracy, arch steps and wall seconds.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from reports.collapse import CollapseRule
from reports.genotypes import input_reaches_output, parse_cell_ops
from reports.plots import plt

PANELS = (  # column, y label
    ("param_free_count", "parameter-free ops (of 6)"),
    ("skip_count", "skip_connect ops (of 6)"),
    ("headline", "oracle acc. (%)\ncifar10 test, 200 ep"),
    ("hessian_eigenvalue", "dominant eigenvalue\nof ∇²_α L_val"),
    ("supernet_kendall_tau", "supernet Kendall τ\nvs oracle"),
)
COLOURS = {"darts": "tab:red", "darts-v2": "tab:pink", "gdas": "tab:blue", "pcdarts": "tab:green", "rome": "tab:purple"}


def load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(epoch rows, one row per run) of the finished searches under `folder`."""
    rows, runs = [], []
    for run_file in sorted(folder.glob("*/run.json")):
        facts = json.loads(run_file.read_text())
        if facts.get("status") != "done" or facts.get("kind") == "evaluation":
            continue
        epochs = pd.read_parquet(run_file.parent / "epochs.parquet")
        epochs["headline"] = epochs[facts["headline"]["column"]] if facts.get("headline") else math.nan
        config = facts["config"]
        warmup = config["searcher_options"].get("warmup_epochs", 0) or 0
        per_epoch = math.ceil(config["data"]["train_per_class"] * 10 / 2 / config["train"]["batch_size"])
        epochs["arch_steps_done"] = (epochs["epoch"] + 1 - warmup).clip(lower=0) * per_epoch  # PC-DARTS: warm-up
        rows.append(epochs)
        runs.append(
            {
                "searcher": config["searcher"],
                "seed": config["seed"],
                "arch_steps": (config["train"]["epochs"] - warmup) * per_epoch,
                "seconds": facts["search_seconds"],
            }
        )
    if not rows:
        raise SystemExit(f"no finished search runs under {folder}")
    return pd.concat(rows, ignore_index=True), pd.DataFrame(runs)


def per_seed_table(rows: pd.DataFrame, runs: pd.DataFrame, rule: CollapseRule) -> str:
    lines = [
        "| searcher | seed | param-free / epoch | skip / epoch | final cell | collapsed | input reaches output "
        "| oracle acc. (%) | arch steps | search s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (searcher, seed), run in rows.groupby(["searcher", "seed"], sort=True):
        run = run.sort_values("epoch")
        last = run.iloc[-1]
        meta = runs[(runs.searcher == searcher) & (runs.seed == seed)].iloc[0]
        collapsed = "yes" if rule.holds(parse_cell_ops(last["genotype"])) else "no"
        lines.append(
            f"| {searcher} | {seed} | {' '.join(str(int(v)) for v in run['param_free_count'])} "
            f"| {' '.join(str(int(v)) for v in run['skip_count'])} | `{last['genotype']}` | {collapsed} "
            f"| {'yes' if input_reaches_output(last['genotype']) else 'NO'} | {last['headline']:.2f} "
            f"| {meta['arch_steps']} | {meta['seconds']:.0f} |"
        )
    return "\n".join(lines)


def trajectory_figure(rows: pd.DataFrame, title: str, path: Path) -> None:
    panels = [(c, label) for c, label in PANELS if c in rows.columns and rows[c].notna().any()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, 1.9 * len(panels) + 0.6), sharex=True, layout="constrained")
    for ax, (column, label) in zip(axes, panels, strict=True):
        for searcher, runs in rows.groupby("searcher", sort=True):
            colour = COLOURS.get(searcher, "black")
            measured = runs.dropna(subset=[column])
            for _seed, run in measured.groupby("seed"):
                run = run.sort_values("epoch")
                x = run["arch_steps_done"]
                ax.plot(x, run[column], "-", color=colour, alpha=0.35, linewidth=0.9, marker=".")
            mean = measured.groupby("arch_steps_done")[column].mean()
            seeds = measured["seed"].nunique()
            ax.plot(mean.index, mean.values, "-", color=colour, linewidth=2.2, label=f"{searcher} (n={seeds})")
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.45), frameon=False)
    axes[-1].set_xlabel("architecture steps done (end of each search epoch; PC-DARTS's warm-up epoch at 0)")
    fig.suptitle(title + "\nthin: one seed; thick: mean over seeds", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/figures"))
    parser.add_argument("--name", default="study_nb201")
    parser.add_argument("--title", default="nb201-cifar10, study profile")
    args = parser.parse_args()
    rows, runs = load(args.folder)
    trajectory_figure(rows, args.title, args.out / f"{args.name}_trajectories.png")
    print(per_seed_table(rows, runs, CollapseRule()))


if __name__ == "__main__":
    main()
