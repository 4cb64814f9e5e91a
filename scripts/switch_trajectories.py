"""Per-epoch α trajectories of a switch study (`nash sweep --preset gdas-switches` / `darts-switches`).

    python scripts/switch_trajectories.py runs/gdas-switches [--epochs 0,4,9,14,19]

Groups the runs of one searcher on one benchmark by their preset variant and prints, per variant, the
seed means of the architecture entropy, the derived cell's oracle accuracy and skip count at the chosen
epochs, and how many (seed, epoch) cells derive another genotype than the variant named `reference` of
the same seed and epoch (and the first such epoch per seed), and the largest entropy difference from it: the switches'
effect on the α trajectory, in Markdown.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def load_rows(folder: Path) -> pd.DataFrame:
    frames = []
    for run_file in sorted(folder.glob("*/run.json")):
        facts = json.loads(run_file.read_text())
        if facts.get("status") != "done":
            continue
        rows = pd.read_parquet(run_file.parent / "epochs.parquet")
        rows["variant"] = facts["config"].get("variant") or "reference"
        rows["headline"] = rows[facts["headline"]["column"]] if facts.get("headline") else float("nan")
        frames.append(rows)
    if not frames:
        raise SystemExit(f"no finished runs under {folder}")
    return pd.concat(frames, ignore_index=True)


def trajectory_table(rows: pd.DataFrame, epochs: list[int]) -> str:
    reference_rows = rows[rows.variant == "reference"].set_index(["seed", "epoch"])
    reference, reference_entropy = reference_rows["genotype"], reference_rows["arch_entropy"]
    lines = [
        "| variant | "
        + " | ".join(f"epoch {e}: entropy / acc / skips" for e in epochs)
        + " | cells ≠ reference | first epoch ≠ reference, per seed | max abs entropy difference |",
        "|---|" + "---|" * (len(epochs) + 3),
    ]
    for variant, part in rows.groupby("variant", sort=False):
        means = part.groupby("epoch")[["arch_entropy", "headline", "skip_count"]].mean()
        cells = [
            f"{means.at[e, 'arch_entropy']:.3f} / {means.at[e, 'headline']:.2f} / {means.at[e, 'skip_count']:.1f}"
            for e in epochs
        ]
        keyed = part.set_index(["seed", "epoch"])["genotype"]
        shared = keyed.index.intersection(reference.index)
        unequal = keyed[shared] != reference[shared]
        first = [
            str(min((e for (sd, e), u in unequal.items() if sd == seed and u), default="-"))
            for seed in sorted(part.seed.unique())
        ]
        entropy = part.set_index(["seed", "epoch"])["arch_entropy"]
        gap = float((entropy[shared] - reference_entropy[shared]).abs().max())
        counts = f"{int(unequal.sum())} / {len(shared)} | {', '.join(first)} | {gap:.1e}"
        lines.append(f"| {variant} | " + " | ".join(cells) + f" | {counts} |")
    return "\n".join(lines)


def final_cells(rows: pd.DataFrame) -> str:
    last = rows[rows.epoch == rows.epoch.max()].sort_values(["variant", "seed"])
    lines = ["| variant | seed | final genotype | acc |", "|---|---|---|---|"]
    lines += [f"| {r.variant} | {r.seed} | `{r.genotype}` | {r.headline:.2f} |" for r in last.itertuples()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="the sweep's --out folder")
    parser.add_argument("--epochs", help="comma-separated 0-based epochs (default: first, middle, last)")
    args = parser.parse_args()
    rows = load_rows(args.runs)
    last = int(rows.epoch.max())
    epochs = [int(e) for e in args.epochs.split(",")] if args.epochs else sorted({0, last // 2, last})
    print(trajectory_table(rows, epochs))
    print()
    print(final_cells(rows))


if __name__ == "__main__":
    main()
