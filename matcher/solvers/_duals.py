"""Optimality certificates: node potentials of the plan's flow network.

Whatever method found a plan, its optimality can be proven the same way. Take
the *certificate network* of the instance (below), put the plan on it as a
flow, and compute node potentials ``pi`` such that every arc with room left
in its residual direction has a non-negative reduced cost::

    cost(u -> w) + pi[u] - pi[w] >= 0        for every residual arc u -> w

By the complementary-slackness theorem of min-cost flow, such potentials
exist exactly when the plan is optimal, and anyone holding them can check the
plan's optimality in one pass over the arcs, without solving anything
(:mod:`matcher.verify` does). The potentials are shortest-path distances in
the residual graph from a virtual root joined to every node at cost 0,
computed by Bellman-Ford (queue-free, vectorised: each round relaxes only the
arcs leaving the nodes whose distance changed in the round before).

The certificate network
-----------------------
Nodes: the source ``s``; one per volunteer; one per need; with the
one-need-per-slot rule, one per (volunteer, slot) pair that has a candidate
need in that slot. Arcs, with their cost:

- ``s -> v``: ``capacity(v)`` unit arcs, the k-th (k = 1, 2, ...) costing
  ``(k - 1) * load_step`` (convex: a volunteer's load fills them in order);
- ``v -> (v, t)``: capacity 1, cost 0 (one need per volunteer per slot);
- ``v -> j`` or ``(v, t) -> j`` for each candidate pair: capacity 1, its
  integer cost; a pinned pair has lower bound 1 too (no condition on it);
- ``s -> j``: capacity ``demand(j)``, cost ``U_j`` per unit left unserved;
- supply ``sum(demand)`` at ``s``, ``-demand(j)`` at need ``j``.

``U_j = unmatched cost x priority`` in resolution units when the policy sets
``unmatched_cost``; otherwise ``U_j = B * priority(j)`` with ``B`` (the
certificate's ``big_m``) larger than any difference in cost between two
plans, so that a min-cost flow is exactly a plan that serves the most
priority and, among those, costs least. Because the load arcs are convex, only
their marginal arcs matter: with load ``L`` and capacity ``C``, the residual
arcs are ``s -> v`` at cost ``L * load_step`` (if ``L < C``) and ``v -> s`` at
``-(L - 1) * load_step`` (if ``L > 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from ..errors import SolverError
from ._base import Instance, unit_cost

__all__ = [
    "UNKNOWN",
    "NotProven",
    "Potentials",
    "WarmStart",
    "certificate_big_m",
    "cost_spread",
    "potentials",
    "unsettled",
]


class NotProven(SolverError):
    """The sweep budget ran out before the potentials settled: no proof (yet)."""


IntArray = NDArray[np.int64]

# Potentials are sums of arc costs along simple paths: keep every such sum exact.
_SAFE = 1 << 62


UNKNOWN = 1 << 60
"""A warm start's value for a node it knows nothing of (a new volunteer or need)."""


@dataclass(frozen=True, eq=False)
class WarmStart:
    """Potentials to start from: those of an earlier, similar instance.

    Any start gives correct potentials (Bellman-Ford from any values ends at
    potentials that satisfy every arc, if the plan is optimal); a start close to
    the answer ends after few, local sweeps. Nodes the start does not know hold
    :data:`UNKNOWN`.

    Attributes
    ----------
    volunteer : int64 array, shape (n_volunteers,)
    need : int64 array, shape (n_needs,)
    slot : int64 array, shape (n_volunteers * width,), or None
        Potential of the (volunteer, slot) node at ``volunteer * width + slot``,
        ``width`` being ``slot.max() + 1`` of the instance's need slots.
    """

    volunteer: IntArray
    need: IntArray
    slot: IntArray | None = None


@dataclass(frozen=True, eq=False)
class Potentials:
    """Node potentials of the certificate network, by node kind.

    Attributes
    ----------
    big_m : int or None
        ``B`` of the lexicographic objective (None with a finite unmatched cost).
    source : int
        Potential of the source (0: potentials are shifted so).
    volunteer : int64 array, shape (n_volunteers,)
    need : int64 array, shape (n_needs,)
    slot_volunteer, slot, slot_node : int64 arrays
        The (volunteer, slot) nodes and their potentials (empty without the slot rule).
    """

    big_m: int | None
    source: int
    volunteer: IntArray
    need: IntArray
    slot_volunteer: IntArray
    slot: IntArray
    slot_node: IntArray
    engage: int = 0


