"""Method ``"milp"``: mixed-integer programming (HiGHS through ``scipy.optimize.milp``).

For what a flow cannot say: **participation floors** (at least ``k``
volunteers of an employer unit engaged; a binary ``z_v <= sum of v's pairs``
per volunteer of a floored unit, ``sum z >= floor`` per unit) and **teams** -- needs that share a group
(``Need.group``) are served all together, every unit of each, or not at all
(a nurse and a driver for one visit). Exact: HiGHS proves the optimum (relative
gap 0) unless a ``time_limit`` stops it first; the plan is then feasible and
the gap it had proven is reported (``info["gap"]``).

Formulation, all coefficients integers:

- a binary ``x_e`` per candidate edge;
- per volunteer ``v``, ``K = min(capacity, degree)`` load increments
  ``y_vk`` in [0, 1], the k-th costing ``unit_cost(v, k)`` (convex, so the
  relaxation fills them in order), with ``sum_k y_vk = sum_e x_e``;
- per need ``sum x <= demand``; with the slot rule, per (volunteer, slot)
  ``sum x <= 1``;
- per team ``g`` a binary ``w_g`` and, for each of its needs ``j``,
  ``sum_{e into j} x_e = demand_j * w_g``;
- the objective: under the coverage-first (lexicographic) objective, two
  solves -- first the most served priority ``S*``, then the least cost with
  served priority ``>= S*`` (no big weight, so no float round-off); with a
  finite unserved cost, one solve of ``cost - sum_e unserved[need(e)] x_e``.

Pinned edges are fixed beforehand (:func:`~._base.fix_pinned`): a team with a
pinned pair must then be served whole, or the problem has no plan
(:class:`~matcher.errors.UnsupportedProblem` says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from ..errors import UnsupportedProblem
from ._base import Instance, IntArray, SolverOutput, unit_cost

__all__ = ["solve"]


def solve(inst: Instance, *, time_limit: float | None = None, **options: Any) -> SolverOutput:
    """Solve *inst* (teams included) by mixed-integer programming.

    Parameters
    ----------
    inst : Instance
    time_limit : float, optional
        Seconds for HiGHS (each of the two solves under the coverage-first
        objective). When it stops early with a plan, the plan is returned with
        ``optimal=False`` and ``info["gap"]`` (relative, as HiGHS proved it).

    Raises
    ------
    UnsupportedProblem
        No plan exists (a pinned pair forces a team that cannot be served whole),
        or HiGHS stopped without any plan.
    """
    lay = _layout(inst)
    m, n, n_y, n_w, n_z = lay.m, lay.n, lay.n_y, lay.n_w, lay.n_z
    rows = _Rows()
    _node_rows(rows, inst, lay)
    if n_w:
        _team_rows(rows, inst, lay)
    if inst.unit_floor is not None:  # every floored unit, even one no volunteer belongs to
        _floor_rows(rows, inst, lay)
    matrix = coo_array(
        (np.concatenate(rows.vals), (np.concatenate(rows.rows), np.concatenate(rows.cols))),
        shape=(rows.r0, n),
    ).tocsr()
    lb_rows, ub_rows = np.concatenate(rows.lo), np.concatenate(rows.hi)
    integrality = np.r_[np.ones(m), np.zeros(n_y), np.ones(n_w + n_z)]
    lower = np.zeros(n)
    if n_w and inst.pinned_units is not None:
        # a team with a pinned unit is served whole
        forced = np.unique(lay.team_of[inst.pinned_units[lay.group >= 0] > 0])
        lower[m + n_y + forced] = 1.0
    bounds = Bounds(lower, np.ones(n))
    cost = np.r_[
        inst.cost.astype(float),
        unit_cost(inst, lay.y_owner, lay.y_k).astype(float),
        np.zeros(n_w + n_z),
    ]
    opts: dict[str, Any] = {"mip_rel_gap": 0.0, "disp": False}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    if n == 0 and inst.unit_floor is not None and (inst.unit_floor > 0).any():
        raise UnsupportedProblem("method 'milp' found no plan: no volunteer can meet the floors")
    program = _Program(matrix, lb_rows, ub_rows, integrality, bounds, opts)
    if m == 0 and not lower.any() and inst.unit_floor is None:
        return SolverOutput(chosen=np.zeros(0, np.int64), optimal=True, info={"gap": 0.0})
    return _optimise(inst, lay, program, cost)


@dataclass(frozen=True, eq=False)
class _Layout:
    """The columns: x (m edges), y (load increments), w (teams), z (floored volunteers)."""

    m: int
    nv: int
    nn: int
    y_owner: IntArray
    y_k: IntArray
    group: IntArray
    team_of: IntArray
    unit: IntArray | None
    floored: IntArray
    n_y: int
    n_w: int
    n_z: int
    n: int


def _layout(inst: Instance) -> _Layout:
    """The columns of *inst*'s program."""
    m, nv, nn = inst.n_edges, inst.n_volunteers, inst.n_needs
    v = inst.volunteer
    deg_v = np.bincount(v, minlength=nv)
    cap = np.minimum(np.maximum(inst.capacity, 0), deg_v)
    y_owner = np.repeat(np.arange(nv), cap)
    # exclusive prefix sums: right for empty arrays too (no volunteers)
    y_k = np.arange(len(y_owner)) - np.repeat(np.cumsum(cap) - cap, cap)
    group = inst.group if inst.group is not None else np.full(nn, -1, np.int64)
    teams, team_of = np.unique(group[group >= 0], return_inverse=True)
    n_y, n_w = len(y_owner), len(teams)
    # participation floors: a binary z_v per volunteer of a floored unit
    unit = inst.volunteer_unit if inst.unit_floor is not None else None
    floored = np.zeros(0, np.int64) if unit is None else np.flatnonzero(unit >= 0)
    n_z = len(floored)
    n = m + n_y + n_w + n_z
    return _Layout(m, nv, nn, y_owner, y_k, group, team_of, unit, floored, n_y, n_w, n_z, n)


