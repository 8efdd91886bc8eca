"""Building the candidate graph of a problem, without a loop over volunteer x need pairs.

1. records are encoded as arrays (:mod:`matcher.model.rules`), indexed in sorted-id
   order so the graph does not depend on the order of the input;
2. a k-d tree finds, for each volunteer, the needs within its travel limit
   (:mod:`matcher.graph.search`);
3. the other rules are evaluated on those pairs at once;
4. the cost terms and the integer cost ``round(cost / resolution)`` are computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .. import limits
from .._frozen import FrozenMap
from ..errors import InputError, InputProblem
from ..model import Problem, rules
from ..model.problem import sorted_order
from ..model.rules import Encoding
from .core import (
    BoolArray,
    FloatArray,
    Graph,
    IntArray,
    _frozen_array,
    _frozen_fresh,
    _is_sorted,
    _positions,
)
from .costs import MAX_INT_COST
from .search import (
    _FEW_NEEDS,
    _feasible_pairs,
    _groups,
    _has_skills,
    _points,
    _search_radius,
    _skilled_in_reach,
)

__all__ = ["build_graph"]


@dataclass(frozen=True, eq=False)
class Diagnostics:
    """What the rules leave for each need, to explain unmatched needs.

    Computed on demand for the needs that need it (usually few), with the
    same rules as the graph: :meth:`candidate_counts`.
    """

    encoding: Encoding
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # the volunteers' k-d tree

    def candidate_counts(self, needs: IntArray, *, few: int | None = None) -> IntArray:
        """Counts left by each rule, in rule order, for the given needs.

        Returns an array of shape ``(len(needs), 5)``: the volunteers with the
        skills of the need; of those, within range; of those, free in its slot;
        of those, in its community (when ``same_community``); of those,
        available (capacity > 0, the pair not forbidden) -- its candidates.

        Up to *few* needs (default :data:`_FEW_NEEDS`; a re-plan's newly
        unmatched) are looked up one by one in a k-d tree of every volunteer
        (kept with the encoding); more are grouped by skill requirement as in
        the graph. Both give the same counts.
        """
        enc = self.encoding
        needs = np.asarray(needs, np.int64)
        out = np.zeros((len(needs), 5), np.int64)
        if len(needs) == 0:
            return out
        if len(needs) <= (_FEW_NEEDS if few is None else few):
            v, n, skilled = self._near_pairs(needs)
        else:
            everyone = np.arange(enc.n_volunteers, dtype=np.int64)
            v, n, skilled = _skilled_in_reach(enc, needs, everyone, by_community=False)
        out[:, 0] = skilled
        dist = rules.distance_km(enc, v, n)
        masks = rules.rule_masks(enc, v, n, dist, skills=np.ones(len(v), bool))
        row = np.searchsorted(needs, n) if _is_sorted(needs) else _positions(needs, n)
        keep = np.ones(len(v), bool)
        for k, mask in enumerate((masks.distance, masks.slot, masks.community, masks.available)):
            keep &= mask
            out[:, k + 1] = np.bincount(row[keep], minlength=len(needs))
        return out

    def counts_with(self, needs: IntArray, volunteers: IntArray) -> IntArray:
        """:meth:`candidate_counts` of *needs*, counting only *volunteers*.

        Every (volunteer, need) pair is put through the rules, so it is for a
        few volunteers (a re-plan's changed ones): the counts are sums over
        volunteers, so a need's counts after a change are its counts before,
        less the old versions' and plus the new versions'.
        """
        enc = self.encoding
        needs = np.asarray(needs, np.int64)
        volunteers = np.asarray(volunteers, np.int64)
        out = np.zeros((len(needs), 5), np.int64)
        if not len(needs) or not len(volunteers):
            return out
        v = np.repeat(volunteers, len(needs))
        row = np.tile(np.arange(len(needs), dtype=np.int64), len(volunteers))
        n = needs[row]
        ok = rules.skills_ok(enc, v, n)
        v, n, row = v[ok], n[ok], row[ok]
        out[:, 0] = np.bincount(row, minlength=len(needs))
        dist = rules.distance_km(enc, v, n)
        masks = rules.rule_masks(enc, v, n, dist, skills=np.ones(len(v), bool))
        keep = np.ones(len(v), bool)
        for k, mask in enumerate((masks.distance, masks.slot, masks.community, masks.available)):
            keep &= mask
            out[:, k + 1] = np.bincount(row[keep], minlength=len(needs))
        return out

    def _near_pairs(self, needs: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """:func:`_skilled_in_reach` of *needs* and every volunteer, need by need."""
        enc = self.encoding
        skilled = np.zeros(len(needs), np.int64)
        for pos in _groups(enc.need_level[needs]):
            skilled[pos] = int(_has_skills(enc, enc.need_level[needs[pos[0]]]).sum())
        limit = enc.vol_limit
        far = np.flatnonzero(~np.isfinite(limit))
        vs = [np.repeat(far, len(needs))]
        ns = [np.tile(needs, len(far))]
        if "tree" not in self.cache:
            near = np.flatnonzero(np.isfinite(limit))
            radius = _search_radius(enc, float(limit[near].max())) if len(near) else 0.0
            self.cache["tree"] = (near, cKDTree(_points(enc, enc.vol_xy[near])), radius)
        near, tree, radius = self.cache["tree"]
        if len(near):
            hits = tree.query_ball_point(_points(enc, enc.need_xy[needs]), radius)
            counts = np.fromiter((len(h) for h in hits), np.int64, len(needs))
            if counts.sum():
                vs.append(near[np.concatenate([np.asarray(h, np.int64) for h in hits])])
                ns.append(np.repeat(needs, counts))
        v, n = np.concatenate(vs).astype(np.int64), np.concatenate(ns).astype(np.int64)
        ok = rules.skills_ok(enc, v, n)
        return v[ok], n[ok], skilled


def build_graph(problem: Problem) -> Graph:
    """Build the candidate graph of *problem*: every feasible pair and its cost.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    Graph
        Volunteers and needs numbered in sorted-id order; edges sorted by
        ``(need, volunteer)``; ``cost`` in units of ``policy.resolution``.

    Notes
    -----
    Feasibility follows the five rules of the model (skills, distance, slot,
    community, available). Distances are found with a k-d tree, so the work is
    ``O((V + N) log N + P)`` for ``P`` pairs within range, not ``O(V N)``,
    unless no travel limit is set (then every pair is in range).

    The cost of an edge is ``w.distance*km + w.overskill*levels_above +
    w.preference*[preference miss] + w.outside*[other community] -
    w.continuity*[served before]`` (the pair, by need id or household, in
    ``problem.history``), rounded half to even to an integer number of
    ``resolution`` units.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer
    >>> vs = [Volunteer("a", {"nursing": 3}, (0.0, 0.0)), Volunteer("b", [], (0.0, 1.0))]
    >>> ns = [Need("n", "elderly_care", {"nursing": 2}, (0.0, 0.5))]
    >>> g = build_graph(Problem(vs, ns, Policy(geometry="plane")))
    >>> g.volunteer_ids, g.cost.tolist(), g.parts["overskill"].tolist()
    (('a', 'b'), [600], [0.1])
    """
    return _build(problem)[0]


def _build(problem: Problem) -> tuple[Graph, Diagnostics]:
    built = build(problem)
    return built.graph, built.diag


@dataclass(frozen=True, eq=False)
class Built:
    """A problem's graph, with what re-building it after a few changes needs.

    ``volunteers`` and ``needs`` hold the records in graph order (sorted id)
    as object arrays; ``volunteer_of`` and ``need_of`` map an id to its index.
    """

    problem: Problem
    graph: Graph
    diag: Diagnostics
    volunteers: NDArray[np.object_]
    needs: NDArray[np.object_]
    volunteer_of: dict[str, int]
    need_of: dict[str, int]


def _records(items: list[Any]) -> NDArray[np.object_]:
    out = np.empty(len(items), object)
    out[:] = items
    return out


def build(problem: Problem) -> Built:
    """Build the graph of *problem* from scratch (:func:`build_graph` with its by-products)."""
    policy = problem.policy
    vo = sorted_order([v.id for v in problem.volunteers])
    no = sorted_order([n.id for n in problem.needs])
    vols = [problem.volunteers[i] for i in vo]
    needs = [problem.needs[i] for i in no]
    enc = rules.encode(vols, needs, policy, problem.forbidden)
    # -- candidate pairs: every rule, the exact distance last (the costly one)
    v, n, dist = _feasible_pairs(enc)
    # before the costs, the graph and the solver's arrays (most of a solve's memory)
    limits.check_memory(len(v), len(vols) + len(needs))
    parts, int_cost = _edge_costs(problem, vols, needs, enc, v, n, dist)
    vid = tuple(x.id for x in vols)
    nid = tuple(x.id for x in needs)
    pinned = _pinned(problem, vid, nid, v, n)
    order = np.lexsort((v, n))
    graph = _graph_of(
        problem,
        enc,
        vols,
        needs,
        vid,
        nid,
        v[order],
        n[order],
        int_cost[order],
        dist[order],
        {k: a[order] for k, a in parts.items()},
        pinned[order],
    )
    return Built(
        problem=problem,
        graph=graph,
        diag=Diagnostics(encoding=enc),
        volunteers=_records(vols),
        needs=_records(needs),
        volunteer_of=dict(zip(vid, range(len(vid)), strict=True)),
        need_of=dict(zip(nid, range(len(nid)), strict=True)),
    )


def _edge_costs(
    problem: Problem,
    vols: Sequence[Any],
    needs: Sequence[Any],
    enc: Encoding,
    v: IntArray,
    n: IntArray,
    dist: FloatArray,
) -> tuple[dict[str, FloatArray], IntArray]:
    """The weighted cost parts and the integer cost of pairs ``(v[k], n[k])``.

    Element by element: a pair's cost does not depend on the other pairs.
    """
    w = problem.policy.weights
    over = ((enc.vol_level[v] - enc.need_level[n]) * (enc.need_level[n] > 0)).sum(
        axis=1, dtype=np.int64
    )
    cat = enc.need_cat[n]
    miss = (
        enc.vol_has_pref[v] & ~enc.vol_pref[v, cat]
        if enc.vol_pref.shape[1]
        else np.zeros(len(v), bool)
    )
    cv, cn = enc.vol_comm[v], enc.need_comm[n]
    outside = (cv >= 0) & (cn >= 0) & (cv != cn)
    parts = {
        "distance": w.distance * dist,
        "overskill": w.overskill * over.astype(np.float64),
        "preference": w.preference * miss.astype(np.float64),
        "outside": w.outside * outside.astype(np.float64),
        "continuity": np.where(
            _served_before(problem, vols, needs, v, n), -w.continuity, 0.0
        ).astype(np.float64),
    }
    # Summed left to right, in the order of the formula (bit-for-bit reproducible).
    total = (
        parts["distance"]
        + parts["overskill"]
        + parts["preference"]
        + parts["outside"]
        + parts["continuity"]
    )
    return parts, _scaled(total, problem.policy.resolution, "edge cost")


def _pinned(
    problem: Problem, vid: Sequence[str], nid: Sequence[str], v: IntArray, n: IntArray
) -> BoolArray:
    """Which pairs ``(v[k], n[k])`` are pinned."""
    if not problem.pinned:
        return np.zeros(len(v), bool)
    nn = len(nid)
    vpos = {x: i for i, x in enumerate(vid)}
    npos = {x: i for i, x in enumerate(nid)}
    keys = np.array([vpos[b] * nn + npos[a] for a, b in problem.pinned], np.int64)
    return np.isin(v * nn + n, keys)


def _graph_of(
    problem: Problem,
    enc: Encoding,
    vols: Sequence[Any],
    needs: Sequence[Any],
    vid: tuple[str, ...],
    nid: tuple[str, ...],
    v: IntArray,
    n: IntArray,
    cost: IntArray,
    dist: FloatArray,
    parts: dict[str, FloatArray],
    pinned: BoolArray,
) -> Graph:
    """The :class:`Graph` of *problem* from its encoding and its edges, sorted by (need, volunteer)."""
    policy = problem.policy
    unserved = None
    if policy.unmatched_cost is not None:
        unserved = _scaled(
            policy.unmatched_cost * enc.priority.astype(np.float64),
            policy.resolution,
            "unmatched_cost",
        )
    return Graph(
        volunteer=_frozen_fresh(v, np.int64),
        need=_frozen_fresh(n, np.int64),
        cost=_frozen_fresh(cost, np.int64),
        capacity=_frozen_array(enc.capacity, np.int64),
        demand=_frozen_array(enc.demand, np.int64),
        priority=_frozen_array(enc.priority, np.int64),
        need_slot=_frozen_array(enc.need_slot, np.int64),
        slot_names=enc.slot_names,
        one_need_per_slot=policy.one_need_per_slot,
        load_step=_scalar_step(policy.load_penalty, policy.resolution),
        unserved_cost=None if unserved is None else _frozen_array(unserved, np.int64),
        pinned=_frozen_fresh(pinned, bool),
        resolution=policy.resolution,
        volunteer_ids=vid,
        need_ids=nid,
        distance_km=_frozen_fresh(dist, np.float64),
        parts=FrozenMap({k: _frozen_fresh(a, np.float64) for k, a in parts.items()}),
        participation=policy.participation,
        need_group=_teams(needs),
        **_floors(vols, policy),
    )


def _floors(vols: Sequence[Any], policy: Any) -> dict[str, Any]:
    """``volunteer_unit`` and ``unit_floor`` of the graph (None without floors)."""
    floors = {u: k for u, k in policy.participation_floors.items() if k > 0}
    if not floors:
        return {"volunteer_unit": None, "unit_floor": None}
    units = sorted(floors)
    code = {u: i for i, u in enumerate(units)}
    return {
        "volunteer_unit": _frozen_array([code.get(v.unit, -1) for v in vols], np.int64),
        "unit_floor": _frozen_array([floors[u] for u in units], np.int64),
    }


def _teams(needs: Sequence[Any]) -> NDArray[np.int64] | None:
    """Team number of each need (-1: none), or None when no need has a group."""
    names = sorted({n.group for n in needs if n.group is not None})
    if not names:
        return None
    code = {g: k for k, g in enumerate(names)}
    return _frozen_array([code.get(n.group, -1) for n in needs], np.int64)


def _served_before(
    problem: Problem, vols: Sequence[Any], needs: Sequence[Any], v: IntArray, n: IntArray
) -> NDArray[np.bool_]:
    """Which pairs ``(v[k], n[k])`` are in ``problem.history``, by need id or household.

    A None in *vols* or *needs* is a record no longer there (the rows of a
    :class:`~matcher.graph.grow.GrowingEncoding`): no pair names it.
    """
    if not problem.history or not problem.policy.weights.continuity or not len(v):
        return np.zeros(len(v), bool)
    vpos = {x.id: i for i, x in enumerate(vols) if x is not None}
    code: dict[str, int] = {}
    for x in needs:
        if x is None:
            continue
        code.setdefault(x.id, len(code))
        if x.household is not None:
            code.setdefault(x.household, len(code))
    nv = len(vols)
    keys = np.array(
        [code[a] * nv + vpos[b] for a, b in problem.history if a in code and b in vpos], np.int64
    )
    if not len(keys):
        return np.zeros(len(v), bool)
    by_id = np.array([-1 if x is None else code[x.id] for x in needs], np.int64)
    by_house = np.array(
        [-1 if x is None or x.household is None else code[x.household] for x in needs], np.int64
    )
    hit = np.isin(by_id[n] * nv + v, keys)
    house = by_house[n]
    hit |= (house >= 0) & np.isin(house * nv + v, keys)
    return hit


def _scaled(values: FloatArray, resolution: float, what: str) -> IntArray:
    scaled = np.rint(values / resolution)
    if scaled.size and np.abs(scaled).max() > MAX_INT_COST:
        raise InputError(
            [
                InputProblem(
                    "policy",
                    "resolution",
                    f"coarse enough that every {what} is at most {MAX_INT_COST} units",
                    f"{float(np.abs(values).max()):g} / {resolution:g}",
                    kind="policy",
                )
            ]
        )
    return scaled.astype(np.int64)


def _scalar_step(value: float, resolution: float) -> int:
    return int(_scaled(np.array([value]), resolution, "load penalty")[0])
