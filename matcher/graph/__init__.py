"""The candidate graph: every feasible pair with its integer cost (layer 2).

- :mod:`~matcher.graph.core`: :class:`Graph`, the arrays every solver is given
  (also made from your own costs: :meth:`Graph.from_arrays`, :meth:`Graph.from_dense`);
- :mod:`~matcher.graph.build`: :func:`build_graph` from a :class:`~matcher.Problem`;
- :mod:`~matcher.graph.search`: the k-d tree search for pairs in reach;
- :mod:`~matcher.graph.rebuild`: an incremental rebuild after a change (the Planner's).
"""

from .build import Built, Diagnostics, build, build_graph
from .core import COST_PARTS, Graph
from .costs import MAX_INT_COST
from .rebuild import Delta, rebuild

__all__ = [
    "COST_PARTS",
    "MAX_INT_COST",
    "Built",
    "Delta",
    "Diagnostics",
    "Graph",
    "build",
    "build_graph",
    "rebuild",
]