@dataclass(eq=False)
class _Rows:
    """The constraint rows, gathered block by block as sparse triplets with their bounds."""

    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    lo: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)
    r0: int = 0

    def block(
        self, r: IntArray, c: IntArray, a: np.ndarray, lb: np.ndarray, ub: np.ndarray
    ) -> None:
        """Append rows ``lb <= A x <= ub``, their row numbers *r* counted from 0."""
        self.rows.append(r + self.r0)
        self.cols.append(c)
        self.vals.append(a)
        self.lo.append(lb)
        self.hi.append(ub)
        self.r0 += len(lb)


def _node_rows(rows: _Rows, inst: Instance, lay: _Layout) -> None:
    """The rows of volunteers (loads), needs (demand) and slots."""
    m, nv, nn, n_y = lay.m, lay.nv, lay.nn, lay.n_y
    v, j = inst.volunteer, inst.need
    e = np.arange(m)
    # volunteers: sum x - sum y = 0
    rows.block(
        np.r_[v, lay.y_owner],
        np.r_[e, m + np.arange(n_y)],
        np.r_[np.ones(m), -np.ones(n_y)],
        np.zeros(nv),
        np.zeros(nv),
    )
    # needs: sum x <= demand
    rows.block(j, e, np.ones(m), np.full(nn, -np.inf), np.maximum(inst.demand, 0).astype(float))
    # slots: one need per (volunteer, slot)
    if inst.slot is not None and m:
        s = inst.slot[j]
        on = s >= 0
        key = v[on] * (int(inst.slot.max()) + 1) + s[on]
        uniq, row = np.unique(key, return_inverse=True)
        rows.block(
            row, e[on], np.ones(int(on.sum())), np.full(len(uniq), -np.inf), np.ones(len(uniq))
        )


