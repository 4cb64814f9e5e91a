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

    described = searcher_descriptions()
    width = max(map(len, described))
    for name, description in described.items():
        print(f"{name:{width}s} {description}")
    return 0
