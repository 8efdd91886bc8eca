"""Measures of a plan: coverage, distance, participation, load; by category, community and unit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    """Gini coefficient of non-negative integers (0 when all equal or empty)."""
    return gini_of_counts(np.bincount(np.asarray(x, np.int64)) if len(x) else np.zeros(0, np.int64))


def gini_of_counts(hist: NDArray[np.int64]) -> float:
    """The Gini coefficient of the loads whose histogram is *hist* (``hist[l]``: how many have l).

    ``(n + 1 - 2 * sum(cum / cum[-1])) / n`` over the loads sorted (``cum``
    their running sum), computed in integers and rounded once: the same value
    whether the loads are counted afresh or kept by difference.
    """
    counts = [int(c) for c in np.asarray(hist)]
    n = sum(counts)
    total = sum(load * c for load, c in enumerate(counts))
    if n == 0 or total == 0:
        return 0.0
    cum, a = 0, 0  # sum of the running sums; position of the first of each load
    for load, c in enumerate(counts):
        if c:
            cum += load * (c * n - (c * a + c * (c - 1) // 2))
            a += c
    return max(0.0, ((n + 1) * total - 2 * cum) / (n * total))


def shares_of(
    names: Sequence[str], got: Sequence[int], want: Sequence[int], count: Sequence[int]
) -> dict[str, list[int]]:
    """``name -> [sum of got, sum of want]`` from sums per code (the last code: UNKNOWN).

    *got*, *want* and *count* have ``len(names) + 1`` entries; names with no
    record are left out; names may repeat (their sums add up).
    """
    out: dict[str, list[int]] = {}
    for i, name in enumerate([*names, UNKNOWN]):
        if count[i]:
            row = out.setdefault(name, [0, 0])
            row[0] += int(got[i])
            row[1] += int(want[i])
    return out


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
    return shares_of(names, a.tolist(), b.tolist(), n.tolist())


def exact_sum(values: Iterable[float]) -> int:
    """The exact sum of finite floats, in units of 2**-1074 (the smallest float's)."""
    total = 0
    for x in values:
        num, den = float(x).as_integer_ratio()
        total += num * (_ULPS // den)
    return total


_ULPS = 1 << 1074


def metrics_of(
    *,
    units_demanded: int,
    units_served: int,
    served_priority: int,
    priority_demanded: int,
    total_cost: float,
    edge_cost: int,
    resolution: float,
    n_matches: int,
    distance_sum: int,
    volunteers: int,
    load_hist: NDArray[np.int64],
    by_category: Mapping[str, list[int]],
    by_community: Mapping[str, list[int]],
    by_unit: Mapping[str, list[int]],
) -> Metrics:
    """The :class:`Metrics` of a plan from its sums (integers: the same however they were kept).

    *distance_sum* is :func:`exact_sum` of the matches' distances; *load_hist*
    the histogram of the volunteers' loads; the tables ``name -> [got, want]``.
    """
    hist = np.asarray(load_hist, np.int64)
    used = volunteers - (int(hist[0]) if len(hist) else 0)
    nonzero = np.flatnonzero(hist)

    def shares(table: Mapping[str, list[int]]) -> dict[str, float]:
        return {k: _ratio(a, b, 1.0) for k, (a, b) in sorted(table.items())}

    return Metrics(
        units_demanded=units_demanded,
        units_served=units_served,
        coverage=_ratio(units_served, units_demanded, 1.0),
        priority_coverage=_ratio(served_priority, priority_demanded, 1.0),
        total_cost=float(total_cost),
        mean_cost=_ratio(float(edge_cost * resolution), n_matches, 0.0),
        mean_distance_km=(distance_sum / _ULPS) / n_matches if n_matches else 0.0,
        volunteers=volunteers,
        volunteers_used=used,
        participation_rate=_ratio(used, volunteers, 0.0),
        mean_load=_ratio(n_matches, volunteers, 0.0),
        max_load=int(nonzero[-1]) if volunteers and len(nonzero) else 0,
        load_gini=gini_of_counts(hist),
        coverage_by_category=shares(by_category),
        coverage_by_community=shares(by_community),
        participation_by_unit=shares(by_unit),
    )


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
    n_match = len(sol.edge)
    dist = graph.distance_km[sol.edge] if graph.distance_km is not None else np.zeros(0)

    enc = diag.encoding  # the graph's own (sorted-id order): counted by code
    by_cat = _tally(enc.need_cat, enc.category_names, served, demand)
    comms = [c or UNKNOWN for c in enc.community_names]
    by_comm = _tally(enc.need_comm, comms, served, demand)
    unit_of = {v.id: v.unit or UNKNOWN for v in problem.volunteers}
    unit_names = sorted(set(unit_of.values()))
    code = {u: i for i, u in enumerate(unit_names)}
    unit_code = np.fromiter((code[unit_of[i]] for i in graph.volunteer_ids), np.int64, nv)
    by_unit = _tally(unit_code, unit_names, (load > 0).astype(np.int64), np.ones(nv, np.int64))
    return metrics_of(
        units_demanded=int(demand.sum()),
        units_served=int(served.sum()),
        served_priority=sol.served_priority,
        priority_demanded=int(np.dot(graph.priority, demand)),
        total_cost=float(objective.cost),
        edge_cost=int(graph.cost[sol.edge].sum()),
        resolution=graph.resolution,
        n_matches=n_match,
        distance_sum=exact_sum(dist.tolist()),
        volunteers=nv,
        load_hist=np.bincount(load) if nv else np.zeros(1, np.int64),
        by_category=by_cat,
        by_community=by_comm,
        by_unit=by_unit,
    )
