"""Method ``"flow"``: exact min-cost flow with OR-Tools' ``SimpleMinCostFlow``.

OR-Tools solves the network of :mod:`matcher.solvers._network` with a
cost-scaling push-relabel algorithm in C++ (Goldberg, 1997), on int64
capacities and costs. It is exact on integers and the fastest exact route
measured for this library (see ``benchmarks/``).

References
----------
A. V. Goldberg, "An efficient implementation of a scaling minimum-cost flow
algorithm", J. Algorithms 22 (1997) 1-29.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SolverError
from ._base import Instance, SolverOutput
from ._network import build_network

__all__ = ["solve"]


def solve(inst: Instance, **options: Any) -> SolverOutput:
    """Solve *inst* exactly; return the chosen edges.

    Parameters
    ----------
    inst : Instance
    **options
        None are accepted yet.

    Raises
    ------
    SolverError
        If OR-Tools reports anything but OPTIMAL (the network is always feasible).
    """
    from ortools.graph.python import min_cost_flow

    net = build_network(inst)
    smcf = min_cost_flow.SimpleMinCostFlow()
    if net.n_arcs:
        smcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, net.capacity, net.cost)
    smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), net.supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise SolverError(f"OR-Tools SimpleMinCostFlow returned status {status!r}, not OPTIMAL")
    if net.n_pair_arcs:
        flows = smcf.flows(np.arange(net.n_pair_arcs, dtype=np.int64))
        chosen = np.nonzero(flows > 0)[0].astype(np.int64)
    else:
        chosen = np.zeros(0, np.int64)
    return SolverOutput(
        chosen=chosen, optimal=True, info={"nodes": net.n_nodes, "arcs": net.n_arcs}
    )
