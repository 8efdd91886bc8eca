"""Re-planning from a previous optimal plan: solve again only the parts that changed.

The candidate graph falls into independent parts (connected components: in a
city with ``same_community``, one or a few per community). When needs arrive
or leave, or volunteers change, in some parts only, the other parts keep their
plan, and the previous certificate's potentials still prove it there. A
re-plan (:func:`replan`):

1. starts from the previous plan's pairs that are still possible, trimmed to
   the new capacities, demands and slots (pinned pairs first, then the
   cheapest), and from the previous potentials (:class:`~._duals.WarmStart`;
   the previous certificate's weight ``B`` is kept when it still bounds the
   cost spread, which its power-of-two rounding makes likely);
2. finds where they fail -- volunteers and needs at an end of a residual arc
   with a negative reduced cost, and every record the start does not know
   (:func:`~._duals.unsettled`) -- and takes the parts that hold them;
3. solves those parts exactly (as any solve) and computes their potentials;
4. checks every arc of the whole network under the combined potentials in one
   pass (:func:`~._duals.potentials` from them, which also settles records
   with no pair at all). That is the certificate of the whole plan.

When the caller knows where the instance changed since the previous proof
(:class:`Near`: a :class:`~matcher.Planner` does), steps 2 and 4 look only
there: every arc with no end at a changed node is the arc the previous
certificate proved, between nodes whose potentials are the previous ones,
so it still holds; the arcs at changed nodes are checked in step 2 under the
start (where they fail, their parts are solved again and proven whole in
step 3). The outcome is the same as with the whole pass, for a fraction of
the work.

So the answer is always exactly optimal and proven. When the changed parts
hold more than :data:`MAX_SHARE` of the pairs (changes spread over one
connected city), the caller solves from scratch instead: OR-Tools' cost
scaling cannot start from a previous flow, so a warm start pays only where
whole parts can be kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from ._base import Instance, evaluate
from ._duals import (
    UNKNOWN,
    NotProven,
    Potentials,
    WarmStart,
    _network,
    _start,
    certificate_big_m,
    failing_nodes,
    potentials,
    slot_node_keys,
    unserved_costs,
    unsettled,
)
from ._split import cut

__all__ = ["MAX_SHARE", "SETTLE", "Near", "replan", "start_plan"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

MAX_SHARE = 0.5
"""Solve from scratch when the parts to re-solve hold more than this share of the pairs."""

SETTLE = 200
"""Bellman-Ford sweeps allowed to the final check (it needs a handful)."""


class Near(NamedTuple):
    """Where an instance changed since the plan its warm start proved.

    Every arc of the certificate network (:mod:`._duals`) with no end at a
    node flagged here must be the arc of the previous proof (same ends, same
    cost, same residual direction under the previous plan) between nodes
    whose warm start is the previous proof's potentials. Then a re-plan
    checks and proves only around the flagged nodes (see the module notes).
    """

    volunteers: BoolArray  # new or changed, or an edge of theirs is new, gone or re-costed
    needs: BoolArray  # likewise
    previous: BoolArray  # edges of the previously proven plan (between unchanged records)
    big_m: int | None  # the weight of that proof


def start_plan(inst: Instance, pinned: BoolArray, previous: BoolArray) -> BoolArray:
    """The previous plan's edges that still fit *inst*, with the pinned ones.

    Pinned edges first, then the previous edges by cost (then index); an edge
    is kept while its volunteer has capacity, its need demand and, with the
    slot rule, its volunteer's slot is free (:func:`_start_plan_loop` is that
    rule written as a loop). Vectorised: an edge within its volunteer's
    capacity, its need's demand and its slot counting *every* earlier
    candidate is kept whatever the loop does before it (it keeps no more than
    that); only the others -- few, where the plan no longer fits -- go
    through the loop, which counts the certain edges before them.
    """
    cand = np.flatnonzero(previous | pinned)
    keep = np.zeros(inst.n_edges, bool)
    if not len(cand):
        return keep
    order = cand[np.lexsort((cand, inst.cost[cand], ~pinned[cand]))]
    a, b = inst.volunteer[order], inst.need[order]
    keys = [(a, inst.capacity[a]), (b, inst.demand[b])]
    if inst.slot is not None:
        s = inst.slot[b]
        timed = s >= 0
        width = int(inst.slot.max()) + 1
        # untimed needs get keys of their own, so they never meet
        slot_key = np.where(timed, a * width + s, -1 - np.arange(len(order)))
        keys.append((slot_key, np.ones(len(order), np.int64)))
    everyone = np.ones(len(order), bool)
    sure = everyone.copy()
    for key, limit in keys:
        sure &= _count_before(key, everyone) < limit
    keep[order[sure]] = True
    rest = np.flatnonzero(~sure)
    if not len(rest):
        return keep
    # For each leftover edge: certain edges before it with its volunteer / need / slot.
    before = [_count_before(key, sure)[rest] for key, _ in keys]
    limits = [limit[rest] for _, limit in keys]
    taken: list[dict[int, int]] = [{} for _ in keys]
    for r in range(len(rest)):
        ks = [int(key[rest[r]]) for key, _ in keys]
        if all(
            int(before[k][r]) + taken[k].get(ks[k], 0) < int(limits[k][r]) for k in range(len(keys))
        ):
            keep[order[rest[r]]] = True
            for k in range(len(keys)):
                taken[k][ks[k]] = taken[k].get(ks[k], 0) + 1
    return keep


def _count_before(key: IntArray, flag: BoolArray) -> IntArray:
    """For each position, how many earlier positions with the same key are flagged."""
    idx = np.argsort(key, kind="stable")
    sk, sf = key[idx], flag[idx].astype(np.int64)
    first = np.r_[0, np.flatnonzero(sk[1:] != sk[:-1]) + 1]
    csum = np.cumsum(sf) - sf  # flagged before, over the whole sorted array
    base = np.repeat(csum[first], np.diff(np.r_[first, len(sk)]))
    out = np.empty(len(key), np.int64)
    out[idx] = csum - base
    return out


def _start_plan_loop(inst: Instance, pinned: BoolArray, previous: BoolArray) -> BoolArray:
    """:func:`start_plan` as the plain loop it stands for (the tests compare them)."""
    cand = np.flatnonzero(previous | pinned)
    order = np.lexsort((cand, inst.cost[cand], ~pinned[cand]))
    room = inst.capacity.copy()
    want = inst.demand.copy()
    busy: set[tuple[int, int]] = set()
    keep = np.zeros(inst.n_edges, bool)
    slot = inst.slot
    v_of, n_of = inst.volunteer, inst.need
    for e in cand[order].tolist():
        a, b = int(v_of[e]), int(n_of[e])
        if room[a] <= 0 or want[b] <= 0:
            continue
        s = -1 if slot is None else int(slot[b])
        if s >= 0 and (a, s) in busy:
            continue
        keep[e] = True
        room[a] -= 1
        want[b] -= 1
        if s >= 0:
            busy.add((a, s))
    return keep


def replan(
    inst: Instance,
    pinned: BoolArray,
    previous: BoolArray,
    start: WarmStart,
    *,
    priority_first: bool,
    big_m_hint: int | None,
    method: str,
    options: dict[str, Any],
    near: Near | None = None,
    solve: Callable[..., Any],
) -> tuple[IntArray, Any, str, float, Any, float, int] | None:
    """Re-plan *inst* from the *previous* plan's edges and *start* potentials.

    With *near*, check and prove only around the nodes it flags (module notes).
    *solve* is :func:`~matcher.solvers.registry.solve_instance`, the one path every
    method goes through (passed in, so this module does not import the registry).

    Returns
    -------
    tuple or None
        ``(chosen, objective, method, backend_seconds, potentials,
        certify_seconds, parts re-solved)`` of a proven optimal plan; None
        when the parts to re-solve hold more than :data:`MAX_SHARE` of the
        pairs, or the potentials do not settle (solve from scratch then).
    """
    big_m = _weight(inst, priority_first, big_m_hint)
    t0 = time.perf_counter()
    plan = start_plan(inst, pinned, previous)
    try:
        bad_v, bad_n, local = _failing(inst, plan, pinned, big_m, start, near)
        redo = _parts_to_redo(inst, bad_v, bad_n)
        if redo.sum() > MAX_SHARE * inst.n_edges:
            return None
        edges = np.flatnonzero(redo)
        certify = time.perf_counter() - t0
        backend = 0.0
        vol_pot, need_pot, slot_pot = start.volunteer.copy(), start.need.copy(), start.slot
        chosen = np.flatnonzero(plan & ~redo)
        method_ran = method
        if len(edges):
            chosen, slot_pot, method_ran, backend, certify_part = _resolve(
                inst,
                pinned,
                edges,
                chosen,
                big_m,
                vol_pot,
                need_pot,
                slot_pot,
                priority_first=priority_first,
                method=method,
                options=options,
                solve=solve,
            )
            certify += certify_part
        t0 = time.perf_counter()
        proof = _proof(inst, chosen, pinned, big_m, vol_pot, need_pot, slot_pot, local)
    except OverflowError:
        # Beyond exact 64-bit potentials (a previous weight read from a file may be
        # anything up to 2**62): the start is no use; solve from scratch.
        return None
    if proof is None:
        return None
    certify += time.perf_counter() - t0
    objective = evaluate(inst, chosen, None if priority_first else inst.unserved_cost)
    return chosen, objective, method_ran, backend, proof, certify, 1


def _weight(inst: Instance, priority_first: bool, big_m_hint: int | None) -> int | None:
    """The coverage-first weight of the certificate (None without that objective)."""
    big_m = None
    if priority_first:
        big_m = certificate_big_m(inst)
        if big_m_hint is not None and big_m_hint > big_m:
            big_m = big_m_hint  # the previous weight still proves, and its potentials fit
    return big_m


def _failing(
    inst: Instance,
    plan: BoolArray,
    pinned: BoolArray,
    big_m: int | None,
    start: WarmStart,
    near: Near | None,
) -> tuple[BoolArray, BoolArray, bool]:
    """The nodes where the start fails, and whether they were found around *near*'s alone."""
    if near is not None and near.big_m == big_m and not inst.engage:
        # the nodes whose arcs changed: flagged, or at an edge whose plan status changed
        moved = np.flatnonzero(plan ^ near.previous)
        sus_v, sus_n = near.volunteers.copy(), near.needs.copy()
        sus_v[inst.volunteer[moved]] = True
        sus_n[inst.need[moved]] = True
        found = _unsettled_near(inst, plan, pinned, big_m, start, sus_v, sus_n)
        if found is not None:
            return found[0], found[1], True
    bad_v, bad_n = unsettled(inst, np.flatnonzero(plan), pinned, big_m, start)
    return bad_v, bad_n, False


