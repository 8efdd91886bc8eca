"""matcher: exact matching of community volunteers to residents' needs.

The public API, all importable from ``matcher``:

- the model: :class:`Volunteer`, :class:`Need`, :class:`Weights`, :class:`Policy`, :class:`Problem`;
- solving: :func:`solve` (and :func:`methods`); re-planning a changing community:
  :class:`Planner`;
- the result: :class:`Result`, :class:`Match`, :class:`Unmatched`, :class:`Objective`,
  :class:`Metrics`, :class:`Status`, :class:`Certificate`, :class:`Churn`, :class:`Stability`;
- what would fix the gaps: :func:`gaps` (and :class:`Gaps`, :class:`Recommendation`);
- checking: :func:`verify` and :class:`Violation`;
- low level: :class:`Graph`, :func:`build_graph`, :func:`solve_graph`, :class:`GraphSolution`;
- errors: :class:`MatcherError`, :class:`InputError`, :class:`InputProblem`,
  :class:`SizeLimitError`, :class:`UnsupportedProblem`, :class:`SolverError`,
  :class:`MissingDependency` (an optional extra is not installed), :class:`PlannerBusy`
  (size limits: :mod:`matcher.limits`).

Files (CSV / JSON / pandas) are read and written by :mod:`matcher.io`; the HTML
report and its figures are :mod:`matcher.report`; synthetic communities come
from :mod:`matcher.synthetic`.

The subpackages read as the pipeline, bottom to top: :mod:`matcher.model` ->
:mod:`matcher.graph` -> :mod:`matcher.solvers` -> :mod:`matcher.result` ->
:mod:`matcher.verify` (the proof) and :mod:`matcher.planning`; then the edges
:mod:`matcher.io`, :mod:`matcher.report`, :mod:`matcher.synthetic` and
:mod:`matcher.cli`. ARCHITECTURE.md in the repository says what lives where.

Examples
--------
>>> import matcher
>>> v = matcher.Volunteer("v1", {"tutoring": 2}, (31.2300, 121.4700), slots=["sat-am"])
>>> n = matcher.Need("n1", "tutoring", {"tutoring": 1}, (31.2310, 121.4710), slot="sat-am")
>>> result = matcher.solve(matcher.Problem([v], [n]))
>>> [(m.need_id, m.volunteer_id) for m in result.matches]
[('n1', 'v1')]
"""

from . import _compat
from ._version import __version__
from .errors import (
    InputError,
    InputProblem,
    MatcherError,
    MissingDependency,
    PlannerBusy,
    SizeLimitError,
    SolverError,
    UnsupportedProblem,
)
from .graph import Graph, build_graph
from .model import Need, Policy, Problem, Volunteer, Weights
from .planning import Gaps, Recommendation, gaps
from .planning.planner import Planner
from .planning.solving import methods, solve, solve_graph
from .result import (
    Certificate,
    Churn,
    GraphSolution,
    Match,
    Metrics,
    Objective,
    Result,
    Stability,
    Status,
    Unmatched,
)
from .verify import Violation, verify

_compat.install()  # one-release aliases of moved names (matcher/_compat.py)


def __getattr__(name: str) -> object:
    # ``matcher.api``, ``matcher.plots``, ...: the moved modules, with a DeprecationWarning
    if f"matcher.{name}" in _compat.MOVED_MODULES:
        return _compat.moved_module(name)
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")


__all__ = [
    "Certificate",
    "Churn",
    "Gaps",
    "Graph",
    "GraphSolution",
    "InputError",
    "InputProblem",
    "Match",
    "MatcherError",
    "MissingDependency",
    "Metrics",
    "Need",
    "Objective",
    "Planner",
    "PlannerBusy",
    "Policy",
    "Problem",
    "Recommendation",
    "Result",
    "SizeLimitError",
    "SolverError",
    "Stability",
    "Status",
    "Unmatched",
    "UnsupportedProblem",
    "Violation",
    "Volunteer",
    "Weights",
    "__version__",
    "build_graph",
    "gaps",
    "methods",
    "solve",
    "solve_graph",
    "verify",
]
