"""The candidate graph: every feasible volunteer-need pair with its integer cost.

:func:`build_graph` turns a validated :class:`~matcher.Problem` into a
:class:`Graph` of arrays, without a Python loop over volunteer x need pairs:

1. records are encoded as arrays (:mod:`matcher._rules`), indexed in sorted-id
   order so the graph does not depend on the order of the input;
2. a k-d tree (:class:`scipy.spatial.cKDTree`) over the needs finds, for each
   volunteer, the needs within its travel limit (on the sphere, through the
   chord length of 3-D unit vectors, then the exact haversine distance);
3. the other rules are evaluated on those pairs at once;
4. the cost terms and the integer cost ``round(cost / resolution)`` are computed.

Researchers can also bring their own costs: :meth:`Graph.from_arrays` and
:meth:`Graph.from_dense` make a graph directly, and :func:`matcher.solve_graph`
solves any graph with any method.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from . import _rules, limits
from ._frozen import FrozenMap
from ._rules import EARTH_RADIUS_KM, Encoding
from .errors import InputError, InputProblem, short_repr
from .model import Problem, sorted_order

__all__ = ["COST_PARTS", "Graph", "build_graph"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_EMPTY_I = np.zeros(0, np.int64)

COST_PARTS = ("distance", "overskill", "preference", "outside", "continuity")
"""Names of the cost terms, as in ``Match.parts`` and ``Graph.parts``."""

# Costs must stay exact through every solver: |int cost| <= 2**52 keeps them
# exact in float64 too (scipy's linear_sum_assignment).
MAX_INT_COST = 1 << 52


def _frozen_array(a: ArrayLike, dtype: Any) -> NDArray[Any]:
    out = np.array(a, dtype=dtype)  # a copy: the graph owns its arrays
    out.flags.writeable = False
    return out


def _frozen_fresh(a: NDArray[Any], dtype: Any) -> NDArray[Any]:
    """:func:`_frozen_array` for an array made just now, that no one else holds: no copy."""
    out = np.asarray(a, dtype=dtype)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Graph:
    """A bipartite graph of candidate pairs, as arrays.

    Edge ``e`` pairs volunteer ``volunteer[e]`` with need ``need[e]`` at integer
    cost ``cost[e]`` (in units of ``resolution``). Volunteers and needs are
    numbered ``0..n-1``; from a problem, in sorted-id order. Edges are sorted by
    ``(need, volunteer)``. Arrays are read-only.

    Attributes
    ----------
    volunteer, need : ndarray of int64, shape (m,)
        Endpoints of each edge.
    cost : ndarray of int64, shape (m,)
        Integer cost of each edge.
    capacity : ndarray of int64, shape (n_volunteers,)
        Most needs each volunteer takes.
    demand, priority : ndarray of int64, shape (n_needs,)
        Units wanted and priority of each need.
    need_slot : ndarray of int64, shape (n_needs,)
        Index into ``slot_names`` of each need's slot; -1 = none.
    slot_names : tuple of str
    one_need_per_slot : bool
        Whether a volunteer serves at most one need per slot.
    load_step : int
        Integer cost added for each need beyond the first given to one volunteer.
    unserved_cost : ndarray of int64 or None
        Integer cost of each unserved unit of each need; None = coverage first
        (maximise served priority, then minimise cost).
    pinned : ndarray of bool, shape (m,)
        Edges that must be in the plan.
    resolution : float
        The float value of one integer cost unit.
    volunteer_ids, need_ids : tuple of str
        The id of each volunteer and need.
    distance_km : ndarray of float64, shape (m,), or None
        Distance of each pair (graphs built from a problem).
    parts : mapping of str to ndarray, or None
        Each cost term of each edge, weighted, in cost units (before rounding).
    participation : bool
        Volunteers engaged are a level of the objective, between the served
        priority and the cost (``Policy.participation``; coverage-first only).
    need_group : ndarray of int64, shape (n_needs,), or None
        Team of each need (-1: none; teams are numbered in sorted name order):
        a team is served whole or not at all (``Need.group``).
    volunteer_unit, unit_floor : ndarray of int64, or None
        With ``Policy.participation_floors``: each volunteer's floored unit
        (-1: none; units numbered in sorted order) and each unit's floor.

    Examples
    --------
    >>> import numpy as np
    >>> g = Graph.from_dense([[4, 1, 3], [2, 0, 5], [3, 2, 2]])
    >>> g.n_volunteers, g.n_needs, g.n_edges
    (3, 3, 9)
    >>> g = Graph.from_dense([[1.0, np.inf], [np.inf, 2.0]])
    >>> g.volunteer.tolist(), g.need.tolist(), g.cost.tolist()
    ([0, 1], [0, 1], [1, 2])
    """

    volunteer: IntArray
    need: IntArray
    cost: IntArray
    capacity: IntArray
    demand: IntArray
    priority: IntArray
    need_slot: IntArray
    slot_names: tuple[str, ...] = ()
    one_need_per_slot: bool = True
    load_step: int = 0
    unserved_cost: IntArray | None = None
    pinned: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    resolution: float = 1.0
    volunteer_ids: tuple[str, ...] = ()
    need_ids: tuple[str, ...] = ()
    distance_km: FloatArray | None = None
    parts: Mapping[str, FloatArray] | None = None
    participation: bool = False
    need_group: IntArray | None = None
    volunteer_unit: IntArray | None = None
    unit_floor: IntArray | None = None

    # ------------------------------------------------------------------ sizes
    @property
    def n_volunteers(self) -> int:
        """Number of volunteers (nodes on the left)."""
        return int(self.capacity.shape[0])

    @property
    def n_needs(self) -> int:
        """Number of needs (nodes on the right)."""
        return int(self.demand.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of candidate pairs."""
        return int(self.volunteer.shape[0])

    def __repr__(self) -> str:
        return (
            f"Graph(n_volunteers={self.n_volunteers}, n_needs={self.n_needs}, "
            f"n_edges={self.n_edges}, resolution={self.resolution!r})"
        )

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_arrays(
        cls,
        volunteer: ArrayLike,
        need: ArrayLike,
        cost: ArrayLike,
        capacity: ArrayLike | None = None,
        demand: ArrayLike | None = None,
        priority: ArrayLike | None = None,
        *,
        n_volunteers: int | None = None,
        n_needs: int | None = None,
        need_slot: ArrayLike | None = None,
        one_need_per_slot: bool = True,
        load_penalty: float = 0.0,
        unmatched_cost: float | None = None,
        pinned: ArrayLike | None = None,
        resolution: float | None = None,
        volunteer_ids: Sequence[str] | None = None,
        need_ids: Sequence[str] | None = None,
    ) -> Graph:
        """Make a graph from edge arrays and your own costs.

        Parameters
        ----------
        volunteer, need : array_like of int, shape (m,)
            Endpoints of each edge (0-based). Each pair at most once.
        cost : array_like of float or int, shape (m,)
            Cost of each edge (any sign). Costs are divided by *resolution* and
            rounded half to even; with ``resolution=None`` they must be integers.
        capacity : array_like of int, optional
            Per volunteer, default 1.
        demand : array_like of int, optional
            Per need, default 1.
        priority : array_like of int >= 1, optional
            Per need, default 1.
        n_volunteers, n_needs : int, optional
            Default: one more than the largest index (or the length of capacity / demand).
        need_slot : array_like of int, optional
            Slot number of each need, -1 = none (used with *one_need_per_slot*).
        one_need_per_slot : bool, default True
        load_penalty : float, default 0.0
            Extra cost of the k-th need of one volunteer is ``(k-1) * load_penalty``.
        unmatched_cost : float or None, default None
            None: coverage first. A number ``c``: each unserved unit of a need of
            priority ``p`` costs ``c * p``.
        pinned : array_like of bool, shape (m,), optional
            Edges that must be in the plan.
        resolution : float or None, default None
            The value of one integer cost unit (None = 1 and integer costs only).
        volunteer_ids, need_ids : sequence of str, optional
            Names (default ``"0"``, ``"1"``, ...).

        Raises
        ------
        InputError
            Listing every problem: lengths that differ, indices out of range,
            repeated pairs, NaN or infinite costs, costs that are not integers
            when ``resolution`` is None, negative capacities, demands, priorities
            below 1, pinned edges that over-fill a capacity, demand or slot.

        Examples
        --------
        >>> g = Graph.from_arrays([0, 0, 1], [0, 1, 1], [5, 3, 1], capacity=[2, 1])
        >>> g.capacity.tolist(), g.demand.tolist()
        ([2, 1], [1, 1])
        """
        problems: list[InputProblem] = []

        def bad(fld: str, expected: str, got: Any = "") -> None:
            problems.append(InputProblem("graph", fld, expected, short_repr(got), kind="graph"))

        def ints(name: str, a: ArrayLike) -> IntArray:
            arr = np.asarray(a)
            if arr.ndim != 1:
                bad(name, "a 1-D array", f"shape {arr.shape}")
                return np.zeros(0, np.int64)
            if arr.size and not np.issubdtype(arr.dtype, np.integer):
                if not np.issubdtype(arr.dtype, np.floating) or not np.all(arr == np.round(arr)):
                    bad(name, "integers", arr.dtype)
                    return np.zeros(0, np.int64)
            return arr.astype(np.int64)

        v = ints("volunteer", volunteer)
        n = ints("need", need)
        c_raw = np.asarray(cost, dtype=np.float64 if not _is_int_array(cost) else np.int64)
        m = len(v)
        if len(n) != m or c_raw.shape != (m,):
            bad(
                "need/cost",
                f"arrays of the same length as volunteer ({m})",
                f"{len(n)}/{c_raw.shape}",
            )
        nv = _node_count(n_volunteers, capacity, v)
        nn = _node_count(n_needs, demand, n)
        cap = ints("capacity", capacity) if capacity is not None else np.ones(nv, np.int64)
        dem = ints("demand", demand) if demand is not None else np.ones(nn, np.int64)
        pri = ints("priority", priority) if priority is not None else np.ones(nn, np.int64)
        slot = ints("need_slot", need_slot) if need_slot is not None else np.full(nn, -1, np.int64)
        for name, arr, size, lo in (
            ("capacity", cap, nv, 0),
            ("demand", dem, nn, 0),
            ("priority", pri, nn, 1),
            ("need_slot", slot, nn, -1),
        ):
            if len(arr) != size:
                bad(name, f"length {size}", len(arr))
            elif size and arr.min() < lo:
                bad(name, f"values >= {lo}", int(arr.min()))
        if problems:
            raise InputError(problems)
        if m and (v.min() < 0 or v.max() >= nv):
            bad("volunteer", f"indices in 0..{nv - 1}", int(v.min() if v.min() < 0 else v.max()))
        if m and (n.min() < 0 or n.max() >= nn):
            bad("need", f"indices in 0..{nn - 1}", int(n.min() if n.min() < 0 else n.max()))
        if m and not problems:
            keys = v * nn + n
            uniq, counts = np.unique(keys, return_counts=True)
            if (counts > 1).any():
                k = int(uniq[np.argmax(counts > 1)])
                bad(
                    "volunteer/need",
                    "each pair at most once",
                    f"pair ({k // nn}, {k % nn}) repeated",
                )
        if np.issubdtype(c_raw.dtype, np.floating) and m and not np.isfinite(c_raw).all():
            bad("cost", "finite numbers (leave a pair out to forbid it)", "NaN or inf")
        if problems:
            raise InputError(problems)

        res = 1.0 if resolution is None else float(resolution)
        if not (np.isfinite(res) and res > 0):
            raise InputError(
                [InputProblem("graph", "resolution", "a finite number > 0", repr(resolution))]
            )
        int_cost = _to_int_costs(c_raw, resolution, "cost")
        load_step = int(
            _to_int_costs(np.array([load_penalty], float), resolution, "load_penalty")[0]
        )
        if load_step < 0:
            raise InputError(
                [InputProblem("graph", "load_penalty", "a number >= 0", repr(load_penalty))]
            )
        unserved = None
        if unmatched_cost is not None:
            if not (np.isfinite(unmatched_cost) and unmatched_cost >= 0):
                raise InputError(
                    [
                        InputProblem(
                            "graph",
                            "unmatched_cost",
                            "a finite number >= 0 or None",
                            repr(unmatched_cost),
                        )
                    ]
                )
            unserved = _to_int_costs(
                unmatched_cost * pri.astype(float), resolution, "unmatched_cost"
            )
        pin = np.zeros(m, bool) if pinned is None else np.asarray(pinned, bool)
        if pin.shape != (m,):
            raise InputError(
                [InputProblem("graph", "pinned", f"a boolean array of length {m}", str(pin.shape))]
            )

        order = np.lexsort((v, n))  # sort edges by (need, volunteer)
        graph = cls(
            volunteer=_frozen_fresh(v[order], np.int64),
            need=_frozen_fresh(n[order], np.int64),
            cost=_frozen_fresh(int_cost[order], np.int64),
            capacity=_frozen_array(cap, np.int64),
            demand=_frozen_array(dem, np.int64),
            priority=_frozen_array(pri, np.int64),
            need_slot=_frozen_array(slot, np.int64),
            slot_names=tuple(str(i) for i in range(int(slot.max()) + 1))
            if nn and slot.max() >= 0
            else (),
            one_need_per_slot=bool(one_need_per_slot),
            load_step=load_step,
            unserved_cost=None if unserved is None else _frozen_array(unserved, np.int64),
            pinned=_frozen_fresh(pin[order], bool),
            resolution=res,
            volunteer_ids=tuple(volunteer_ids)
            if volunteer_ids is not None
            else tuple(map(str, range(nv))),
            need_ids=tuple(need_ids) if need_ids is not None else tuple(map(str, range(nn))),
        )
        _check_pinned_fit(graph)
        return graph

    @classmethod
    def from_dense(
        cls, cost_matrix: ArrayLike, *, resolution: float | None = None, **kwargs: Any
    ) -> Graph:
        """Make a graph from a dense cost matrix (rows volunteers, columns needs).

        Parameters
        ----------
        cost_matrix : array_like, shape (n_volunteers, n_needs)
            ``np.inf`` marks a pair that is not allowed. Capacities and demands
            default to 1 (an assignment problem).
        resolution : float or None, default None
            As in :meth:`from_arrays`.
        **kwargs
            Passed to :meth:`from_arrays` (capacity, demand, priority, ...).

        Raises
        ------
        InputError
            If the matrix is not 2-D or holds NaN or ``-inf``.

        Examples
        --------
        >>> from matcher import solve_graph
        >>> sol = solve_graph(Graph.from_dense([[4, 1, 3], [2, 0, 5], [3, 2, 2]]))
        >>> sol.int_cost, sol.need.tolist(), sol.volunteer.tolist()
        (5, [0, 1, 2], [1, 0, 2])
        """
        a = np.asarray(cost_matrix)
        if a.ndim != 2:
            raise InputError(
                [InputProblem("graph", "cost_matrix", "a 2-D array", f"shape {a.shape}")]
            )
        if np.issubdtype(a.dtype, np.floating):
            if np.isnan(a).any() or np.isneginf(a).any():
                raise InputError(
                    [
                        InputProblem(
                            "graph", "cost_matrix", "numbers or +inf (no pair)", "NaN or -inf"
                        )
                    ]
                )
            v, n = np.nonzero(np.isfinite(a))
        else:
            v, n = np.nonzero(np.ones(a.shape, bool))
        kwargs.setdefault("n_volunteers", a.shape[0])
        kwargs.setdefault("n_needs", a.shape[1])
        return cls.from_arrays(v, n, a[v, n], resolution=resolution, **kwargs)

    # ----------------------------------------------------------------- export
    def to_networkx(self) -> Any:
        """Export as a :class:`networkx.Graph` (bipartite).

        Nodes are ``("volunteer", id)`` with attributes ``bipartite=0``,
        ``capacity``, and ``("need", id)`` with ``bipartite=1``, ``demand``,
        ``priority``, ``slot``. Edges carry ``cost`` (int), ``pinned`` and, for
        graphs built from a problem, ``distance_km`` and each cost part.

        Examples
        --------
        >>> G = Graph.from_dense([[1, 2]]).to_networkx()
        >>> sorted(G.edges(data="cost"))
        [(('volunteer', '0'), ('need', '0'), 1), (('volunteer', '0'), ('need', '1'), 2)]
        """
        import networkx as nx

        G = nx.Graph()
        for i, vid in enumerate(self.volunteer_ids):
            G.add_node(("volunteer", vid), bipartite=0, capacity=int(self.capacity[i]))
        for j, nid in enumerate(self.need_ids):
            s = int(self.need_slot[j])
            G.add_node(
                ("need", nid),
                bipartite=1,
                demand=int(self.demand[j]),
                priority=int(self.priority[j]),
                slot=self.slot_names[s] if s >= 0 else None,
            )
        for e in range(self.n_edges):
            attrs: dict[str, Any] = {"cost": int(self.cost[e]), "pinned": bool(self.pinned[e])}
            if self.distance_km is not None:
                attrs["distance_km"] = float(self.distance_km[e])
            if self.parts is not None:
                attrs.update({k: float(a[e]) for k, a in self.parts.items()})
            G.add_edge(
                ("volunteer", self.volunteer_ids[self.volunteer[e]]),
                ("need", self.need_ids[self.need[e]]),
                **attrs,
            )
        return G


