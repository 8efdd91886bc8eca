"""Measures of a plan: coverage, distance, participation, load; by category, community and unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..graph import Diagnostics, Graph
from ..model import Problem
from .plan import UNKNOWN, GraphSolution, Objective

__all__ = ["Metrics"]


@dataclass(frozen=True)
class Metrics:
    """Measures of a plan, as plain Python numbers.

    Attributes
    ----------
    units_demanded, units_served : int
    coverage : float
        Units served / units demanded (1.0 when nothing is demanded).
    priority_coverage : float
        Priority-weighted coverage (1.0 when nothing is demanded).
    total_cost : float
        Total cost including load penalties (``Objective.cost``).
    mean_cost : float
        Mean edge cost per match (0.0 without matches).
    mean_distance_km : float
        Mean distance per match (0.0 without matches).
    volunteers : int
        Volunteers in the problem.
    volunteers_used : int
        Volunteers with at least one need.
    participation_rate : float
        ``volunteers_used / volunteers`` (0.0 without volunteers).
    mean_load, max_load : float, int
        Needs per volunteer, over all volunteers.
    load_gini : float
        Gini coefficient of the loads over all volunteers (0 = evenly spread).
    coverage_by_category, coverage_by_community : dict of str to float
    participation_by_unit : dict of str to float
        Share of each employer unit's volunteers who serve.

    Examples
    --------
    >>> from matcher import solve
    >>> from matcher.synthetic import demo
    >>> m = solve(demo().problem()).metrics
    >>> m.units_served, m.units_demanded, round(m.coverage, 3), m.volunteers_used
    (231, 278, 0.831, 187)
    """

    units_demanded: int
    units_served: int
    coverage: float
    priority_coverage: float
    total_cost: float
    mean_cost: float
    mean_distance_km: float
    volunteers: int
    volunteers_used: int
    participation_rate: float
    mean_load: float
    max_load: int
    load_gini: float
    coverage_by_category: dict[str, float] = field(default_factory=dict)
    coverage_by_community: dict[str, float] = field(default_factory=dict)
    participation_by_unit: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The metrics as a plain dict."""
        return asdict(self)


def _ratio(a: float, b: float, empty: float) -> float:
    return float(a) / float(b) if b else empty


def _gini(x: NDArray[np.int64]) -> float:
    """Gini coefficient of non-negative values (0 when all equal or empty)."""
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    s = np.sort(x).astype(np.float64)
    n = len(s)
    cum = np.cumsum(s)
    # clamped: rounding makes an even load about -3e-16, below the documented minimum 0
    return max(0.0, float((n + 1 - 2 * (cum / cum[-1]).sum()) / n))


def _tally(
    code: NDArray[np.int64], names: Sequence[str], got: NDArray[np.int64], want: NDArray[np.int64]
) -> dict[str, list[int]]:
    """``name -> [sum of got, sum of want]`` over the records of each name (code -1: UNKNOWN).

    Names that appear on no record are left out; names may repeat (their sums add up).
    """
    k = len(names)
    idx = np.where(code >= 0, code, k)
    a = np.bincount(idx, weights=got, minlength=k + 1).astype(np.int64)
    b = np.bincount(idx, weights=want, minlength=k + 1).astype(np.int64)
    n = np.bincount(idx, minlength=k + 1)
    out: dict[str, list[int]] = {}
    for i, name in enumerate([*names, UNKNOWN]):
        if n[i]:
            row = out.setdefault(name, [0, 0])
            row[0] += int(a[i])
            row[1] += int(b[i])
    return out


def compute_metrics(
    problem: Problem,
    graph: Graph,
    sol: GraphSolution,
    objective: Objective,
    diag: Diagnostics,
) -> Metrics:
    """Measure the plan (plain Python numbers)."""
    nv = graph.n_volunteers
    served = sol.served
    demand = graph.demand
    load = np.bincount(sol.volunteer, minlength=nv)
    used = int((load > 0).sum())
    n_match = len(sol.edge)
    dist = graph.distance_km[sol.edge] if graph.distance_km is not None else np.zeros(0)
    edge_cost = graph.cost[sol.edge].sum() * graph.resolution

    enc = diag.encoding  # the graph's own (sorted-id order): counted by code
    by_cat = _tally(enc.need_cat, enc.category_names, served, demand)
    comms = [c or UNKNOWN for c in enc.community_names]
    by_comm = _tally(enc.need_comm, comms, served, demand)
    unit_of = {v.id: v.unit or UNKNOWN for v in problem.volunteers}
    unit_names = sorted(set(unit_of.values()))
    code = {u: i for i, u in enumerate(unit_names)}
    unit_code = np.fromiter((code[unit_of[i]] for i in graph.volunteer_ids), np.int64, nv)
    by_unit = _tally(unit_code, unit_names, (load > 0).astype(np.int64), np.ones(nv, np.int64))

    def shares(table: Mapping[str, list[int]]) -> dict[str, float]:
        return {k: _ratio(a, b, 1.0) for k, (a, b) in sorted(table.items())}

    units_demanded = int(demand.sum())
    pri_demanded = int(np.dot(graph.priority, demand))
    return Metrics(
        units_demanded=units_demanded,
        units_served=int(served.sum()),
        coverage=_ratio(int(served.sum()), units_demanded, 1.0),
        priority_coverage=_ratio(sol.served_priority, pri_demanded, 1.0),
        total_cost=float(objective.cost),
        mean_cost=_ratio(float(edge_cost), n_match, 0.0),
        mean_distance_km=float(dist.mean()) if n_match else 0.0,
        volunteers=nv,
        volunteers_used=used,
        participation_rate=_ratio(used, nv, 0.0),
        mean_load=_ratio(n_match, nv, 0.0),
        max_load=int(load.max()) if nv else 0,
        load_gini=_gini(load),
        coverage_by_category=shares(by_cat),
        coverage_by_community=shares(by_comm),
        participation_by_unit=shares(by_unit),
    )
