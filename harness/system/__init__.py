"""What a run needs from the machine: devices and versions, safe files, locks, checkpoints, signals."""