def _team_rows(rows: _Rows, inst: Instance, lay: _Layout) -> None:
    """The team rows: sum x into j = demand_j * w_g for every j of team g."""
    m, n_y, j = lay.m, lay.n_y, inst.need
    e = np.arange(m)
    members = np.flatnonzero(lay.group >= 0)
    row_of_need = np.full(lay.nn, -1, np.int64)
    row_of_need[members] = np.arange(len(members))
    inside = row_of_need[j] >= 0
    rows.block(
        np.r_[row_of_need[j[inside]], np.arange(len(members))],
        np.r_[e[inside], m + n_y + lay.team_of],
        np.r_[np.ones(int(inside.sum())), -inst.demand[members].astype(float)],
        np.zeros(len(members)),
        np.zeros(len(members)),
    )


def _floor_rows(rows: _Rows, inst: Instance, lay: _Layout) -> None:
    """The participation-floor rows: each z_v engaged by its pairs, each unit's z up to its floor."""
    m, v, unit, floored, n_z = lay.m, inst.volunteer, lay.unit, lay.floored, lay.n_z
    e = np.arange(m)
    assert unit is not None and inst.unit_floor is not None
    z_col = m + lay.n_y + lay.n_w + np.arange(n_z)
    row_of_vol = np.full(lay.nv, -1, np.int64)
    row_of_vol[floored] = np.arange(n_z)
    mine = row_of_vol[v] >= 0
    # z_v <= its pairs (+1 when pinned pairs already engage it)
    rows.block(
        np.r_[np.arange(n_z), row_of_vol[v[mine]]],
        np.r_[z_col, e[mine]],
        np.r_[np.ones(n_z), -np.ones(int(mine.sum()))],
        np.full(n_z, -np.inf),
        (inst.load_start[floored] > 0).astype(float),
    )
    # sum of z over a unit >= its floor (a unit without volunteers: an empty row, 0 >= floor)
    n_units = len(inst.unit_floor)
    rows.block(
        unit[floored],
        z_col,
        np.ones(n_z),
        inst.unit_floor.astype(float),
        np.full(n_units, np.inf),
    )


@dataclass(frozen=True, eq=False)
class _Program:
    """What every HiGHS solve of one instance shares: rows, integrality, bounds, options."""

    matrix: Any
    lb_rows: np.ndarray
    ub_rows: np.ndarray
    integrality: np.ndarray
    bounds: Bounds
    opts: dict[str, Any]

    def run(self, c: np.ndarray, extra: LinearConstraint | None) -> Any:
        """Minimise ``c @ x`` (with an *extra* row); raise when HiGHS finds no plan."""
        constraints = [LinearConstraint(self.matrix, self.lb_rows, self.ub_rows)]
        if extra is not None:
            constraints.append(extra)
        res = milp(
            c,
            constraints=constraints,
            integrality=self.integrality,
            bounds=self.bounds,
            options=self.opts,
        )
        if res.x is None:
            why = (
                "no plan satisfies the pinned pairs, the teams and the participation floors"
                if res.status == 2
                else res.message
            )
            raise UnsupportedProblem(f"method 'milp' found no plan: {why}")
        return res


def _optimise(inst: Instance, lay: _Layout, program: _Program, cost: np.ndarray) -> SolverOutput:
    """Solve coverage then cost in turn (or the folded objective once), and read the plan back."""
    m, j, rest = lay.m, inst.need, lay.n_y + lay.n_w + lay.n_z
    gaps = []
    if inst.lexicographic:
        served = np.r_[inst.priority[j].astype(float), np.zeros(rest)]
        first = program.run(-served, None)
        gaps.append(_gap(first))
        best = round(-first.fun)
        res = program.run(cost, LinearConstraint(served[None, :], best - 0.5, np.inf))
    else:
        res = program.run(cost - np.r_[inst.unserved_cost[j].astype(float), np.zeros(rest)], None)
    gaps.append(_gap(res))
    chosen = np.flatnonzero(np.round(res.x[:m]) > 0.5).astype(np.int64)
    gap = max(gaps)
    return SolverOutput(chosen=chosen, optimal=gap == 0.0, info={"gap": gap})


def _gap(res: Any) -> float:
    """The relative gap HiGHS proved (0.0 when optimal)."""
    if res.status == 0:
        return 0.0
    gap = getattr(res, "mip_gap", None)
    return float(gap) if gap is not None and np.isfinite(gap) else float("inf")
