"""Orchestration: configs, the epoch loop, results, and the `nash` command line."""