def certificate_big_m(inst: Instance) -> int:
    """``B`` for the certificate: a power of two above twice a bound on any plan-cost difference.

    Any ``B`` above the bound (:func:`cost_spread`) proves the same plans; a
    round one with room to spare stays valid when the instance changes a
    little, so a re-plan keeps the previous certificate's ``B`` and starts from
    its potentials (:mod:`._replan`, :mod:`.live`).
    """
    return 1 << (cost_spread(inst).bit_length() + 1)


def cost_spread(inst: Instance) -> int:
    """A bound on the difference in cost of any two plans of *inst* (``B`` must exceed it).

    Each need ``j`` takes at most ``min(demand, candidates)`` pairs, each
    costing between the cheapest and the dearest pair into ``j`` (and 0 bounds
    them from the other side); each volunteer's load penalty is between 0 and
    its value at ``min(capacity, candidates)``; with participation, each
    volunteer who could be engaged swings the cost by ``engage``.
    """
    deg_v = np.bincount(inst.volunteer, minlength=inst.n_volunteers)
    deg_n = np.bincount(inst.need, minlength=inst.n_needs)
    hi = np.zeros(inst.n_needs, np.int64)
    lo = np.zeros(inst.n_needs, np.int64)
    np.maximum.at(hi, inst.need, inst.cost)
    np.minimum.at(lo, inst.need, inst.cost)
    spread = int(need_spread(inst.demand, deg_n, hi, lo).sum())
    spread += int(volunteer_spread(inst.capacity, deg_v, inst.load_step).sum())
    if inst.engage:  # participation: each volunteer engaged or not swings by engage
        spread += inst.engage * int(((deg_v > 0) & (inst.capacity > 0)).sum())
    return spread


def need_spread(demand: IntArray, degree: IntArray, hi: IntArray, lo: IntArray) -> IntArray:
    """Each need's part of :func:`cost_spread`: its units at most, times its pairs' cost range.

    *hi* / *lo*: the dearest / cheapest pair into the need, bounded by 0 from the other side.
    """
    return np.minimum(np.maximum(demand, 0), degree) * (hi - lo)


