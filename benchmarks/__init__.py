"""What is searched and how it is judged: spaces, networks, datasets, oracles, registry.

Kept import-light (no torch at package import) so that the oracle and the error type can
be used by torch-free code such as `reports/`.
"""
