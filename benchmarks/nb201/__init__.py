"""NAS-Bench-201 topology space: architectures, operations, networks and the oracle."""
