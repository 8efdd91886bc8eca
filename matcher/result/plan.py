"""The parts of a plan: its status, its matches, its unmatched needs and its objective."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .._frozen import FrozenMap
from ..solvers import Potentials

__all__ = [
    "FILTERS",
    "REASONS",
    "UNKNOWN",
    "GraphSolution",
    "Match",
    "Objective",
    "Status",
    "Unmatched",
]


FILTERS = ("skills", "distance", "slot", "community", "available")
"""The filters behind ``Unmatched.candidates``, in order (the feasibility rules)."""

REASONS = {
    "no_skill": "no volunteer has the required skills",
    "out_of_range": "no volunteer with the skills lives within travel range",
    "no_slot": "no volunteer within range with the skills is free in the slot",
    "other_community": "the volunteers who could serve belong to another community",
    "unavailable": "the only possible volunteers have capacity 0 or are forbidden for this need",
    "taken": "the possible volunteers are all serving needs that count more",
    "not_worth": "serving it would cost more than leaving it unserved (unmatched_cost)",
    "team": "its team (Need.group) could not be served all together",
}
"""Why a unit of need is unserved: reason code -> meaning, in the order tested."""

UNKNOWN = "(unknown)"
"""Key used in per-community / per-unit metrics for records without one."""


class Status(enum.Enum):
    """How good the plan is.

    Attributes
    ----------
    OPTIMAL
        Proven optimal for the objective (exact methods).
    FEASIBLE
        Satisfies every constraint, optimality not proven (``greedy``).

    Examples
    --------
    >>> from matcher import Need, Problem, Status, solve
    >>> p = Problem([], [Need("n", "repair", [], (0.0, 0.0))])
    >>> solve(p).status is Status.OPTIMAL, solve(p, "greedy").status.value
    (True, 'feasible')
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


@dataclass(frozen=True)
class Match:
    """One volunteer serving one need.

    Attributes
    ----------
    need_id, volunteer_id : str
    cost : float
        The edge's cost after rounding to the policy's resolution (load penalty not included).
    distance_km : float
    parts : mapping of str to float
        Each weighted cost term before rounding: distance, overskill, preference, outside.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["driving"], (0.0, 0.0))],
    ...             [Need("n", "medical", ["driving"], (0.3, 0.4))], Policy(geometry="plane"))
    >>> m = solve(p).matches[0]
    >>> m.need_id, m.volunteer_id, m.cost, m.distance_km, dict(m.parts)["distance"]
    ('n', 'v', 0.5, 0.5, 0.5)
    """

    need_id: str
    volunteer_id: str
    cost: float
    distance_km: float
    parts: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        if type(self.parts) is not FrozenMap:
            object.__setattr__(self, "parts", FrozenMap(self.parts))


@dataclass(frozen=True)
class Unmatched:
    """Units of a need left unserved, and why.

    Attributes
    ----------
    need_id : str
    missing : int
        Units of demand not served.
    reason : str
        One of :data:`REASONS`: ``no_skill``, ``out_of_range``, ``no_slot``,
        ``other_community``, ``unavailable``, ``taken``, ``not_worth``.
    candidates : tuple of int
        How many volunteers each filter of :data:`FILTERS` left, in order
        (skills; of those, within range; free in the slot; in the community;
        available). The reason names the first filter that left none.

    Examples
    --------
    >>> from matcher import Need, Problem, solve
    >>> u = solve(Problem([], [Need("n", "legal", ["legal"], (31.2, 121.4), demand=2)])).unmatched[0]
    >>> u.need_id, u.missing, u.reason, u.candidates
    ('n', 2, 'no_skill', (0, 0, 0, 0, 0))
    """

    need_id: str
    missing: int
    reason: str
    candidates: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(int(c) for c in self.candidates))


@dataclass(frozen=True)
class Objective:
    """The value of the plan.

    Attributes
    ----------
    served_priority : int
        Sum over needs of priority x units served (maximised first by default).
    int_cost : int
        Total integer cost: edge costs plus load penalties, in units of ``resolution``.
    cost : float
        ``int_cost * resolution``.
    int_penalty : int
        Integer penalty of unserved units when ``unmatched_cost`` is set, else 0.
    penalty : float
        ``int_penalty * resolution``.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", [], (0.0, 0.0))],
    ...             [Need("n", "repair", [], (2.0, 0.0), priority=3)], Policy(geometry="plane"))
    >>> solve(p).objective
    Objective(served_priority=3, int_cost=2000, cost=2.0, int_penalty=0, penalty=0.0)
    """

    served_priority: int
    int_cost: int
    cost: float
    int_penalty: int = 0
    penalty: float = 0.0


@dataclass(frozen=True, eq=False)
class GraphSolution:
    """The plan of a :class:`~matcher.Graph`, as index arrays.

    Attributes
    ----------
    method : str
    status : Status
    edge : int64 array
        Indices of the chosen edges in the graph, sorted (so by need, then volunteer).
    volunteer, need : int64 arrays
        Endpoints of the chosen edges.
    served : int64 array, shape (n_needs,)
        Units served per need.
    served_priority, int_cost, int_penalty : int
        The objective, recomputed from the plan (see :class:`Objective`).
    cost : float
        ``int_cost * resolution``.
    parts : int
        Independent parts (connected components packed into tasks) solved.
    backend_seconds : float
        Time spent solving the parts, summed over parts (with an executor,
        more than the wall time when they run side by side).
    certificate : Potentials or None
        Node potentials proving the plan optimal, by node kind (None when
        the plan is not proven optimal); see :mod:`matcher.solvers._duals`.
    certify_seconds : float
        Time spent computing the certificate (part of the solve).
    replan_rounds : int
        Rounds of a re-plan from a previous plan (``solve(..., previous=)``),
        0 when solved from scratch.
    blocking : int64 array or None
        Method ``"stable"``: the edges that block the plan (None for other methods).
    gap : float or None
        Method ``"milp"``: the relative optimality gap HiGHS proved (0.0:
        optimal; above 0 when a time limit stopped it). None for the others.

    Examples
    --------
    >>> from matcher import Graph, solve_graph
    >>> sol = solve_graph(Graph.from_dense([[4, 1], [2, 8]]))
    >>> sol.edge.tolist(), sol.volunteer.tolist(), sol.need.tolist(), sol.int_cost
    ([1, 2], [1, 0], [0, 1], 3)
    """

    method: str
    status: Status
    edge: NDArray[np.int64]
    volunteer: NDArray[np.int64]
    need: NDArray[np.int64]
    served: NDArray[np.int64]
    served_priority: int
    int_cost: int
    int_penalty: int
    cost: float
    parts: int = 1
    backend_seconds: float = 0.0
    certificate: Potentials | None = None
    certify_seconds: float = 0.0
    replan_rounds: int = 0
    blocking: NDArray[np.int64] | None = None
    gap: float | None = None