def _parts_to_redo(inst: Instance, bad_v: BoolArray, bad_n: BoolArray) -> BoolArray:
    """The edges of the parts (connected components) where the start fails: solved again."""
    nv = inst.n_volunteers
    _, label = connected_components(_adjacency(inst), directed=False)
    changed = np.zeros(len(label), bool)
    changed[label[np.r_[np.flatnonzero(bad_v), nv + np.flatnonzero(bad_n)]]] = True
    redo: BoolArray = changed[label[inst.volunteer]]
    return redo


def _resolve(
    inst: Instance,
    pinned: BoolArray,
    edges: IntArray,
    chosen: IntArray,
    big_m: int | None,
    vol_pot: IntArray,
    need_pot: IntArray,
    slot_pot: IntArray | None,
    *,
    priority_first: bool,
    method: str,
    options: dict[str, Any],
    solve: Callable[..., Any],
) -> tuple[IntArray, IntArray | None, str, float, float]:
    """Solve the parts of *edges* again: plan, slot potentials, method, solve and proof seconds."""
    sub, vols, needs = cut(inst, edges)
    t0 = time.perf_counter()
    solved = solve(
        sub,
        pinned[edges],
        priority_first=priority_first,
        method=method,
        certify=False,
        **options,
    )
    backend = time.perf_counter() - t0
    t0 = time.perf_counter()
    # The part's own potentials (source at 0), in place of the start's there.
    pot = potentials(sub, solved.chosen, pinned[edges], big_m)
    vol_pot[vols] = pot.volunteer
    need_pot[needs] = pot.need
    if slot_pot is not None and len(pot.slot_node):
        width = int(inst.slot.max()) + 1 if inst.slot is not None else 0
        slot_pot = slot_pot.copy()
        slot_pot[vols[pot.slot_volunteer] * width + pot.slot] = pot.slot_node
    chosen = np.sort(np.r_[chosen, edges[solved.chosen]])
    return chosen, slot_pot, solved.method, backend, time.perf_counter() - t0


