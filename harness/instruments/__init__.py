"""Measurements beside a search: the Hessian eigenvalue, supernet ranking, step profiling."""
