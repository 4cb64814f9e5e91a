"""Readers for the official NAS-Bench-201 and NATS-Bench files, and their conversion to nash tables.

The official files (NATS-Bench by Xuanyi Dong et al., MIT; NAS-Bench-201 by the same authors) are
pickles of nested dicts. They are read here without trusting them: bz2 pickles through an
allow-listed unpickler (`safe_pickle`), `.pth` files through `torch.load(weights_only=True)` with an
explicit allow-list (`nb201_pth`). `convert` turns any of them into the compact table of
`benchmarks.nb201.oracle`, so that nothing but numpy is needed afterwards.
"""
