"""Solvers: one module per method, one registry, one pipeline.

Every method takes an :class:`~matcher.solvers._base.Instance` (arrays only)
and returns the edges it chose. :func:`solve_instance` is the one path all
methods go through: fix the pinned edges, fold the objective into integer
costs, run the method, put the pinned edges back, check the plan and
recompute its objective from the plan itself.

Methods
-------
flow
    Exact min-cost flow, OR-Tools ``SimpleMinCostFlow`` (the default).
hungarian
    Exact, dense ``scipy.optimize.linear_sum_assignment`` on expanded copies;
    refuses problems it cannot express.
network_simplex
    Exact, networkx ``network_simplex`` on the same network; slow reference.
greedy
    Cheapest feasible edge first in priority order; a baseline, not optimal.
auto
    The fastest exact method for the instance (``flow`` or ``hungarian``);
    see :func:`choose_method`.

The warm-start engine keeps a plan optimal, with its certificate, one change at a
time: :class:`matcher.solvers.live.LiveAssignment` (an instance's certificate
network, event by event) on :class:`matcher.solvers.dynamic.DynamicFlow` (a
min-cost flow repaired by shortest paths on reduced costs, numba-compiled). The
:class:`~matcher.Planner` re-plans with it.
"""

from ._base import Instance, Objective
from ._duals import Potentials, WarmStart
from ._replan import Near
from .registry import (
    METHODS,
    WARM_METHODS,
    Method,
    Solved,
    Warm,
    choose_method,
    run_task,
    solve_instance,
)

__all__ = [
    "METHODS",
    "Instance",
    "Method",
    "Near",
    "Objective",
    "Potentials",
    "Solved",
    "WARM_METHODS",
    "Warm",
    "WarmStart",
    "choose_method",
    "run_task",
    "solve_instance",
]
