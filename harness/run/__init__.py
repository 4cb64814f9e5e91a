"""The search epoch loop and what it keeps: data, checkpoints, epoch states, divergence, progress."""
