"""Edge numbering of the 14-edge DARTS cell (ALGORITHMS.md §1.2), shared by spaces, networks and genotypes.

Inputs are numbered as in DARTS genotypes: 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = intermediate node j.
Node j takes every earlier input (2 + j of them); edges are numbered node by node, input by input:
node 0 ← e0–e1, node 1 ← e2–e4, node 2 ← e5–e8, node 3 ← e9–e13.
"""

from __future__ import annotations

NUM_NODES = 4  # intermediate nodes per cell
NUM_CELL_EDGES = sum(2 + j for j in range(NUM_NODES))  # 14
CONCAT = tuple(range(2, 2 + NUM_NODES))  # the cell output concatenates every intermediate node
# (node, input) of each edge, in edge order.
CELL_EDGES: tuple[tuple[int, int], ...] = tuple((j, i) for j in range(NUM_NODES) for i in range(2 + j))
# Edge indices entering each node, in input order.
NODE_IN_EDGES: tuple[tuple[int, ...], ...] = tuple(
    tuple(e for e, (node, _) in enumerate(CELL_EDGES) if node == j) for j in range(NUM_NODES)
)


def edge_index(node: int, source: int) -> int:
    """The edge from input `source` into intermediate node `node`."""
    if not 0 <= node < NUM_NODES or not 0 <= source < 2 + node:
        raise ValueError(f"node {node} has no input {source} (node j takes inputs 0..j+1)")
    return NODE_IN_EDGES[node][source]