def _proof(
    inst: Instance,
    chosen: IntArray,
    pinned: BoolArray,
    big_m: int | None,
    vol_pot: IntArray,
    need_pot: IntArray,
    slot_pot: IntArray | None,
    local: bool,
) -> Potentials | None:
    """The certificate of the whole plan from the joined potentials; None if they do not settle."""
    if local:
        # Proven part by part: the parts solved again by their own potentials, the
        # rest by the start, checked around every changed node above.
        return _joined(inst, big_m, vol_pot, need_pot, slot_pot)
    # Every part now holds its own proof; one pass checks them all together (and
    # settles the records with no pair at all).
    try:
        return potentials(
            inst,
            chosen,
            pinned,
            big_m,
            start=WarmStart(vol_pot, need_pot, slot_pot),
            max_sweeps=SETTLE,
        )
    except NotProven:
        return None


def _unsettled_near(
    inst: Instance,
    plan: BoolArray,
    pinned: BoolArray,
    big_m: int | None,
    start: WarmStart,
    sus_v: BoolArray,
    sus_n: BoolArray,
) -> tuple[BoolArray, BoolArray] | None:
    """:func:`~._duals.unsettled`, looking only at the arcs with an end at a flagged node.

    The network is built on the edges with a flagged end (every arc at a
    flagged node is there, as in the whole network: a flagged node's edges
    all come with it); arcs between two unflagged nodes, which may be
    incomplete there, are left out. None when a need with no pair at all
    fails its start (its arc to the source would move the source's
    potential, and with it every other: the whole pass is needed).
    """
    nv, nn = inst.n_volunteers, inst.n_needs
    lone = (np.bincount(inst.need, minlength=nn) == 0) & (np.maximum(inst.demand, 0) > 0)
    if bool((lone & (start.need < unserved_costs(inst, big_m))).any()):
        return None
    bad_v, bad_n = np.zeros(nv, bool), np.zeros(nn, bool)
    # records the start does not know are unsettled, as in the whole pass
    bad_v |= sus_v & (start.volunteer >= UNKNOWN // 2)
    bad_n |= sus_n & (start.need >= UNKNOWN // 2)
    edges = np.flatnonzero(sus_v[inst.volunteer] | sus_n[inst.need])
    if not len(edges):
        return bad_v, bad_n
    sub, vols, needs = cut(inst, edges)
    chosen = np.flatnonzero(plan[edges])
    net = _network(sub, chosen, pinned[edges], big_m)
    slot_start = None
    if sub.slot is not None and len(net.slot_keys):
        assert start.slot is not None and inst.slot is not None
        width = int(inst.slot.max()) + 1
        sub_width = int(sub.slot.max()) + 1
        slot_start = np.full(len(vols) * sub_width, UNKNOWN, np.int64)
        k = net.slot_keys
        slot_start[k] = start.slot[vols[k // sub_width] * width + k % sub_width]
    dist0 = _start(net, WarmStart(start.volunteer[vols], start.need[needs], slot_start))
    flagged = np.zeros(net.n_nodes, bool)
    flagged[net.vol_node] = sus_v[vols]
    flagged[net.need_node] = sus_n[needs]
    first_slot = 1 + len(vols) + len(needs)
    flagged[first_slot:] = sus_v[vols[net.slot_volunteer]]
    nodes = failing_nodes(net, dist0, flagged)
    bad_v[vols[nodes[net.vol_node]]] = True
    bad_n[needs[nodes[net.need_node]]] = True
    bad_v[vols[net.slot_volunteer[nodes[first_slot:]]]] = True
    return bad_v, bad_n


def _adjacency(inst: Instance) -> Any:
    """The bipartite graph of *inst* (volunteers, then needs) as a sparse matrix.

    With edges sorted by need (as a graph's are), the rows of the needs are
    read off directly (CSR, no sorting); otherwise built from coordinates.
    """
    nv, nn, m = inst.n_volunteers, inst.n_needs, inst.n_edges
    j = inst.need
    if m and bool(np.all(j[1:] >= j[:-1])) and nv + nn < 2**31 and m < 2**31:
        counts = np.bincount(j, minlength=nn)
        indptr = np.r_[np.zeros(nv + 1, np.int64), np.cumsum(counts)].astype(np.int32)
        data = np.ones(m, np.int8)
        return csr_matrix((data, inst.volunteer.astype(np.int32), indptr), shape=(nv + nn,) * 2)
    return coo_matrix((np.ones(m, np.int8), (inst.volunteer, nv + j)), (nv + nn,) * 2)


def _joined(
    inst: Instance,
    big_m: int | None,
    vol_pot: IntArray,
    need_pot: IntArray,
    slot_pot: IntArray | None,
) -> Potentials:
    """The whole instance's potentials from the start and the parts solved again.

    Records with no pair get what the whole pass gives them: a volunteer at
    most 0 (its only arc, the load arc from the source, costs 0; 0 when the
    start did not know it, :func:`~._duals._settle_unknown`), a need the
    start did not know its unserved cost (its only arc, to the source, costs
    minus that; :func:`_unsettled_near` gave up on a known one that fails).
    """
    vol = np.where(vol_pot >= UNKNOWN // 2, 0, vol_pot)
    idle = (np.bincount(inst.volunteer, minlength=inst.n_volunteers) == 0) & (inst.capacity > 0)
    vol[idle] = np.minimum(vol[idle], 0)
    lone = unserved_costs(inst, big_m) * (np.maximum(inst.demand, 0) > 0)
    need = np.where(need_pot >= UNKNOWN // 2, lone, need_pot)
    sv = st = values = np.zeros(0, np.int64)
    if inst.slot is not None and inst.n_edges:
        width, _, _, keys = slot_node_keys(inst)
        sv, st = keys // width, keys % width
        assert slot_pot is not None
        values = slot_pot[keys]
    return Potentials(
        big_m=big_m,
        source=0,
        volunteer=vol,
        need=need,
        slot_volunteer=sv,
        slot=st,
        slot_node=values,
        engage=inst.engage,
    )
