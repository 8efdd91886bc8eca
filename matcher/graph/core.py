"""The candidate graph: every feasible volunteer-need pair with its integer cost, as arrays.

:class:`Graph` is what every solver is given (through
:mod:`matcher.solvers`): pair arrays, node arrays and the integer costs in
units of ``Policy.resolution``. :meth:`Graph.from_arrays` and
:meth:`Graph.from_dense` make one from costs you bring; :func:`matcher.build_graph`
makes one from a :class:`~matcher.Problem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, InputProblem, short_repr
from .costs import _integer_costs, cost_array

__all__ = ["COST_PARTS", "Graph"]


IntArray = NDArray[np.int64]

FloatArray = NDArray[np.float64]

BoolArray = NDArray[np.bool_]

_EMPTY_I = np.zeros(0, np.int64)

COST_PARTS = ("distance", "overskill", "preference", "outside", "continuity")
"""Names of the cost terms, as in ``Match.parts`` and ``Graph.parts``."""


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
        v, n, c_raw = _edge_arrays(problems, volunteer, need, cost)
        m = len(v)
        nv = _node_count(n_volunteers, capacity, v)
        nn = _node_count(n_needs, demand, n)
        cap, dem, pri, slot = _node_arrays(problems, nv, nn, capacity, demand, priority, need_slot)
        if problems:
            raise InputError(problems)
        _check_edges(problems, v, n, c_raw, nv, nn)
        res, int_cost, load_step, unserved = _integer_costs(
            c_raw, pri, resolution, load_penalty, unmatched_cost
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
        a = cost_array(a, "cost_matrix", none_is_missing=True)
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


def _bad(problems: list[InputProblem], fld: str, expected: str, got: Any = "") -> None:
    """Note one problem with the arrays given to :meth:`Graph.from_arrays`."""
    problems.append(InputProblem("graph", fld, expected, short_repr(got), kind="graph"))


def _ints(problems: list[InputProblem], name: str, a: ArrayLike) -> IntArray:
    """*a* as a 1-D int64 array, or an empty one (and a problem noted) when it is not one."""
    arr = np.asarray(a)
    if arr.ndim != 1:
        _bad(problems, name, "a 1-D array", f"shape {arr.shape}")
        return np.zeros(0, np.int64)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(arr == np.round(arr)):
            _bad(problems, name, "integers", arr.dtype)
            return np.zeros(0, np.int64)
    return arr.astype(np.int64)


def _edge_arrays(
    problems: list[InputProblem], volunteer: ArrayLike, need: ArrayLike, cost: ArrayLike
) -> tuple[IntArray, IntArray, NDArray[Any]]:
    """The edge arrays as given (unchecked indices), noting problems of type and length."""
    v = _ints(problems, "volunteer", volunteer)
    n = _ints(problems, "need", need)
    try:
        c_raw = cost_array(cost)
    except InputError as exc:  # refused whole; its length is still checked below
        problems += exc.problems
        c_raw = np.zeros(np.shape(cost), np.float64)
    m = len(v)
    if len(n) != m or c_raw.shape != (m,):
        _bad(
            problems,
            "need/cost",
            f"arrays of the same length as volunteer ({m})",
            f"{len(n)}/{c_raw.shape}",
        )
    return v, n, c_raw


def _node_arrays(
    problems: list[InputProblem],
    nv: int,
    nn: int,
    capacity: ArrayLike | None,
    demand: ArrayLike | None,
    priority: ArrayLike | None,
    need_slot: ArrayLike | None,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Capacity, demand, priority and slot arrays (defaults filled in), noting their problems."""
    cap = _ints(problems, "capacity", capacity) if capacity is not None else np.ones(nv, np.int64)
    dem = _ints(problems, "demand", demand) if demand is not None else np.ones(nn, np.int64)
    pri = _ints(problems, "priority", priority) if priority is not None else np.ones(nn, np.int64)
    slot = (
        _ints(problems, "need_slot", need_slot)
        if need_slot is not None
        else np.full(nn, -1, np.int64)
    )
    for name, arr, size, lo in (
        ("capacity", cap, nv, 0),
        ("demand", dem, nn, 0),
        ("priority", pri, nn, 1),
        ("need_slot", slot, nn, -1),
    ):
        if len(arr) != size:
            _bad(problems, name, f"length {size}", len(arr))
        elif size and arr.min() < lo:
            _bad(problems, name, f"values >= {lo}", int(arr.min()))
    return cap, dem, pri, slot


def _check_edges(
    problems: list[InputProblem],
    v: IntArray,
    n: IntArray,
    c_raw: NDArray[Any],
    nv: int,
    nn: int,
) -> None:
    """Raise the InputError of indices out of range, repeated pairs and non-finite costs."""
    m = len(v)
    if m and (v.min() < 0 or v.max() >= nv):
        _bad(
            problems,
            "volunteer",
            f"indices in 0..{nv - 1}",
            int(v.min() if v.min() < 0 else v.max()),
        )
    if m and (n.min() < 0 or n.max() >= nn):
        _bad(problems, "need", f"indices in 0..{nn - 1}", int(n.min() if n.min() < 0 else n.max()))
    if m and not problems:
        keys = v * nn + n
        uniq, counts = np.unique(keys, return_counts=True)
        if (counts > 1).any():
            k = int(uniq[np.argmax(counts > 1)])
            _bad(
                problems,
                "volunteer/need",
                "each pair at most once",
                f"pair ({k // nn}, {k % nn}) repeated",
            )
    if np.issubdtype(c_raw.dtype, np.floating) and m and not np.isfinite(c_raw).all():
        _bad(problems, "cost", "finite numbers (leave a pair out to forbid it)", "NaN or inf")
    if problems:
        raise InputError(problems)


def _node_count(explicit: int | None, per_node: ArrayLike | None, index: IntArray) -> int:
    """How many nodes: as given, else the length of a per-node array, else the largest index + 1."""
    if explicit is not None:
        return int(explicit)
    if per_node is not None:
        return len(np.asarray(per_node))
    return int(index.max()) + 1 if len(index) else 0


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


def _is_sorted(a: IntArray) -> bool:
    return bool(np.all(a[1:] > a[:-1]))


def _positions(needs: IntArray, n: IntArray) -> IntArray:
    order = np.argsort(needs)
    return order[np.searchsorted(needs[order], n)]
