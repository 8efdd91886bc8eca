"""Method ``"network_simplex"``: the same network solved by networkx.

Pure Python and slow; kept as an independent reference implementation of
the min-cost flow (a different algorithm and code base than OR-Tools) for
tests and benchmarks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Instance, SolverOutput
from ._network import build_network

__all__ = ["solve"]


def solve(inst: Instance, **options: Any) -> SolverOutput:
    """Solve *inst* exactly with :func:`networkx.network_simplex`."""
    import networkx as nx

    net = build_network(inst)
    G = nx.MultiDiGraph()
    # networkx: demand > 0 means the node takes in flow (the opposite of supply).
    G.add_nodes_from((int(u), {"demand": -int(s)}) for u, s in enumerate(net.supply))
    for a in range(net.n_arcs):
        G.add_edge(
            int(net.tail[a]),
            int(net.head[a]),
            key=a,
            capacity=int(net.capacity[a]),
            weight=int(net.cost[a]),
        )
    _, flow = nx.network_simplex(G)
    chosen = [a for a in range(net.n_pair_arcs) if flow[int(net.tail[a])][int(net.head[a])][a] > 0]
    return SolverOutput(chosen=np.array(chosen, np.int64), optimal=True)