def _node_count(explicit: int | None, per_node: ArrayLike | None, index: IntArray) -> int:
    """How many nodes: as given, else the length of a per-node array, else the largest index + 1."""
    if explicit is not None:
        return int(explicit)
    if per_node is not None:
        return len(np.asarray(per_node))
    return int(index.max()) + 1 if len(index) else 0


def _is_int_array(a: ArrayLike) -> bool:
    arr = np.asarray(a)
    return bool(np.issubdtype(arr.dtype, np.integer))


def _to_int_costs(values: NDArray[Any], resolution: float | None, name: str) -> IntArray:
    """Integer costs: ``round(value / resolution)``, exact integers when resolution is None."""
    if np.issubdtype(values.dtype, np.integer) and resolution is None:
        out = values.astype(np.int64)
    elif resolution is None:
        if not np.all(values == np.round(values)):
            raise InputError(
                [
                    InputProblem(
                        "graph",
                        name,
                        "integers when resolution is None (pass resolution=0.001 to round)",
                        "fractional values",
                    )
                ]
            )
        out = values.astype(np.int64)
    else:
        scaled = np.rint(values.astype(np.float64) / resolution)
        if scaled.size and np.abs(scaled).max() > MAX_INT_COST:
            raise InputError(
                [InputProblem("graph", name, f"at most {MAX_INT_COST} units of resolution", "more")]
            )
        out = scaled.astype(np.int64)
    if out.size and np.abs(out).max() > MAX_INT_COST:
        raise InputError([InputProblem("graph", name, f"|integer cost| <= {MAX_INT_COST}", "more")])
    return out


