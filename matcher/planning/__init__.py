"""Planning: solving a problem, re-planning a changing community, closing the gaps.

- :mod:`~matcher.planning.solving`: :func:`solve` and :func:`solve_graph`, the one
  path model -> graph -> solvers -> result;
- :mod:`~matcher.planning.warm`: re-plans from a previous plan (warm start, churn);
- :mod:`~matcher.planning.planner`: :class:`Planner`, incremental re-plans all day;
- :mod:`~matcher.planning.gap_analysis`: :func:`gaps`, what the unserved needs lack and
  which training would close them;
- :mod:`~matcher.planning.explanation`: :func:`explain`, why a need is unserved, in the
  detail of the rule that bound.
"""

from .explanation import explain, explain_unserved
from .gap_analysis import gaps
from .gap_types import DEFAULT_TEAM_SIZES, Gaps, Missing, Recommendation, Tally
from .planner import Planner
from .solving import methods, solve, solve_graph

__all__ = [
    "DEFAULT_TEAM_SIZES",
    "Gaps",
    "Missing",
    "Planner",
    "Recommendation",
    "Tally",
    "explain",
    "explain_unserved",
    "gaps",
    "methods",
    "solve",
    "solve_graph",
]
