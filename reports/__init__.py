"""Analysis over stored results only. Imports no torch.

runs (load a results folder) → collapse, eigenvalue, ranking (statistics) → paper_tables,
analysis_tables, render (tables) and plots → build (`nash report`: the whole report with its index).
The papers' published numbers are data in `reports/published/`.
"""
