"""`nash benchmarks` and `nash searchers`: pure data, no torch, so they answer at once."""

from __future__ import annotations


def list_benchmarks(_args) -> int:
    from benchmarks.registry.catalog import BENCHMARKS

    for bench in BENCHMARKS.values():
        print(f"{bench.name}  (space {bench.space}, dataset {bench.dataset}, judged by: {bench.backend})")
        print(f"    {bench.description}")
        for profile in bench.profiles.values():
            print(f"    profile {profile.name}: {profile.description}")
            for note in profile.notes:
                print(f"        {note}")
            if profile.cpu_perf:
                print(f"        on the CPU: {_cpu_perf_line(profile.cpu_perf)}")
    return 0


def _cpu_perf_line(cpu_perf: dict[str, dict]) -> str:
    """`perf.channels_last + perf.compile for darts, drnas; perf.compile for pcdarts; others unchanged`."""
    groups: dict[str, list[str]] = {}
    for name, switches in cpu_perf.items():
        on = " + ".join(f"perf.{k}" if v is True else f"perf.{k}={v}" for k, v in switches.items())
        groups.setdefault(on or "unchanged", []).append("others" if name == "default" else name)
    return "; ".join(f"{on} for {', '.join(names)}" for on, names in groups.items())


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