def volunteer_spread(capacity: IntArray, degree: IntArray, load_step: int) -> IntArray:
    """Each volunteer's part of :func:`cost_spread`: its load penalty at its fullest."""
    k = np.minimum(np.maximum(capacity, 0), degree)
    return load_step * (k * (k - 1) // 2)


def certificate_engage(inst: Instance) -> int:
    """``engage`` for a certificate under the participation objective.

    A power of two above the cost-spread bound of :func:`certificate_big_m`
    without participation: one more volunteer engaged outweighs any cost
    difference. ``big_m`` is then computed with it.
    """
    return certificate_big_m(replace(inst, engage=0))


class _Net(NamedTuple):
    """The residual certificate network of a plan, as arc arrays."""

    n_nodes: int
    tail: IntArray
    head: IntArray
    cost: IntArray
    kinds: list[tuple[int, int]]
    n_free: int  # the first n_free arcs are the unused pair arcs
    vol_node: IntArray
    need_node: IntArray
    slot_volunteer: IntArray
    slot: IntArray
    slot_keys: IntArray  # volunteer * width + slot of each slot node


def _network(
    inst: Instance, chosen: IntArray, pinned: NDArray[np.bool_], big_m: int | None
) -> _Net:
    """The residual arcs of the certificate network (module notes) under the plan *chosen*."""
    nv, nn, m = inst.n_volunteers, inst.n_needs, inst.n_edges
    v, j = inst.volunteer, inst.need
    used = np.zeros(m, bool)
    used[chosen] = True
    load = np.bincount(v[chosen], minlength=nv)
    served = np.bincount(j[chosen], minlength=nn)
    vol_node = 1 + np.arange(nv, dtype=np.int64)
    need_node = 1 + nv + np.arange(nn, dtype=np.int64)
    n_nodes = 1 + nv + nn

    # -- (volunteer, slot) nodes
    pair_tail = vol_node[v]
    sv = st = slot_keys = np.zeros(0, np.int64)
    slot_arcs: list[tuple[IntArray, IntArray, IntArray]] = []
    if inst.slot is not None and m:
        width, slotted, key, keys = slot_node_keys(inst)
        node_of_key = np.full(nv * width, -1, np.int64)
        node_of_key[keys] = n_nodes + np.arange(len(keys), dtype=np.int64)
        edge_node = np.full(m, -1, np.int64)
        edge_node[slotted] = node_of_key[key]
        pair_tail = np.where(edge_node >= 0, edge_node, pair_tail)
        sv, st = keys // width, keys % width
        slot_keys = keys
        slot_nodes = node_of_key[keys]
        n_nodes += len(slot_nodes)
        busy = np.zeros(n_nodes, np.int64)
        np.add.at(busy, edge_node[used & (edge_node >= 0)], 1)
        full = busy[slot_nodes] > 0
        z = np.zeros(len(slot_nodes), np.int64)
        slot_arcs.append((vol_node[sv][~full], slot_nodes[~full], z[~full]))
        slot_arcs.append((slot_nodes[full], vol_node[sv][full], z[full]))

    unserved = unserved_costs(inst, big_m)

    free = np.flatnonzero(~used & ~pinned)
    back = np.flatnonzero(used & ~pinned)
    cap = np.maximum(inst.capacity, 0)
    up = load < cap
    down = load > 0
    dem = np.maximum(inst.demand, 0)
    missing = dem - served
    tails = [
        pair_tail[free],
        j[back] + (1 + nv),
        np.zeros(int(up.sum()), np.int64),
        vol_node[down],
        np.zeros(int((served > 0).sum()), np.int64),
        need_node[missing > 0],
    ]
    heads = [
        j[free] + (1 + nv),
        pair_tail[back],
        vol_node[up],
        np.zeros(int(down.sum()), np.int64),
        need_node[served > 0],
        np.zeros(int((missing > 0).sum()), np.int64),
    ]
    costs = [
        inst.cost[free],
        -inst.cost[back],
        unit_cost(inst, vol_node[up] - 1, load[up]),
        -unit_cost(inst, vol_node[down] - 1, load[down] - 1),
        unserved[served > 0],
        -unserved[missing > 0],
    ]
    for t, h, c in slot_arcs:
        tails.append(t)
        heads.append(h)
        costs.append(c)
    tail = np.concatenate(tails).astype(np.int64, copy=False)
    head = np.concatenate(heads).astype(np.int64, copy=False)
    cost = np.concatenate(costs).astype(np.int64, copy=False)
    # sum(|cost|) bounds every simple path; in float (an int64 sum could wrap).
    if float(np.abs(cost).sum(dtype=np.float64)) >= _SAFE:
        raise OverflowError("potentials may exceed the exact 64-bit range")
    # Node kinds in the order a sweep relaxes them: a path source -> volunteer
    # -> slot -> need advances several arcs per sweep.
    kinds = [(0, 1), (1, 1 + nv), (1 + nv + nn, n_nodes), (1 + nv, 1 + nv + nn)]
    return _Net(n_nodes, tail, head, cost, kinds, len(free), vol_node, need_node, sv, st, slot_keys)


def potentials(
    inst: Instance,
    chosen: IntArray,
    pinned: NDArray[np.bool_],
    big_m: int | None,
    *,
    max_sweeps: int | None = None,
    start: WarmStart | None = None,
) -> Potentials:
    """Potentials proving that the plan *chosen* of *inst* is optimal.

    Parameters
    ----------
    inst : Instance
        The whole instance: all candidate edges (pinned ones included), the
        users' unserved costs, ``load_start`` zero.
    chosen : int64 array
        Indices of the plan's edges.
    pinned : bool array
        Edges that must be in the plan.
    big_m : int or None
        ``B`` (see the module notes) under the lexicographic objective, from
        :func:`certificate_big_m`; None to use ``inst.unserved_cost``.
    max_sweeps : int, optional
        Give up (:class:`NotProven`) after this many Bellman-Ford sweeps in all;
        without it, a plan that is not optimal is found out after ``n`` sweeps.
    start : WarmStart, optional
        Start from these potentials (a re-plan's previous certificate) instead
        of zero: the search then only repairs where they fail.

    Raises
    ------
    NotProven
        The budget *max_sweeps* ran out (the plan may not be optimal).
    SolverError
        If the plan is not optimal (the residual network has a negative cycle):
        a solver bug, never an input problem.
    """
    net = _network(inst, chosen, pinned, big_m)
    dist0 = None if start is None else _start(net, start)
    dist = _potentials(
        net.n_nodes, net.tail, net.head, net.cost, net.kinds, net.n_free, max_sweeps, dist0
    )
    if start is not None:
        _settle_unknown(dist, net.tail, net.head, net.cost)
    dist -= dist[0]
    first_slot = 1 + inst.n_volunteers + inst.n_needs
    return Potentials(
        big_m=big_m,
        source=0,
        volunteer=dist[net.vol_node],
        need=dist[net.need_node],
        slot_volunteer=net.slot_volunteer,
        slot=net.slot,
        slot_node=dist[first_slot:],
        engage=inst.engage,
    )


def _start(net: _Net, start: WarmStart) -> IntArray:
    """The warm start as one value per node of *net* (the source at 0)."""
    dist0 = np.zeros(net.n_nodes, np.int64)
    dist0[net.vol_node] = start.volunteer
    dist0[net.need_node] = start.need
    first_slot = 1 + len(net.vol_node) + len(net.need_node)
    if len(net.slot_keys):
        dist0[first_slot:] = UNKNOWN if start.slot is None else start.slot[net.slot_keys]
    return dist0


def unsettled(
    inst: Instance, chosen: IntArray, pinned: NDArray[np.bool_], big_m: int | None, start: WarmStart
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Volunteers and needs at an end of an arc the warm start does not satisfy.

    Where the start's potentials fail the plan *chosen* (records new since,
    changed, or whose pairs changed), a re-plan has work to do; elsewhere the
    start already proves the plan locally.
    """
    net = _network(inst, chosen, pinned, big_m)
    nodes = failing_nodes(net, _start(net, start))
    nv, nn = len(net.vol_node), len(net.need_node)
    vols = nodes[1 : 1 + nv].copy()
    vols[net.slot_volunteer[nodes[1 + nv + nn :]]] = True
    return vols, nodes[1 + nv : 1 + nv + nn].copy()


def failing_nodes(
    net: _Net, dist0: IntArray, flagged: NDArray[np.bool_] | None = None
) -> NDArray[np.bool_]:
    """Nodes of *net* at an end of an arc the start *dist0* fails, or unknown to it.

    With *flagged*, only arcs with an end at a flagged node count.
    """
    known = dist0 < UNKNOWN // 2
    # An arc into a node the start does not know fails trivially: the node, not
    # the arc's tail, is what is new.
    bad = (dist0[net.tail] + net.cost < dist0[net.head]) & known[net.head] & known[net.tail]
    if flagged is not None:
        bad &= flagged[net.tail] | flagged[net.head]
    nodes = np.zeros(net.n_nodes, bool)
    nodes[net.tail[bad]] = True
    nodes[net.head[bad]] = True
    nodes |= ~known
    return nodes


def unserved_costs(inst: Instance, big_m: int | None) -> IntArray:
    """The cost of each need's unserved unit in the certificate network."""
    if big_m is None:
        return np.asarray(inst.unserved_cost, np.int64)
    return big_m * np.asarray(inst.priority, np.int64)


def slot_node_keys(inst: Instance) -> tuple[int, NDArray[np.bool_], IntArray, IntArray]:
    """The (volunteer, slot) nodes of *inst* (which needs the slot rule).

    Returns the key width, which edges are slotted, each slotted edge's key
    ``volunteer * width + slot`` and the distinct keys in (volunteer, slot) order.
    """
    assert inst.slot is not None
    s = inst.slot[inst.need]
    width = int(inst.slot.max()) + 1
    # (volunteer, slot) keys are dense (volunteers x slots): a table, not a sort.
    slotted = s >= 0
    key = inst.volunteer[slotted] * width + s[slotted]
    present = np.zeros(inst.n_volunteers * width, bool)
    present[key] = True
    return width, slotted, key, np.flatnonzero(present)


def _potentials(
    n: int,
    tail: IntArray,
    head: IntArray,
    cost: IntArray,
    kinds: list[tuple[int, int]],
    n_free: int,
    max_sweeps: int | None = None,
    start: IntArray | None = None,
) -> IntArray:
    """Shortest distances from a virtual root joined to every node at cost 0.

    From *start* instead (values the search lowers until every arc holds:
    feasible potentials, not distances) when given.

    The first *n_free* arcs are the unused pair arcs: most of them are slack
    at the optimum. So distances are first computed on a sparse core (every
    other arc, and the cheapest free arc into each need); then every arc is checked in one vectorised pass, the violated ones
    join the core, and the search resumes from the distances so far (which
    stay upper bounds). This ends when no arc is violated, after a handful of
    passes; each search is a vectorised Bellman-Ford (:func:`_sweeps`).
    """
    m = len(tail)
    if n_free:
        # The cheapest free arc(s) into each need (pair arcs come sorted by need).
        fh, fc = head[:n_free], cost[:n_free]
        order = None if not np.any(fh[1:] < fh[:-1]) else np.argsort(fh, kind="stable")
        if order is not None:
            fh, fc = fh[order], fc[order]
        starts = np.r_[0, np.flatnonzero(fh[1:] != fh[:-1]) + 1]
        low = np.repeat(np.minimum.reduceat(fc, starts), np.diff(np.r_[starts, n_free]))
        cheap = np.flatnonzero(fc == low)
        cheap = cheap if order is None else order[cheap]
        core = np.r_[cheap, np.arange(n_free, m)]
    else:
        core = np.arange(m)
    dist = np.zeros(n, np.int64) if start is None else start.copy()
    dirty = np.ones(n, bool)
    budget = [max_sweeps if max_sweeps is not None else -1]  # shared by every search
    while True:
        indptr, arcs = _group_by(tail[core], n)
        arcs = core[arcs]
        _sweeps(dist, dirty, indptr, head[arcs], cost[arcs], kinds, budget)
        violated = np.flatnonzero(dist[tail] + cost < dist[head])
        if not len(violated):
            return dist
        core = np.r_[core, violated]
        dirty[tail[violated]] = True


def _settle_unknown(dist: IntArray, tail: IntArray, head: IntArray, cost: IntArray) -> None:
    """Give a value to the nodes a warm start left unknown (no arc leads into them).

    Such a node only constrains itself through the arcs leaving it
    (``dist[node] >= dist[head] - cost``): take the least value that holds them, or 0.
    """
    unknown = dist >= UNKNOWN // 2
    if not unknown.any():
        return
    out = unknown[tail]
    low = np.full(len(dist), np.iinfo(np.int64).min, np.int64)
    np.maximum.at(low, tail[out], dist[head[out]] - cost[out])
    dist[unknown] = np.where(low[unknown] == np.iinfo(np.int64).min, 0, low[unknown])


def _group_by(keys: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Counting sort: ``order`` with ``keys[order]`` grouped, and the group bounds.

    O(len(keys) + n) through scipy's COO -> CSR conversion (C); the order
    within a group is that of *keys*, so the result is deterministic.
    """
    k = len(keys)
    grouped = sparse.coo_array(
        (np.ones(k, np.int8), (keys, np.arange(k, dtype=np.int64))), shape=(n, max(k, 1))
    ).tocsr()
    return grouped.indptr.astype(np.int64, copy=False), grouped.indices.astype(np.int64, copy=False)


def _sweeps(
    dist: IntArray,
    dirty: NDArray[np.bool_],
    indptr: IntArray,
    head: IntArray,
    cost: IntArray,
    kinds: list[tuple[int, int]],
    budget: list[int] | None = None,
) -> None:
    """Bellman-Ford from *dist* (in place) over the CSR arcs, dirty nodes first.

    A sweep takes each node kind in turn and relaxes the arcs leaving its
    dirty nodes (those whose distance dropped since they were last
    relaxed); improved heads become dirty. Without a negative cycle it ends
    within ``n`` sweeps.

    Raises
    ------
    SolverError
        After ``n + 1`` sweeps that still improve: a negative cycle.
    """
    n = len(dist)
    for _ in range(n + 2):
        if budget is not None and budget[0] >= 0:
            if budget[0] == 0:
                raise NotProven("the sweep budget ran out before the potentials settled")
            budget[0] -= 1
        progress = False
        for lo_k, hi_k in kinds:
            nodes = np.flatnonzero(dirty[lo_k:hi_k]) + lo_k
            if not len(nodes):
                continue
            progress = True
            dirty[nodes] = False
            lo = indptr[nodes]
            counts = indptr[nodes + 1] - lo
            total = int(counts.sum())
            if not total:
                continue
            arcs = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
            tails = np.repeat(nodes, counts)
            cand = dist[tails] + cost[arcs]
            h = head[arcs]
            better = cand < dist[h]
            h, cand = h[better], cand[better]
            np.minimum.at(dist, h, cand)
            dirty[h] = True
        if not progress:
            return
    if budget is not None and budget[0] >= 0:
        raise NotProven("the plan is not optimal for the safe weight (a negative cycle)")
    raise SolverError("the plan is not optimal: its residual network has a negative cycle")
