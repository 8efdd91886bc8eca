"""Method ``"stable"``: volunteer-proposing deferred acceptance (a stable plan).

Not an optimum: a plan in which no volunteer and need would both rather be
matched to each other than keep what they have, for comparison with the
exact methods. It reads the candidate edges, capacities, demands, slots and
priorities of the :class:`~matcher.solvers._base.Instance`, plus two key
arrays, one entry per edge, that rank the edges for each side. Costs enter
only through the keys; ``unserved_cost`` and ``load_step`` are ignored (a
stable plan has no objective; its cost is reported like any other plan's).

Preferences and priorities
--------------------------
In school-choice terms (Abdulkadiroglu and Sonmez, 2003) volunteers are the
proposing side with preferences over needs, and needs hold proposals by
their priority over volunteers.

* Volunteer ``v`` ranks its edges ``e = (v, j)`` by
  ``(-priority[j], vol_key[e], j)``, best first: the more urgent need first,
  then the volunteer's own key (lower is better), then the need index.
  :func:`volunteer_keys` makes the key matcher uses: category preference miss
  first, then distance, then the need index.
* Need ``j`` ranks its edges ``e = (v, j)`` by ``(need_key[e], v)``, best
  first. :func:`need_keys` makes the key matcher uses: the edge's integer
  cost, then the volunteer index.

Why urgency first, and on the volunteers' side. A need's urgency is one
number per need, so it cannot order the volunteers *of* a need; it can only
shape what volunteers ask for. There it either decides first or almost
never: distances are continuous, so ``(miss, distance)`` ties are rare, and
the need index already breaks the rest. Urgency first matches the library's
own objective (served priority first, then cost; see ``DESIGN.md``), so the
stable plan is a fair point of comparison with the optimum, and stability
then reads: no volunteer serves a less urgent need while a more urgent one
that would take them waits. To rank by the volunteers' key alone, pass an
instance with equal priorities (``dataclasses.replace(inst,
priority=np.ones_like(inst.priority))``).

Only the order of the keys among the edges of one volunteer (of one need)
matters. So any sub-array of a valid key array is a valid key array of the
matching sub-instance (pinned edges removed by
:func:`~matcher.solvers._base.fix_pinned`, parts cut by
:func:`~matcher.solvers._split.split`): index the keys with the kept edges.

Choice functions and stability
------------------------------
Volunteer ``v`` offered a set ``X`` of its edges keeps ``C_v(X)``: it scans
``X`` best first and keeps an edge when it keeps fewer than ``capacity[v]``
and, with the slot rule on (``Instance.slot`` not None) and the need's slot
``s >= 0``, keeps no edge of slot ``s`` yet. This is the greedy algorithm on
a matroid (a partition matroid -- one block of size 1 per slot, slotless
needs free -- truncated at the capacity), so ``C_v`` is substitutable and
size-monotone. Need ``j`` keeps the ``demand[j]`` best edges of ``X``
(``C_j``, responsive). Every edge is acceptable to both sides.

A plan ``X`` (a set of edges) is *feasible* when it respects the capacities,
the demands and the slot rule. Edge ``e = (v, j)`` not in a feasible ``X``
*blocks* it when both would take it:

* ``e`` is in ``C_v(X_v + e)``: fewer than ``capacity[v]`` edges of ``X_v``
  rank above ``e`` for ``v``, and the slot rule is off, or ``j`` has no slot,
  or ``v``'s edge in slot ``slot[j]``, if any, ranks below ``e``. So ``v``
  takes ``j`` with spare capacity and a free slot, or by dropping a worse need
  of the same slot, or by dropping its worst need; a volunteer with spare
  capacity whose slot is taken by a better need does *not* want ``j``;
* ``e`` is in ``C_j(X_j + e)``: fewer than ``demand[j]`` edges of ``X_j`` rank
  above ``e`` for ``j`` (spare demand, or ``v`` better than ``j``'s worst).

A feasible plan is *stable* when no edge blocks it (:func:`blocking_pairs`
lists them). Since every edge is acceptable and a feasible ``X`` satisfies
``C_v(X_v) = X_v`` and ``C_j(X_j) = X_j``, this is pairwise stability with
individual rationality.

Algorithm
---------
With substitutable choice functions on both sides, deferred acceptance ends
in a stable plan, and the volunteer-proposing one in the plan every
volunteer likes best among the stable plans -- ``C_v(X_v + Y_v) = X_v`` for
every stable ``Y`` -- and every need likes least (Roth, 1984; Fleiner, 2003;
Hatfield and Milgrom, 2005). Here each volunteer always offers
``C_v(edges not yet rejected)``: for each slot of ``v`` the best unrejected
edge, and each slotless edge, are the *heads*; ``v`` offers its
``capacity[v]`` best heads. A need holds its ``demand[j]`` best offers and
rejects the rest. When an offer is rejected, the next edge of its slot (if
any) becomes a head and ``v`` offers its best waiting head (a rejection only
frees one place, so this keeps the offers equal to ``C_v``).

Each edge is offered at most once and rejected at most once, so after one
``O(m log m)`` sort the loop does ``O(m)`` heap operations: ``O(m log m)``
in all, in Python. The outcome is unique (the volunteer-optimal stable plan),
whatever the order of the offers; the order used is fixed anyway: first
offers by volunteer index, each volunteer's best first, then first in,
first out.

Not promised: the plan is not optimal for the library's objective (it may
serve less priority or cost more than the optimum), and no certificate.
Pinned pairs are outside the market: the solver sees the residual instance
(reduced capacities and demands, the pinned volunteer's other edges in that
slot gone), so stability is that of the residual plan, and a pinned pair is
never given up to remove a blocking pair.

References
----------
D. Gale, L. S. Shapley, "College admissions and the stability of marriage",
Amer. Math. Monthly 69 (1962) 9-15.

A. E. Roth, "Stability and polarization of interests in job matching",
Econometrica 52 (1984) 47-57.

A. Abdulkadiroglu, T. Sonmez, "School choice: a mechanism design approach",
Amer. Econ. Rev. 93 (2003) 729-747.

T. Fleiner, "A fixed-point approach to stable matchings and some
applications", Math. Oper. Res. 28 (2003) 103-126.

J. W. Hatfield, P. R. Milgrom, "Matching with contracts", Amer. Econ. Rev.
95 (2005) 913-935.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, InputProblem
from ._base import Instance, IntArray, SolverOutput

__all__ = ["blocking_pairs", "need_keys", "solve", "volunteer_keys"]


# --------------------------------------------------------------------------- keys


def _dense_rank(*keys: NDArray[Any]) -> IntArray:
    """Dense ranks 0, 1, ... of the tuples ``(keys[0][e], keys[1][e], ...)``, lexicographic."""
    m = len(keys[0])
    if m == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort(keys[::-1])  # lexsort sorts by its last key first
    new = np.zeros(m, bool)
    new[0] = True
    for k in keys:
        ks = k[order]
        new[1:] |= ks[1:] != ks[:-1]
    rank = np.empty(m, np.int64)
    rank[order] = np.cumsum(new) - 1
    return rank


def volunteer_keys(pref_miss: ArrayLike, distance: ArrayLike, need: ArrayLike) -> IntArray:
    """How each volunteer ranks its needs: the ``vol_key`` matcher passes.

    Parameters
    ----------
    pref_miss : bool array, shape (m,)
        Whether the edge's need is outside the volunteer's preferred categories.
    distance : float array, shape (m,)
        The edge's distance (km).
    need : int array, shape (m,)
        The edge's need.

    Returns
    -------
    int64 array, shape (m,)
        Dense ranks (0, 1, ...) of ``(pref_miss, distance, need)`` in
        lexicographic order, lower is better: a preferred category first,
        then the nearer need, ties by need index. Equal tuples get equal
        ranks; two edges of one volunteer never tie (each pair is one edge).

    Examples
    --------
    >>> volunteer_keys([False, True, False], [2.0, 0.5, 2.0], [4, 1, 0]).tolist()
    [1, 2, 0]
    """
    miss = np.asarray(pref_miss, dtype=bool)
    dist = np.asarray(distance, dtype=np.float64)
    j = np.asarray(need, dtype=np.int64)
    return _dense_rank(miss, dist, j)


def need_keys(cost: ArrayLike, volunteer: ArrayLike) -> IntArray:
    """How each need ranks its volunteers: the ``need_key`` matcher passes.

    Parameters
    ----------
    cost : int array, shape (m,)
        The edge's integer cost.
    volunteer : int array, shape (m,)
        The edge's volunteer.

    Returns
    -------
    int64 array, shape (m,)
        Dense ranks of ``(cost, volunteer)``, lower is better: the cheaper
        pair first, ties by volunteer index.

    Examples
    --------
    >>> need_keys([7, 3, 7], [2, 5, 0]).tolist()
    [2, 0, 1]
    """
    return _dense_rank(np.asarray(cost, dtype=np.int64), np.asarray(volunteer, dtype=np.int64))


def _keys(
    inst: Instance, vol_key: ArrayLike | None, need_key: ArrayLike | None
) -> tuple[IntArray, IntArray]:
    """The two key arrays, defaulted and checked for shape and type."""
    m = inst.n_edges
    problems = []
    out = []
    for name, key in (("vol_key", vol_key), ("need_key", need_key)):
        if key is None:
            # Without keys, both sides rank by the edge's cost (then index).
            other = inst.need if name == "vol_key" else inst.volunteer
            out.append(_dense_rank(inst.cost, other))
            continue
        a = np.asarray(key)
        if a.shape != (m,) or not (np.issubdtype(a.dtype, np.integer) or m == 0):
            problems.append(
                InputProblem(
                    "stable",
                    name,
                    f"an integer array of shape ({m},), one key per candidate pair",
                    f"{a.dtype} array of shape {a.shape}",
                    kind="option",
                )
            )
        out.append(a.astype(np.int64, copy=False))
    if problems:
        raise InputError(problems)
    return out[0], out[1]


def _ranks(inst: Instance, vol_key: IntArray, need_key: IntArray) -> tuple[IntArray, IntArray]:
    """Each edge's position in its volunteer's and in its need's order (global, 0..m-1).

    ``vrank`` sorts edges by ``(volunteer, -priority[need], vol_key, need)``;
    ``nrank`` by ``(need, need_key, volunteer)``. So within one volunteer (one
    need) a lower rank is a better edge, and the order is strict.
    """
    m = inst.n_edges
    v, j = inst.volunteer, inst.need
    vorder = np.lexsort((j, vol_key, -inst.priority[j], v))
    norder = np.lexsort((v, need_key, j))
    vrank = np.empty(m, np.int64)
    nrank = np.empty(m, np.int64)
    vrank[vorder] = np.arange(m, dtype=np.int64)
    nrank[norder] = np.arange(m, dtype=np.int64)
    return vrank, nrank


# --------------------------------------------------------------------------- solver


def solve(
    inst: Instance,
    *,
    vol_key: ArrayLike | None = None,
    need_key: ArrayLike | None = None,
    **options: Any,
) -> SolverOutput:
    """Return the volunteer-optimal stable plan of *inst* (deferred acceptance).

    Parameters
    ----------
    inst : Instance
        The residual instance (pinned edges already fixed). ``cost``,
        ``unserved_cost`` and ``load_step`` are not read.
    vol_key : int array, shape (m,), optional
        How each volunteer ranks its edges after urgency, lower is better
        (:func:`volunteer_keys`). Default: ``inst.rank`` if set, else the
        edge's cost, then the need index.
    need_key : int array, shape (m,), optional
        How each need ranks its edges, lower is better (:func:`need_keys`).
        Default: the edge's cost, then the volunteer index.
    **options
        Ignored (the registry checks option names).

    Returns
    -------
    SolverOutput
        ``chosen``: the plan's edges, sorted; ``optimal`` False; ``info``:
        ``proposals`` and ``rejections`` made.

    Raises
    ------
    InputError
        A key is not an integer array with one entry per edge.

    Notes
    -----
    The model, the definition of stability and the algorithm are in the
    module docstring. ``blocking_pairs(inst, out.chosen, vol_key, need_key)``
    is always empty. The plan depends only on the set of pairs and their
    keys, not on the order of the edges.

    Examples
    --------
    Two volunteers who both like need 0 best; need 0 prefers volunteer 1:

    >>> import numpy as np
    >>> from matcher.solvers._base import Instance
    >>> one = np.ones(2, np.int64)
    >>> inst = Instance(2, 2, np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]),
    ...                 np.zeros(4, np.int64), one, one, one, None, 0,
    ...                 np.zeros(2, np.int64), np.zeros(2, np.int64))
    >>> out = solve(inst, vol_key=np.array([0, 1, 0, 1]), need_key=np.array([1, 0, 0, 0]))
    >>> inst.volunteer[out.chosen].tolist(), inst.need[out.chosen].tolist()
    ([0, 1], [1, 0])
    """
    if vol_key is None and inst.rank is not None:
        vol_key = inst.rank
    vk, nk = _keys(inst, vol_key, need_key)
    chosen, proposals, rejections = _deferred_acceptance(inst, *_ranks(inst, vk, nk))
    return SolverOutput(
        chosen=chosen,
        optimal=False,
        info={"proposals": proposals, "rejections": rejections},
    )


def _deferred_acceptance(
    inst: Instance, vrank: IntArray, nrank: IntArray
) -> tuple[IntArray, int, int]:
    """Run volunteer-proposing DA; return the held edges (sorted) and the counts."""
    m, nv, nn = inst.n_edges, inst.n_volunteers, inst.n_needs
    if m == 0:
        return np.zeros(0, np.int64), 0, 0
    v, j = inst.volunteer, inst.need
    by_pref = np.empty(m, np.int64)
    by_pref[vrank] = np.arange(m, dtype=np.int64)  # edges by volunteer, best first

    # -- slot groups: the next edge of the same (volunteer, slot), in v's order
    slot = np.full(m, -1, np.int64) if inst.slot is None else inst.slot[j]
    nxt = np.full(m, -1, np.int64)
    head = slot < 0  # slotless edges are always heads
    grouped = by_pref[slot[by_pref] >= 0]
    if len(grouped):
        grouped = grouped[np.lexsort((vrank[grouped], slot[grouped], v[grouped]))]
        same = (v[grouped][1:] == v[grouped][:-1]) & (slot[grouped][1:] == slot[grouped][:-1])
        nxt[grouped[:-1][same]] = grouped[1:][same]
        head[grouped[np.r_[True, ~same]]] = True

    # -- first offers: each volunteer's capacity[v] best heads; the others wait
    heads = by_pref[head[by_pref]]
    bounds = np.searchsorted(v[heads], np.arange(nv + 1)).tolist()
    cap = np.maximum(inst.capacity, 0).tolist()
    vrank_l = vrank.tolist()
    queue: deque[int] = deque()
    waiting: list[list[int]] = []  # per volunteer, a heap of ranks of heads not offered
    for a in range(nv):
        mine = heads[bounds[a] : bounds[a + 1]].tolist()
        k = min(cap[a], len(mine))
        queue.extend(mine[:k])
        waiting.append([vrank_l[e] for e in mine[k:]])  # sorted, so already a heap

    # -- deferred acceptance: a need holds its demand[j] best offers
    vol, need = v.tolist(), j.tolist()
    nxt_l, by_pref_l = nxt.tolist(), by_pref.tolist()
    key_l = (-nrank).tolist()  # max-heap of held offers: the worst on top
    demand = inst.demand.tolist()
    held: list[list[tuple[int, int]]] = [[] for _ in range(nn)]
    proposals = rejections = 0
    while queue:
        e = queue.popleft()
        proposals += 1
        b = need[e]
        h = held[b]
        if len(h) < demand[b]:
            heapq.heappush(h, (key_l[e], e))
            continue
        if h and key_l[e] > h[0][0]:
            out = heapq.heapreplace(h, (key_l[e], e))[1]
        else:
            out = e
        rejections += 1
        # The rejected edge's slot moves on to its next edge; v offers its best waiting head.
        a, w = vol[out], waiting[vol[out]]
        if nxt_l[out] >= 0:
            heapq.heappush(w, vrank_l[nxt_l[out]])
        if w:
            queue.append(by_pref_l[heapq.heappop(w)])
    chosen = np.sort(np.array([e for h in held for _, e in h], dtype=np.int64))
    return chosen, proposals, rejections


# --------------------------------------------------------------------------- blocking pairs


def _better_held(group: IntArray, rank: IntArray, inplan: NDArray[np.bool_]) -> IntArray:
    """For each edge, how many edges of the plan in its group rank strictly better."""
    order = np.empty(len(rank), np.int64)
    order[rank] = np.arange(len(rank), dtype=np.int64)  # by group, best first
    held = inplan[order].astype(np.int64)
    before = np.cumsum(held) - held
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    base = before[start][np.cumsum(start) - 1]
    out = np.empty(len(rank), np.int64)
    out[order] = before - base
    return out


def blocking_pairs(
    inst: Instance,
    chosen: ArrayLike,
    vol_key: ArrayLike | None = None,
    need_key: ArrayLike | None = None,
) -> IntArray:
    """The edges that block a feasible plan of *inst*, under the model of :func:`solve`.

    Parameters
    ----------
    inst : Instance
    chosen : int array
        Edge indices of a feasible plan (capacities, demands, slot rule).
    vol_key, need_key : int arrays, shape (m,), optional
        As in :func:`solve` (same defaults).

    Returns
    -------
    int64 array
        Sorted indices of the edges ``e = (v, j)`` not in the plan that both
        ``v`` and ``j`` would take (definition in the module docstring).
        Empty if and only if the plan is stable.

    Raises
    ------
    InputError
        A key is not an integer array with one entry per edge.

    Notes
    -----
    Vectorised, ``O(m log m)``. For a plan that is not feasible the answer
    is not specified.

    Examples
    --------
    >>> import numpy as np
    >>> from matcher.solvers._base import Instance
    >>> one = np.ones(2, np.int64)
    >>> inst = Instance(2, 2, np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]),
    ...                 np.zeros(4, np.int64), one, one, one, None, 0,
    ...                 np.zeros(2, np.int64), np.zeros(2, np.int64))
    >>> vk, nk = np.array([0, 1, 0, 1]), np.array([1, 0, 0, 0])
    >>> blocking_pairs(inst, [0, 3], vk, nk).tolist()  # volunteer 1 and need 0
    [2]
    >>> blocking_pairs(inst, solve(inst, vol_key=vk, need_key=nk).chosen, vk, nk).tolist()
    []
    """
    if vol_key is None and inst.rank is not None:
        vol_key = inst.rank
    vk, nk = _keys(inst, vol_key, need_key)
    m = inst.n_edges
    if m == 0:
        return np.zeros(0, np.int64)
    vrank, nrank = _ranks(inst, vk, nk)
    v, j = inst.volunteer, inst.need
    inplan = np.zeros(m, bool)
    inplan[np.asarray(chosen, dtype=np.int64)] = True

    # -- v would take e: fewer than capacity[v] held edges rank above it, and its slot is
    #    free or held by a worse edge (greedy choice over the matroid of v's plans)
    wants_v = _better_held(v, vrank, inplan) < inst.capacity[v]
    if inst.slot is not None:
        s = inst.slot[j]
        slotted = s >= 0
        if slotted.any():
            cell = np.unique(v[slotted] * (int(s.max()) + 1) + s[slotted], return_inverse=True)[1]
            best = np.full(int(cell.max()) + 1, m, np.int64)
            held = inplan[slotted]
            np.minimum.at(best, cell[held], vrank[slotted][held])
            free = np.ones(m, bool)
            free[slotted] = best[cell] > vrank[slotted]
            wants_v &= free

    # -- j would take e: fewer than demand[j] held edges rank above it
    wants_j = _better_held(j, nrank, inplan) < inst.demand[j]
    return np.nonzero(~inplan & wants_v & wants_j)[0].astype(np.int64)
