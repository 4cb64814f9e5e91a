"""Small hand-made result tables with known answers, shaped like `reports.runs.load_runs` output."""

from __future__ import annotations

import pandas as pd

CONV, SKIP = "sep_conv_3x3", "skip_connect"
NB201_GOOD = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
NB201_SKIPS = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
NB201_MIXED_FREE = "|none~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|skip_connect~1|skip_connect~2|"


def darts_string(normal_skips: int, reduce_pools: int = 0) -> str:
    """A DARTS-space genotype with `normal_skips` skips in the normal cell, `reduce_pools` max pools in reduce."""
    normal = [(SKIP if k < normal_skips else CONV, k // 2 + (k % 2)) for k in range(8)]
    reduce = [("max_pool_3x3" if k < reduce_pools else "dil_conv_3x3", k % 2) for k in range(8)]
    return f"Genotype(normal={normal}, normal_concat=[2, 3, 4, 5], reduce={reduce}, reduce_concat=range(2, 6))"


def run_rows(benchmark: str, searcher: str, seed: int, genotypes: list[str], **columns) -> pd.DataFrame:
    n = len(genotypes)
    frame = pd.DataFrame(
        {
            "run_path": f"{benchmark}__{searcher}__seed{seed}",
            "run_id": f"{benchmark}__{searcher}__seed{seed}",
            "benchmark": benchmark,
            "searcher": searcher,
            "profile": "quick",
            "seed": seed,
            "variant": "",
            "epoch": range(n),
            "genotype": genotypes,
        }
    )
    if benchmark.startswith("nb201"):
        frame["run.headline.column"] = "oracle_cifar10_test_200"
    for name, values in columns.items():
        frame[name] = values
    return frame
