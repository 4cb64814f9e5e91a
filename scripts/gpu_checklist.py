"""Issue 8's GPU figures in one command: run every check, then write summary.md / summary.json.

Usage: python scripts/gpu_checklist.py --out gpu-results [--data-root DIR] [--device cuda] [--smoke]

1. `nash profile` on S0 (paper profile: 8 cells, C=16, batch 64), fp32 and bf16: peak memory and
   step time per searcher, vs the ROME paper's 9.4 / 3.1 / 3.7 / 2.3 GB (DARTS/GDAS/PC-DARTS/ROME).
2. `nash profile` on NAS-Bench-201 (C=16, N=5, batch 64), fp32 and bf16.
3. NB201 epoch time over the 25k/25k split (paper profile, full CIFAR-10 under --data-root):
   GDAS and first-order DARTS, 2 epochs each (the first includes warm-up), fp32 and bf16.
4. GPU vs CPU trajectory: quick profile (embedded data), --deterministic, augmentation off (the
   crops come from a generator on the data's device), DARTS and GDAS, genotype per epoch compared.
5. bf16 vs fp32 final genotype: quick profile on the GPU, DARTS and GDAS, every epoch of the profile.

Every command is printed before it runs and its output kept under --out; a failed step is recorded
and the rest still run. Without a CUDA device it stops at once with one line. --smoke runs the same
plumbing at toy sizes on the CPU (to test the script); its summary headings name those sizes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
PAPER_GB = {"darts": 9.4, "gdas": 3.1, "pcdarts": 3.7, "rome": 2.3}  # ROME paper, S0, batch 64 (BENCHMARKS.md §4.3)
EPOCH_TARGET_S = {"gdas": 30.0, "darts": 60.0}  # issue 8, on an H100-class GPU
PAIR = ("darts", "gdas")


def nash(args: list[str], log: Path) -> bool:
    """Run `python -m harness.cli ARGS`, output to `log`; True when it exited 0."""
    command = [sys.executable, "-m", "harness.cli", *args]
    print("$ nash " + " ".join(args), flush=True)
    with open(log, "w") as handle:
        code = subprocess.run(command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
    if code != 0:
        print(f"  failed (exit {code}); see {log}", flush=True)
    return code == 0


def profile_step(out: Path, benchmark: str, precision: str, device: str, smoke: bool) -> dict[str, Any] | None:
    target = out / f"profile-{benchmark}-{precision}.json"
    size = ["--channels", "8", "--cells", "1", "--layers", "3", "--batch", "4", "--size", "8"] if smoke else []
    steps = ["--warmup", "0", "--steps", "1"] if smoke else ["--warmup", "3", "--steps", "10"]
    args = ["profile", "--benchmark", benchmark, "--profile", "paper", "--precision", precision, "--device", device]
    ok = nash([*args, *size, *steps, "--json", str(target)], target.with_suffix(".log"))
    return json.loads(target.read_text()) if ok else None


def search_rows(out: Path, name: str, args: list[str]) -> pd.DataFrame | None:
    folder = out / name
    if not nash(["search", *args, "--out", str(folder), "--overwrite", "--no-progress"], out / f"{name}.log"):
        return None
    (epochs,) = folder.glob("*/epochs.parquet")
    return pd.read_parquet(epochs)


def small(smoke: bool) -> list[str]:
    """Toy sizes for --smoke (the real checks use the profile's sizes)."""
    if not smoke:
        return []
    return ["--set", "network.channels=4", "--set", "data.train_per_class=8", "--set", "train.batch_size=16"]


def epoch_times(out: Path, device: str, data_root: str | None, smoke: bool) -> list[dict[str, Any]]:
    found = []
    for precision in ("fp32", "bf16"):
        for searcher in PAIR:
            profile = "quick" if smoke else "paper"
            args = ["--benchmark", "nb201-cifar10", "--searcher", searcher, "--profile", profile, "--epochs", "2"]
            args += ["--device", device, "--set", f"perf.precision={precision}", *small(smoke)]
            args += ["--data-root", data_root] if data_root else []
            rows = search_rows(out, f"epochs-{searcher}-{precision}", args)
            seconds = None if rows is None else [round(s, 2) for s in rows["epoch_seconds"]]
            found.append({"searcher": searcher, "precision": precision, "epoch_seconds": seconds})
    return found


def trajectories(out: Path, device: str, smoke: bool) -> list[dict[str, Any]]:
    found = []
    for searcher in PAIR:
        runs = {}
        for where in (device, "cpu"):
            args = ["--benchmark", "nb201-cifar10", "--searcher", searcher, "--profile", "quick", "--epochs", "5"]
            args += ["--device", where, "--deterministic", "--set", "data.augment=false", *small(smoke)]
            runs[where] = search_rows(out, f"trajectory-{searcher}-{where}", args)
        gpu, cpu = runs[device], runs["cpu"]
        if gpu is None or cpu is None:
            found.append({"searcher": searcher, "same_genotypes": None})
            continue
        losses = ["train_loss", "val_loss"]
        found.append(
            {
                "searcher": searcher,
                "same_genotypes": list(gpu["genotype"]) == list(cpu["genotype"]),
                "epochs_with_same_genotype": int((gpu["genotype"] == cpu["genotype"]).sum()),
                "epochs": len(cpu),
                "max_abs_loss_difference": float((gpu[losses] - cpu[losses]).abs().max().max()),
            }
        )
    return found


def bf16_genotypes(out: Path, device: str, smoke: bool) -> list[dict[str, Any]]:
    found = []
    for searcher in PAIR:
        final = {}
        for precision in ("fp32", "bf16"):
            args = ["--benchmark", "nb201-cifar10", "--searcher", searcher, "--profile", "quick", "--device", device]
            args += ["--set", f"perf.precision={precision}", *small(smoke)] + (["--epochs", "2"] if smoke else [])
            rows = search_rows(out, f"genotype-{searcher}-{precision}", args)
            final[precision] = None if rows is None else rows["genotype"].iloc[-1]
        same = None if None in final.values() else final["fp32"] == final["bf16"]
        found.append({"searcher": searcher, **final, "same_final_genotype": same})
    return found


def memory_table(fp32: dict | None, bf16: dict | None) -> list[str]:
    lines = ["| searcher | fp32 peak GB | bf16 peak GB | paper GB | fp32 vs DARTS | ms/step fp32 | ms/step bf16 |"]
    lines.append("|---|---|---|---|---|---|---|")
    by = {
        p: {r["searcher"]: r for r in (rep or {"results": []})["results"]}
        for p, rep in (("fp32", fp32), ("bf16", bf16))
    }
    for name in by["fp32"] or by["bf16"]:
        a, b = by["fp32"].get(name), by["bf16"].get(name)
        gb = lambda r: "-" if r is None else f"{r['peak_memory_mb'] / 1024:.2f}"  # noqa: E731
        ms = lambda r: "-" if r is None else f"{1000 * r['step_seconds_median']:.1f}"  # noqa: E731
        ratio = "-" if a is None or a["memory_vs_darts"] is None else f"{a['memory_vs_darts']:.2f}x"
        lines.append(f"| {name} | {gb(a)} | {gb(b)} | {PAPER_GB.get(name, '-')} | {ratio} | {ms(a)} | {ms(b)} |")
    return lines


HEADINGS = {
    "s0": "S0 (paper profile, batch 64):",
    "nb201": "NB201 (C=16, N=5, batch 64):",
    "epochs": "NB201 epoch seconds (25k/25k; targets GDAS < 30 s, DARTS < 60 s):",
    "trajectories": "GPU vs CPU trajectory (quick, deterministic, no augmentation):",
    "bf16": "bf16 vs fp32 final genotype (quick profile):",
}
# What --smoke runs instead (the sizes of profile_step and small()): its numbers say nothing about a GPU.
SMOKE_HEADINGS = {
    "s0": "S0 (smoke, CPU: paper profile at C=8, 3 cells, batch 4, 8x8 images, 1 step):",
    "nb201": "NB201 (smoke, CPU: C=8, N=1, batch 4, 8x8 images, 1 step):",
    "epochs": "NB201 epoch seconds (smoke, CPU: quick profile, C=4, 8 images per class, batch 16; no targets):",
    "trajectories": "CPU vs CPU trajectory (smoke: quick, C=4, 8 images per class, batch 16, deterministic, "
    "no augmentation):",
    "bf16": "bf16 vs fp32 final genotype (smoke, CPU: quick, C=4, 8 images per class, batch 16, 2 epochs):",
}


def write_summary(out: Path, found: dict[str, Any], headings: dict[str, str] = HEADINGS) -> None:
    (out / "summary.json").write_text(json.dumps(found, indent=2, default=str) + "\n")
    setting = (found["s0_fp32"] or found["nb201_fp32"] or {"setting": {}})["setting"]
    lines = [
        f"device: {setting.get('device')}, torch {setting.get('torch')}, CUDA {setting.get('cuda')}, "
        f"{setting.get('date')}",
        "",
        headings["s0"],
        *memory_table(found["s0_fp32"], found["s0_bf16"]),
    ]
    lines += ["", headings["nb201"], *memory_table(found["nb201_fp32"], found["nb201_bf16"]), ""]
    lines += [headings["epochs"]]
    lines += [f"- {e['searcher']} {e['precision']}: {e['epoch_seconds']}" for e in found["epoch_times"]]
    lines += ["", headings["trajectories"]]
    lines += [f"- {t}" for t in found["trajectories"]]
    lines += ["", headings["bf16"], *[f"- {g}" for g in found["bf16_genotypes"]]]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="gpu-results", help="folder for every output (created)")
    parser.add_argument("--data-root", default=None, help="folder holding cifar-10-batches-py (else $NASH_DATA_ROOT)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--smoke", action="store_true", help="toy sizes on the CPU: tests the plumbing only")
    args = parser.parse_args(argv)
    if not args.smoke and (problem := cuda_problem(args.device)):
        print(
            f"gpu_checklist: error: {problem}; run it on a GPU machine, or --smoke to test it on the CPU",
            file=sys.stderr,
        )
        return 2
    device = "cpu" if args.smoke else args.device
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}
    for benchmark, key in (("s0-cifar10", "s0"), ("nb201-cifar10", "nb201")):
        for precision in ("fp32", "bf16"):
            found[f"{key}_{precision}"] = profile_step(out, benchmark, precision, device, args.smoke)
    found["epoch_times"] = epoch_times(out, device, args.data_root, args.smoke)
    found["trajectories"] = trajectories(out, device, args.smoke)
    found["bf16_genotypes"] = bf16_genotypes(out, device, args.smoke)
    write_summary(out, found, SMOKE_HEADINGS if args.smoke else HEADINGS)
    return 0


def cuda_problem(device: str) -> str | None:
    """Why `device` cannot run the GPU checks here, or None."""
    if not device.startswith("cuda"):
        return f"--device {device}: the checklist measures a CUDA GPU (cuda or cuda:N)"
    import torch

    if not torch.cuda.is_available():
        build = f"built for CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        return f"no CUDA device here (torch {torch.__version__}, {build})"
    return None


if __name__ == "__main__":
    sys.exit(main())
