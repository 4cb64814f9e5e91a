"""Analysis over stored results only. Imports no torch."""
