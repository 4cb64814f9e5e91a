"""Differentiable architecture searchers behind one small contract."""
