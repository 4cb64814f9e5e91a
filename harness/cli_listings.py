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
    import sys

    from searchers.catalog import searcher_descriptions
    from searchers.plugins import plugin_entry_points

    described, problems = searcher_descriptions(), {}
    if plugin_entry_points():  # only then: checking a plug-in means importing it (and torch)
        from searchers.registry import DESCRIPTIONS, PLUGIN_PROBLEMS

        described, problems = DESCRIPTIONS, PLUGIN_PROBLEMS
    width = max(map(len, described))
    for name, description in described.items():
        print(f"{name:{width}s} {description}")
    for problem in problems.values():  # one line each; every other searcher still works
        print(f"nash: warning: {problem}; left out", file=sys.stderr)
    return 0
