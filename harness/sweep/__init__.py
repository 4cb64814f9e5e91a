"""Sweeps: plans and presets, the manifest, cells, progress and the local / Ray executors."""
