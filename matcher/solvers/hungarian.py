"""Method ``"hungarian"``: exact, via dense ``scipy.optimize.linear_sum_assignment``.

Capacities and demands are expanded into copies: one row per unit of demand
of each need, one column per unit of capacity of each volunteer (the k-th
copy carrying the k-th load penalty, which is convex, so copies are used in
order), plus one "unserved" column per row at the cost of leaving that unit
unserved. Every row is then assigned; the rectangular assignment of
Crouse's shortest augmenting path algorithm (scipy) solves it exactly.

An assignment cannot say "this volunteer at most once per need" or "one need
per slot" across copies, so the method refuses -- with
:class:`~matcher.UnsupportedProblem` -- any instance where either rule could
bind: a volunteer who can take two needs and is a candidate of a need that
wants two volunteers, or who has two candidate needs in one slot.

References
----------
D. F. Crouse, "On implementing 2D rectangular assignment algorithms",
IEEE Trans. Aerospace and Electronic Systems 52 (2016) 1679-1696.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..errors import UnsupportedProblem
from ._base import Instance, SolverOutput, unit_cost

__all__ = ["MAX_CELLS", "expanded_size", "refusal", "solve"]

MAX_CELLS = 25_000_000
"""Default largest dense matrix (rows x columns) built: 200 MB of float64."""

FLOAT_EXACT = 1 << 53


def _expanded(inst: Instance) -> tuple[Any, Any]:
    deg_v, deg_n = inst.degree()
    return np.minimum(np.maximum(inst.capacity, 0), deg_v), np.minimum(
        np.maximum(inst.demand, 0), deg_n
    )


def expanded_size(inst: Instance) -> tuple[int, int]:
    """Rows (units of demand) and volunteer-copy columns (units of capacity) of the matrix."""
    cap, dem = _expanded(inst)
    return int(dem.sum()), int(cap.sum())


def refusal(inst: Instance, max_cells: int = MAX_CELLS) -> str | None:
    """Why this method cannot solve *inst* exactly, or None if it can."""
    cap, dem = _expanded(inst)
    v, j = inst.volunteer, inst.need
    if np.any((cap[v] >= 2) & (dem[j] >= 2)):
        return (
            "a volunteer who can take two or more needs is a candidate of a need that wants two or "
            "more volunteers; an assignment cannot stop one volunteer filling two units of the same "
            "need. Use method='flow'"
        )
    if inst.slot is not None:
        s = inst.slot[j]
        bind = (s >= 0) & (cap[v] >= 2)
        width = int(inst.slot.max()) + 1
        keys = v[bind] * width + s[bind]
        if len(np.unique(keys)) < len(keys):
            return (
                "one_need_per_slot can bind (a volunteer who can take two needs has two candidate "
                "needs in one slot), which an assignment cannot express. Use method='flow'"
            )
    rows = int(dem.sum())
    cols = int(cap.sum()) + rows
    if rows * cols > max_cells:
        return (
            f"the dense matrix would have {rows} x {cols} cells, more than max_cells={max_cells}. "
            "Use method='flow' (sparse)"
        )
    biggest = max(
        int(np.abs(inst.cost).max(initial=0)), int(np.abs(inst.unserved_cost).max(initial=0))
    )
    biggest += inst.load_step * int(inst.load_start.max(initial=0) + cap.max(initial=0))
    biggest += inst.engage
    if biggest * max(rows, 1) >= FLOAT_EXACT:
        return "costs are too large to stay exact in float64; use method='flow' (int64)"
    return None


def solve(inst: Instance, *, max_cells: int = MAX_CELLS, **options: Any) -> SolverOutput:
    """Solve *inst* exactly with :func:`scipy.optimize.linear_sum_assignment`.

    Parameters
    ----------
    inst : Instance
    max_cells : int, default MAX_CELLS
        Refuse instances whose dense matrix would be larger.

    Raises
    ------
    UnsupportedProblem
        When the instance cannot be expressed as an assignment (see :func:`refusal`).
    """
    why = refusal(inst, max_cells)
    if why is not None:
        raise UnsupportedProblem("method 'hungarian' cannot solve this problem exactly: " + why)
    cap, dem = _expanded(inst)
    rows = int(dem.sum())
    if rows == 0:
        return SolverOutput(chosen=np.zeros(0, np.int64), optimal=True)
    # Row r is copy l of need row_need[r]; column c < ncopies is copy k of volunteer col_vol[c].
    row_start = np.cumsum(dem) - dem  # exclusive prefix sums (right for empty arrays too)
    col_start = np.cumsum(cap) - cap
    ncopies = int(cap.sum())
    matrix = np.full((rows, ncopies + rows), np.inf)
    # Each edge (v, j) fills dem[j] x cap[v] cells (one of the two is 1, see refusal()).
    e = np.arange(inst.n_edges)
    v, j = inst.volunteer, inst.need
    reps = dem[j] * cap[v]
    e_rep = np.repeat(e, reps)
    first = np.repeat(np.cumsum(reps) - reps, reps)
    t = np.arange(len(e_rep)) - first  # 0 .. reps-1 within an edge
    vv, jj = v[e_rep], j[e_rep]
    copy_n = t // cap[vv]
    copy_v = t % cap[vv]
    r = row_start[jj] + copy_n
    c = col_start[vv] + copy_v
    matrix[r, c] = inst.cost[e_rep] + unit_cost(inst, vv, copy_v)
    row_need = np.repeat(np.arange(inst.n_needs), dem)
    matrix[np.arange(rows), ncopies + np.arange(rows)] = inst.unserved_cost[row_need]
    row_ind, col_ind = linear_sum_assignment(matrix)
    real = col_ind < ncopies
    col_vol = np.repeat(np.arange(inst.n_volunteers), cap)
    pv, pj = col_vol[col_ind[real]], row_need[row_ind[real]]
    # Map (v, j) back to the edge index.
    keys = inst.volunteer * inst.n_needs + inst.need
    order = np.argsort(keys, kind="stable")
    pos = np.searchsorted(keys[order], pv * inst.n_needs + pj)
    chosen = np.sort(order[pos]).astype(np.int64)
    return SolverOutput(chosen=chosen, optimal=True, info={"rows": rows, "cols": ncopies + rows})
