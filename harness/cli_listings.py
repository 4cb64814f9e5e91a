"""`nash benchmarks` and `nash searchers`: pure data, no torch, so they answer at once."""

from __future__ import annotations


def list_benchmarks(_args) -> int:
    from benchmarks.registry import BENCHMARKS

    for bench in BENCHMARKS.values():
        print(f"{bench.name}  (space {bench.space}, dataset {bench.dataset}, judged by: {bench.backend})")
        print(f"    {bench.description}")
        for profile in bench.profiles.values():
            print(f"    profile {profile.name}: {profile.description}")
            for note in profile.notes:
                print(f"        {note}")
    return 0


def list_searchers(_args) -> int:
    from searchers.catalog import searcher_descriptions

    for name, description in searcher_descriptions().items():
        print(f"{name:8s} {description}")
    return 0