def _check_pinned_fit(g: Graph) -> None:
    if not g.pinned.any():
        return
    problems: list[InputProblem] = []
    pv, pn = g.volunteer[g.pinned], g.need[g.pinned]
    over_v = np.nonzero(np.bincount(pv, minlength=g.n_volunteers) > g.capacity)[0]
    over_n = np.nonzero(np.bincount(pn, minlength=g.n_needs) > g.demand)[0]
    for i in over_v:
        problems.append(
            InputProblem(
                f"volunteer {g.volunteer_ids[i]!r}",
                "pinned",
                "at most capacity pinned edges",
                kind="graph",
            )
        )
    for j in over_n:
        problems.append(
            InputProblem(
                f"need {g.need_ids[j]!r}", "pinned", "at most demand pinned edges", kind="graph"
            )
        )
    if g.one_need_per_slot:
        s = g.need_slot[pn]
        keys = pv[s >= 0] * (len(g.slot_names) + 1) + s[s >= 0]
        uniq, counts = np.unique(keys, return_counts=True)
        for k in uniq[counts > 1]:
            vid = g.volunteer_ids[int(k) // (len(g.slot_names) + 1)]
            problems.append(
                InputProblem(
                    f"volunteer {vid!r}", "pinned", "at most one pinned need per slot", kind="graph"
                )
            )
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------
# Building the graph of a problem
# --------------------------------------------------------------------------


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
        dist = _rules.distance_km(enc, v, n)
        masks = _rules.rule_masks(enc, v, n, dist, skills=np.ones(len(v), bool))
        row = np.searchsorted(needs, n) if _is_sorted(needs) else _positions(needs, n)
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
        ok = _rules.skills_ok(enc, v, n)
        return v[ok], n[ok], skilled


def _is_sorted(a: IntArray) -> bool:
    return bool(np.all(a[1:] > a[:-1]))


def _positions(needs: IntArray, n: IntArray) -> IntArray:
    order = np.argsort(needs)
    return order[np.searchsorted(needs[order], n)]


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
    enc = _rules.encode(vols, needs, policy, problem.forbidden)
    # -- candidate pairs: every rule, the exact distance last (the costly one)
    v, n, dist = _feasible_pairs(enc)
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


# --------------------------------------------------------------------------
# Re-building the graph after a few records change
# --------------------------------------------------------------------------

_VOLUNTEER_ROWS = (
    "vol_xy",
    "vol_limit",
    "vol_level",
    "vol_any_slot",
    "vol_free",
    "vol_comm",
    "vol_has_pref",
    "vol_pref",
    "capacity",
    "vol_cos_lat",
)
_NEED_ROWS = (
    "need_xy",
    "need_level",
    "need_slot",
    "need_comm",
    "need_cat",
    "demand",
    "priority",
    "need_cos_lat",
)


@dataclass(frozen=True, eq=False)
class Delta:
    """How a re-built graph's nodes and edges map onto the graph it came from.

    Attributes
    ----------
    volunteer_from, need_from : ndarray of int64
        For each volunteer / need of the new graph, the index in the old graph
        of the record with the same id (-1: a new id).
    edge_from : ndarray of int64
        For each new edge, the old edge between the same two records, both
        unchanged (-1 otherwise): its cost and parts are the old ones.
    volunteer_same, need_same : ndarray of bool
        For each volunteer / need of the new graph, whether its record is
        unchanged (all False when built from scratch).
    volunteers_changed : bool
        Whether any volunteer came, left or changed.
    incremental : bool
        False when the graph was built from scratch (a policy or pairs list
        changed, or the name tables of skills, slots, communities or
        categories did).
    """

    volunteer_from: IntArray
    need_from: IntArray
    edge_from: IntArray
    volunteer_same: BoolArray
    need_same: BoolArray
    volunteers_changed: bool
    incremental: bool


def rebuild(base: Built, problem: Problem) -> tuple[Built, Delta]:
    """The graph of *problem*, re-using *base*'s where records did not change.

    Equal to :func:`build` (*problem*) array for array: records are compared
    by id and value; the edges between unchanged records are kept with their
    costs, and only pairs with a new or changed record are searched and
    costed. Falls back to :func:`build` when the policy, the pinned,
    forbidden or history pairs, or the name tables change.
    """
    out = _rebuild(base, problem)
    if out is not None:
        return out
    built = build(problem)

    def same_id(new_ids: tuple[str, ...], old_of: dict[str, int]) -> IntArray:
        return np.fromiter((old_of.get(x, -1) for x in new_ids), np.int64, len(new_ids))

    g = built.graph
    return built, Delta(
        volunteer_from=same_id(g.volunteer_ids, base.volunteer_of),
        need_from=same_id(g.need_ids, base.need_of),
        edge_from=np.full(g.n_edges, -1, np.int64),
        volunteer_same=np.zeros(g.n_volunteers, bool),
        need_same=np.zeros(g.n_needs, bool),
        volunteers_changed=True,
        incremental=False,
    )


def _diff(
    old: NDArray[np.object_], old_of: dict[str, int], new: Sequence[Any]
) -> tuple[BoolArray, list[Any]]:
    """Which old records come again unchanged, and the records that are new or changed."""
    same = np.zeros(len(old), bool)
    fresh = []
    old_l = old.tolist()  # a list's items are quicker to reach than an object array's
    for r in new:
        i = old_of.get(r.id)
        if i is not None and (old_l[i] is r or old_l[i] == r):
            same[i] = True
        else:
            fresh.append(r)
    fresh.sort(key=lambda r: r.id)
    return same, fresh


def _places(kept_ids: list[str], fresh: list[Any]) -> tuple[IntArray, IntArray]:
    """New indices of the kept records (in order) and of the fresh ones, in sorted-id order."""
    ins = np.array([bisect_left(kept_ids, r.id) for r in fresh], np.int64)
    at_fresh = ins + np.arange(len(fresh), dtype=np.int64)
    at_kept = np.arange(len(kept_ids), dtype=np.int64) + np.searchsorted(
        ins, np.arange(len(kept_ids)), side="right"
    )
    return at_kept, at_fresh


def _rows(
    old: NDArray[Any], kept: IntArray, sub: NDArray[Any], at_kept: IntArray, at_fresh: IntArray
) -> NDArray[Any]:
    out = np.empty((len(at_kept) + len(at_fresh), *old.shape[1:]), old.dtype)
    out[at_kept] = old[kept]
    out[at_fresh] = sub
    return out


def _flags(n: int, at: IntArray) -> BoolArray:
    out = np.zeros(n, bool)
    out[at] = True
    return out


def _rebuild(base: Built, problem: Problem) -> tuple[Built, Delta] | None:
    old = base.problem
    if (
        problem.policy != old.policy
        or problem.pinned != old.pinned
        or problem.forbidden != old.forbidden
        or problem.history != old.history
    ):
        return None
    same_v, fresh_v = _diff(base.volunteers, base.volunteer_of, problem.volunteers)
    same_n, fresh_n = _diff(base.needs, base.need_of, problem.needs)
    enc0 = base.diag.encoding
    names = enc0.names
    # -- the name tables must stay the same: no new name, none gone
    sub_names = _rules.names_of(fresh_v, fresh_n)
    if any(not set(a) <= set(b) for a, b in zip(sub_names, names, strict=True)):
        return None
    kv, kn = np.flatnonzero(same_v), np.flatnonzero(same_n)

    def present(codes: IntArray, fresh: tuple[str, ...], table: tuple[str, ...]) -> BoolArray:
        seen = np.bincount(codes[codes >= 0], minlength=len(table)) > 0
        seen[[table.index(x) for x in fresh]] = True
        return seen

    skills: BoolArray = np.asarray(
        (enc0.vol_level[kv] > 0).any(axis=0) | (enc0.need_level[kn] > 0).any(axis=0)
    )
    skills[[names.skills.index(x) for x in sub_names.skills]] = True
    kept_comm = np.r_[enc0.vol_comm[kv], enc0.need_comm[kn]]
    if not (
        skills.all()
        and present(enc0.need_slot[kn], sub_names.slots, names.slots).all()
        and present(kept_comm, sub_names.communities, names.communities).all()
        and present(enc0.need_cat[kn], sub_names.categories, names.categories).all()
    ):
        return None

    # -- records and their encoding, in sorted-id order
    g0 = base.graph
    vid0, nid0 = g0.volunteer_ids, g0.need_ids
    at_kv, at_fv = _places([vid0[i] for i in kv.tolist()], fresh_v)
    at_kn, at_fn = _places([nid0[i] for i in kn.tolist()], fresh_n)
    volunteers_changed = bool(len(fresh_v)) or len(kv) < len(vid0)
    sub = _rules.encode(fresh_v, fresh_n, problem.policy, (), names=names)
    fields: dict[str, Any] = {}
    if volunteers_changed:
        vols = _rows(base.volunteers, kv, _records(fresh_v), at_kv, at_fv)
        vid = tuple(r.id for r in vols.tolist())
        for k in _VOLUNTEER_ROWS:
            fields[k] = _rows(getattr(enc0, k), kv, getattr(sub, k), at_kv, at_fv)
    else:  # the same volunteers: their records, ids and encoding as they were
        vols, vid = base.volunteers, vid0
    needs = _rows(base.needs, kn, _records(fresh_n), at_kn, at_fn)
    needs_l = needs.tolist()
    nid = tuple(r.id for r in needs_l)
    fields.update(
        {k: _rows(getattr(enc0, k), kn, getattr(sub, k), at_kn, at_fn) for k in _NEED_ROWS}
    )
    if problem.forbidden:  # the same pairs, with the records renumbered
        fields["forbidden_keys"] = _rules.forbidden_keys(vid, nid, problem.forbidden)
    enc = replace(enc0, **fields)

    # -- the old edges between unchanged records, renumbered (still sorted)
    nv, nn = len(vid), len(nid)
    vmap = np.full(len(vid0), -1, np.int64)
    vmap[kv] = at_kv
    nmap = np.full(len(nid0), -1, np.int64)
    nmap[kn] = at_kn
    old_v, old_n = vmap[g0.volunteer], nmap[g0.need]
    keep_e: BoolArray | None = None  # None: every old edge stays
    if len(kv) < len(vid0) or len(kn) < len(nid0):
        keep_e = (old_v >= 0) & (old_n >= 0)
        old_v, old_n = old_v[keep_e], old_n[keep_e]

    # -- the pairs with a new or changed record: searched and costed alone
    v1, n1, d1 = _feasible_pairs(enc, needs=at_fn)
    if len(at_fv):
        v2, n2, d2 = _feasible_pairs(enc, needs=at_kn, vols=at_fv)
        v1, n1, d1 = np.r_[v1, v2], np.r_[n1, n2], np.r_[d1, d2]
    vols_l = vols.tolist()
    parts1, cost1 = _edge_costs(problem, vols_l, needs_l, enc, v1, n1, d1)
    pinned1 = _pinned(problem, vid, nid, v1, n1)
    order = np.lexsort((v1, n1))
    key_old = old_n * nv + old_v
    key_new = (n1 * nv + v1)[order]
    at_new = np.searchsorted(key_old, key_new) + np.arange(len(order), dtype=np.int64)
    m = len(old_v) + len(order)
    is_old = np.ones(m, bool)
    is_old[at_new] = False  # boolean masks: much faster than index arrays here

    def merged(old_part: NDArray[Any], new_part: NDArray[Any], dtype: Any) -> NDArray[Any]:
        out = np.empty(m, dtype)
        out[is_old] = old_part
        out[at_new] = new_part[order]
        return out

    def kept(a: NDArray[Any]) -> NDArray[Any]:
        return a if keep_e is None else a[keep_e]

    assert g0.distance_km is not None and g0.parts is not None
    graph = _graph_of(
        problem,
        enc,
        vols_l,
        needs_l,
        vid,
        nid,
        merged(old_v, v1, np.int64),
        merged(old_n, n1, np.int64),
        merged(kept(g0.cost), cost1, np.int64),
        merged(kept(g0.distance_km), d1, np.float64),
        {k: merged(kept(g0.parts[k]), parts1[k], np.float64) for k in COST_PARTS},
        merged(kept(g0.pinned), pinned1, bool),
    )
    edge_from = merged(
        np.arange(g0.n_edges, dtype=np.int64) if keep_e is None else np.flatnonzero(keep_e),
        np.full(len(order), -1, np.int64),
        np.int64,
    )

    def same_id(
        old_of: dict[str, int],
        fresh: list[Any],
        at_kept: IntArray,
        kept_idx: IntArray,
        at_fresh: IntArray,
        n: int,
    ) -> IntArray:
        out = np.empty(n, np.int64)
        out[at_kept] = kept_idx
        out[at_fresh] = [old_of.get(r.id, -1) for r in fresh]
        return out

    built = Built(
        problem=problem,
        graph=graph,
        # the volunteers' k-d tree of candidate_counts holds while they do
        diag=Diagnostics(encoding=enc, cache={} if volunteers_changed else base.diag.cache),
        volunteers=vols,
        needs=needs,
        volunteer_of=(
            dict(zip(vid, range(nv), strict=True)) if volunteers_changed else base.volunteer_of
        ),
        need_of=dict(zip(nid, range(nn), strict=True)),
    )
    return built, Delta(
        volunteer_from=same_id(base.volunteer_of, fresh_v, at_kv, kv, at_fv, nv),
        need_from=same_id(base.need_of, fresh_n, at_kn, kn, at_fn, nn),
        edge_from=edge_from,
        volunteer_same=_flags(nv, at_kv),
        need_same=_flags(nn, at_kn),
        volunteers_changed=volunteers_changed,
        incremental=True,
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
    """Which pairs ``(v[k], n[k])`` are in ``problem.history``, by need id or household."""
    if not problem.history or not problem.policy.weights.continuity or not len(v):
        return np.zeros(len(v), bool)
    vpos = {x.id: i for i, x in enumerate(vols)}
    code: dict[str, int] = {}
    for x in needs:
        code.setdefault(x.id, len(code))
        if x.household is not None:
            code.setdefault(x.household, len(code))
    nv = len(vols)
    keys = np.array(
        [code[a] * nv + vpos[b] for a, b in problem.history if a in code and b in vpos], np.int64
    )
    if not len(keys):
        return np.zeros(len(v), bool)
    by_id = np.array([code[x.id] for x in needs], np.int64)
    by_house = np.array([-1 if x.household is None else code[x.household] for x in needs], np.int64)
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


# Up to this many needs, candidate_counts looks them up one by one in a tree of all volunteers.
_FEW_NEEDS = 2000

# Below this many volunteer x need pairs, a group is paired exhaustively
# (cheaper than building two k-d trees).
_SMALL_GROUP = 4096


def _feasible_pairs(
    enc: Encoding, needs: IntArray | None = None, vols: IntArray | None = None
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every pair passing the five rules, with its exact distance.

    Volunteers with capacity 0 are left out at once; with ``same_community``
    only pairs inside a community are looked at. The spatial search gives
    pairs within reach (a superset of the exact range); the cheap rules (slot,
    community, forbidden) filter them, and the exact distance is computed
    only for the pairs left. *needs* and *vols* (sorted indices; default all)
    restrict the search to pairs between them: the pairs found are exactly
    those of the whole search with both ends there.
    """
    if vols is None:
        vols = np.arange(enc.n_volunteers, dtype=np.int64)
    if needs is None:
        needs = np.arange(enc.n_needs, dtype=np.int64)
    active = vols[enc.capacity[vols] > 0]
    v, n, _ = _skilled_in_reach(enc, needs, active, by_community=enc.same_community)
    masks = _rules.rule_masks(enc, v, n, np.zeros(len(v)), skills=np.ones(len(v), bool))
    keep = masks.slot & masks.community & masks.available
    v, n = v[keep], n[keep]
    dist = _rules.distance_km(enc, v, n)
    ok = dist <= enc.vol_limit[v]
    return v[ok], n[ok], dist[ok]


def _groups(keys: NDArray[Any]) -> list[IntArray]:
    """Positions of equal rows (or values) of *keys*, one array per distinct key."""
    if len(keys) == 0:
        return []
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(int(inverse.max()) + 2))
    return [order[bounds[g] : bounds[g + 1]] for g in range(len(bounds) - 1)]


def _skilled_in_reach(
    enc: Encoding, needs: IntArray, vols: IntArray, *, by_community: bool
) -> tuple[IntArray, IntArray, IntArray]:
    """Pairs (v in *vols*, n in *needs*) passing rule 1 and within reach of rule 2.

    Needs are grouped by skill requirement (and by community when
    *by_community*: then only volunteers of the same community are looked
    at); for each group, the volunteers with every required skill are found
    once, and a k-d tree over them finds those within the largest travel
    limit of the group (on the sphere: the chord between 3-D points, a little
    wider to be safe from rounding). Pairs *may* lie beyond a volunteer's own
    limit -- the caller applies the exact distance rule. Volunteers without
    any limit are paired with every need of the group, and so are small
    groups. The work is proportional to the pairs passing rule 1 within
    reach, not to all pairs.

    Returns
    -------
    v, n : int64 arrays
        The pairs.
    skilled : int64 array, shape (len(needs),)
        How many of *vols* pass rule 1 for each need (whatever the distance);
        meaningful only when not *by_community*.
    """
    skilled = np.zeros(len(needs), np.int64)
    if len(vols) == 0 or len(needs) == 0:
        return _EMPTY_I, _EMPTY_I, skilled
    pts_v, pts_n = _points(enc, enc.vol_xy), _points(enc, enc.need_xy)
    if by_community:
        comm_n = enc.need_comm[needs]
        comm_v = enc.vol_comm[vols]
        blocks = [
            (needs_idx, vols[comm_v == comm_n[needs_idx[0]]])
            for needs_idx in _groups(comm_n)
            if comm_n[needs_idx[0]] >= 0
        ]
    else:
        blocks = [(np.arange(len(needs)), vols)]
    vs: list[IntArray] = []
    ns: list[IntArray] = []
    made = 0  # pairs so far, against matcher.limits.MAX_PAIRS
    for block_pos, block_vols in blocks:
        if len(block_vols) == 0:
            continue
        for group in _groups(enc.need_level[needs[block_pos]]):
            pos = block_pos[group]
            group_needs = needs[pos]
            req = enc.need_level[group_needs[0]]
            cand = block_vols[_has_skills(enc, req, block_vols)]
            skilled[pos] = len(cand)
            if len(cand) == 0:
                continue
            limit = enc.vol_limit[cand]
            near = np.isfinite(limit)
            if len(cand) * len(group_needs) <= _SMALL_GROUP or not near.any():
                made += len(cand) * len(group_needs)
                limits.check("candidate pairs", made, "MAX_PAIRS", "graph")
                vs.append(np.repeat(cand, len(group_needs)))
                ns.append(np.tile(group_needs, len(cand)))
                continue
            far = cand[~near]
            if len(far):
                made += len(far) * len(group_needs)
                limits.check("candidate pairs", made, "MAX_PAIRS", "graph")
                vs.append(np.repeat(far, len(group_needs)))
                ns.append(np.tile(group_needs, len(far)))
            cand = cand[near]
            radius = _search_radius(enc, float(limit[near].max()))
            hits = cKDTree(pts_v[cand]).sparse_distance_matrix(
                cKDTree(pts_n[group_needs]), radius, output_type="ndarray"
            )
            made += len(hits)
            limits.check("candidate pairs", made, "MAX_PAIRS", "graph")
            vs.append(cand[hits["i"]])
            ns.append(group_needs[hits["j"]])
    if not vs:
        return _EMPTY_I, _EMPTY_I, skilled
    return np.concatenate(vs).astype(np.int64), np.concatenate(ns).astype(np.int64), skilled


def _has_skills(enc: Encoding, req: NDArray[np.int8], vols: IntArray | None = None) -> BoolArray:
    """Which volunteers (all, or *vols*) have every skill of the requirement *req*."""
    cols = np.flatnonzero(req)
    levels = enc.vol_level if vols is None else enc.vol_level[vols]
    if not len(cols):
        return np.ones(len(levels), bool)
    return np.all(levels[:, cols] >= req[cols], axis=1)


def _search_radius(enc: Encoding, limit_km: float) -> float:
    """The k-d tree radius that contains every point within *limit_km*, with a margin."""
    if enc.geometry == "plane":
        radius = limit_km
    else:
        half_angle = min(limit_km / (2 * EARTH_RADIUS_KM), np.pi / 2)
        radius = 2 * EARTH_RADIUS_KM * np.sin(half_angle)
    return float(radius * (1 + 1e-9) + 1e-9)


def _points(enc: Encoding, xy: FloatArray) -> FloatArray:
    """Coordinates in which straight-line distance orders pairs like the true distance."""
    return xy if enc.geometry == "plane" else _unit_xyz(xy)


def _unit_xyz(latlon: FloatArray) -> FloatArray:
    """Points on the sphere of radius EARTH_RADIUS_KM, in km (chord = straight line)."""
    lat = np.radians(latlon[:, 0])
    lon = np.radians(latlon[:, 1])
    c = np.cos(lat)
    return EARTH_RADIUS_KM * np.column_stack((c * np.cos(lon), c * np.sin(lon), np.sin(lat)))
