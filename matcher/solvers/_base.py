"""What every solver sees and returns: arrays only.

A solver receives an :class:`Instance` -- the candidate edges with integer
costs, capacities, demands, slots, the integer load step and the integer
cost of an unserved unit of each need -- with no pinned edges left (they are
fixed beforehand by :func:`fix_pinned`) and with the lexicographic objective
already folded into ``unserved_cost`` (:func:`fold_objective`). It returns the
indices of the edges it chose. Every solver then minimises the same thing::

    sum(cost[chosen]) + sum over volunteers of load_step * (s + s+1 + ... )
                      + sum over needs of unserved_cost * (demand - served)

subject to: volunteer loads <= capacity, served <= demand, and, when ``slot``
is given, at most one chosen edge per (volunteer, slot >= 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import UnsupportedProblem

__all__ = ["Instance", "Objective", "SolverOutput", "evaluate", "fix_pinned", "fold_objective"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Largest integer magnitude a solver may see. OR-Tools' cost scaling multiplies
# costs by (number of nodes + 1) in int64; float64 is exact below 2**53.
INT64_SAFE = 1 << 62


@dataclass(frozen=True, eq=False)
class Instance:
    """An assignment / transportation instance as arrays.

    Attributes
    ----------
    n_volunteers, n_needs : int
    volunteer, need, cost : int64 arrays, shape (m,)
        The candidate edges.
    capacity : int64 array, shape (n_volunteers,)
    demand, priority : int64 arrays, shape (n_needs,)
    slot : int64 array, shape (n_needs,), or None
        Slot of each need (-1 = none) when a volunteer may serve one need per
        slot; None when that rule is off.
    load_step : int
        The k-th need of a volunteer costs ``(load_start + k - 1) * load_step`` more.
    load_start : int64 array, shape (n_volunteers,)
        Needs each volunteer already serves (fixed pinned edges).
    unserved_cost : int64 array, shape (n_needs,)
        Cost of each unit of demand left unserved.
    rank : int64 array, shape (m,), or None
        How each volunteer ranks its edges, lower is better (read by method
        ``"stable"`` only; None: by cost).
    participation : bool
        Breadth of participation is a level of the objective, between coverage
        and cost (:func:`fold_objective` sets ``engage``).
    engage : int
        Taken off the cost of each volunteer's first need (one more volunteer
        engaged outweighs any cost difference when larger than the spread).
    group : int64 array, shape (n_needs,), or None
        Team of each need (-1: none): a team's needs are served whole or not at
        all (method ``"milp"`` only).
    pinned_units : int64 array, shape (n_needs,), or None
        Units of each need fixed by pinned pairs (with teams: a team with one
        is served whole).
    volunteer_unit, unit_floor : int64 arrays, or None
        Participation floors: each volunteer's unit (-1: none) and the fewest
        volunteers of each unit to engage (method ``"milp"`` only).
    lexicographic : bool
        ``unserved_cost`` was folded from the coverage-first objective (a
        solver may optimise its two levels in turn instead).
    """

    n_volunteers: int
    n_needs: int
    volunteer: IntArray
    need: IntArray
    cost: IntArray
    capacity: IntArray
    demand: IntArray
    priority: IntArray
    slot: IntArray | None
    load_step: int
    load_start: IntArray
    unserved_cost: IntArray
    rank: IntArray | None = None
    participation: bool = False
    engage: int = 0
    group: IntArray | None = None
    pinned_units: IntArray | None = None
    volunteer_unit: IntArray | None = None
    unit_floor: IntArray | None = None
    lexicographic: bool = False

    @property
    def n_edges(self) -> int:
        return int(self.volunteer.shape[0])

    def degree(self) -> tuple[IntArray, IntArray]:
        """Number of candidate edges of each volunteer and of each need."""
        return (
            np.bincount(self.volunteer, minlength=self.n_volunteers),
            np.bincount(self.need, minlength=self.n_needs),
        )


@dataclass(frozen=True, eq=False)
class SolverOutput:
    """What a solver returns: the chosen edges (indices into the instance)."""

    chosen: IntArray
    optimal: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Objective:
    """The value of a plan, recomputed from the plan itself."""

    served_priority: int
    int_cost: int
    int_penalty: int


def fix_pinned(inst: Instance, pinned: BoolArray) -> tuple[Instance, IntArray]:
    """Fix the pinned edges and return the residual instance.

    A pinned edge ``(v, j)`` uses one unit of ``v``'s capacity, one unit of
    ``j``'s demand and, with the slot rule, ``v``'s slot of ``j`` (so ``v``'s
    other edges in that slot go). The load penalty of the remaining needs of
    ``v`` starts after its pinned ones. Any plan of the residual instance plus
    the pinned edges is a plan of the original one with the pinned edges in,
    and conversely, at the same cost: the reduction is exact.

    Returns
    -------
    residual : Instance
    kept : int64 array
        For each residual edge, its index in *inst*.
    """
    if not pinned.any():
        return inst, np.arange(inst.n_edges, dtype=np.int64)
    pv, pn = inst.volunteer[pinned], inst.need[pinned]
    used_v = np.bincount(pv, minlength=inst.n_volunteers)
    used_n = np.bincount(pn, minlength=inst.n_needs)
    keep = ~pinned
    if inst.slot is not None:
        s = inst.slot[pn]
        width = int(inst.slot.max()) + 2
        taken = pv[s >= 0] * width + s[s >= 0]
        es = inst.slot[inst.need]
        keep &= ~((es >= 0) & np.isin(inst.volunteer * width + es, taken))
    kept = np.nonzero(keep)[0]
    residual = replace(
        inst,
        volunteer=inst.volunteer[kept],
        need=inst.need[kept],
        cost=inst.cost[kept],
        rank=None if inst.rank is None else inst.rank[kept],
        capacity=inst.capacity - used_v,
        demand=inst.demand - used_n,
        load_start=inst.load_start + used_v,
        pinned_units=None if inst.group is None else used_n,
    )
    return residual, kept


def unit_cost(inst: Instance, volunteer: IntArray, k: IntArray) -> IntArray:
    """Marginal cost of the ``k``-th (0-based) extra need of each *volunteer*.

    ``(load_start + k) * load_step``, less ``engage`` for a volunteer's very
    first need (convex: the marginal costs only grow).
    """
    return marginal_cost(inst.load_start[volunteer] + k, inst.load_step, inst.engage)


def marginal_cost(before: IntArray, load_step: int, engage: int) -> IntArray:
    """What one more need costs a volunteer who serves *before* needs already.

    ``before * load_step``, less ``engage`` for the first (before == 0).
    """
    out = before * load_step
    if engage:
        out = out - engage * (before == 0)
    return out


def engaged_spread(inst: Instance) -> int:
    """``engage`` times the volunteers who could be engaged (an upper bound on its swing)."""
    if not inst.engage:
        return 0
    deg_v, _ = inst.degree()
    active = (deg_v > 0) & (inst.capacity > 0) & (inst.load_start == 0)
    return inst.engage * int(active.sum())


def max_plan_cost_spread(inst: Instance) -> int:
    """An upper bound on ``cost(plan A) - cost(plan B)`` over any two plans."""
    deg_v, deg_n = inst.degree()
    units = np.minimum(inst.demand, deg_n)
    hi = np.zeros(inst.n_needs, np.int64)
    lo = np.zeros(inst.n_needs, np.int64)
    if inst.n_edges:
        # Largest and smallest cost into each need (edges are usually sorted by need).
        need, cost = inst.need, inst.cost
        if np.any(need[1:] < need[:-1]):
            order = np.argsort(need, kind="stable")
            need, cost = need[order], cost[order]
        starts = np.r_[0, np.nonzero(need[1:] != need[:-1])[0] + 1]
        hi[need[starts]] = np.maximum(np.maximum.reduceat(cost, starts), 0)
        lo[need[starts]] = np.minimum(np.minimum.reduceat(cost, starts), 0)
    spread = int(np.dot(units, hi)) - int(np.dot(units, lo))
    if inst.load_step:
        k = np.minimum(inst.capacity, deg_v)
        s0 = inst.load_start
        # sum over the k extra needs of (s0 + i) * step, i = 0..k-1
        spread += inst.load_step * int(np.sum(k * s0 + k * (k - 1) // 2))
    return spread + engaged_spread(inst)


MODERATE_FACTOR = 100
"""The moderate coverage-first weight: this many times the largest cost step (see fold_objective)."""


def fold_objective(inst: Instance, priority_first: bool, *, moderate: bool = False) -> Instance:
    """Set ``unserved_cost`` for the coverage-first (lexicographic) objective.

    With ``priority_first``, an unserved unit of a need of priority ``p`` costs
    ``B * p`` with ``B`` larger than any difference of plan costs: minimising
    ``cost + B * (unserved priority)`` then maximises the served priority first
    and minimises the cost among those plans, exactly, in integers.

    With ``moderate``, ``B`` is at most :data:`MODERATE_FACTOR` times the
    largest single cost step instead: cost scaling is faster on smaller costs,
    and the plan is almost always the same, but only a certificate computed
    with the safe ``B`` proves it (:func:`matcher.solvers.solve_instance`
    checks, and solves again with the safe ``B`` when it cannot).

    Raises
    ------
    UnsupportedProblem
        When the numbers would not fit in 64-bit integers.
    """
    if inst.participation and priority_first:
        # One more volunteer engaged outweighs any difference in cost.
        inst = replace(inst, engage=max_plan_cost_spread(replace(inst, engage=0)) + 1)
        moderate = False
    if priority_first:
        big = max_plan_cost_spread(inst) + 1
        if moderate:
            # Not a proof by itself: a plan found with it must be proven by the
            # certificate (computed with a safe weight), else solved again.
            step = int(np.abs(inst.cost).max(initial=0))
            if inst.load_step:
                step = max(step, inst.load_step * int(np.maximum(inst.capacity, 0).max(initial=0)))
            big = min(big, MODERATE_FACTOR * max(step, 1) + 1)
        unserved = big * inst.priority
        inst = replace(inst, unserved_cost=unserved, lexicographic=True)
    worst = (
        int(np.abs(inst.unserved_cost).max(initial=0))
        + int(np.abs(inst.cost).max(initial=0))
        + inst.engage
    )
    nodes = inst.n_volunteers + inst.n_needs + inst.n_edges + 2
    if worst > INT64_SAFE // max(nodes, 1):
        raise UnsupportedProblem(
            f"integer costs up to {worst} on a network of {nodes} nodes do not fit the exact 64-bit "
            "range of the solvers; use a coarser Policy.resolution or a finite Policy.unmatched_cost"
        )
    return inst


def evaluate(inst: Instance, chosen: IntArray, true_unserved: IntArray | None) -> Objective:
    """The objective of a plan, recomputed from the chosen edges of *inst*.

    ``true_unserved`` is the user's unserved cost per unit (None under the
    lexicographic objective, where the penalty is reported as 0).
    """
    served = np.bincount(inst.need[chosen], minlength=inst.n_needs)
    load = np.bincount(inst.volunteer[chosen], minlength=inst.n_volunteers)
    int_cost = int(inst.cost[chosen].sum()) + inst.load_step * int(np.sum(load * (load - 1) // 2))
    penalty = 0 if true_unserved is None else int(np.dot(inst.demand - served, true_unserved))
    return Objective(int(np.dot(inst.priority, served)), int_cost, penalty)


def check_plan(inst: Instance, chosen: IntArray) -> None:
    """Raise SolverError if *chosen* breaks a constraint of *inst* (a backend bug)."""
    from ..errors import SolverError

    if len(np.unique(chosen)) != len(chosen):
        raise SolverError("the solver chose an edge twice")
    load = np.bincount(inst.volunteer[chosen], minlength=inst.n_volunteers)
    served = np.bincount(inst.need[chosen], minlength=inst.n_needs)
    if (load > inst.capacity).any() or (served > inst.demand).any():
        raise SolverError("the solver's plan exceeds a capacity or a demand")
    if inst.slot is not None and len(chosen):
        s = inst.slot[inst.need[chosen]]
        keys = inst.volunteer[chosen][s >= 0] * (int(inst.slot.max()) + 2) + s[s >= 0]
        if len(np.unique(keys)) != len(keys):
            raise SolverError("the solver's plan gives a volunteer two needs in one slot")
