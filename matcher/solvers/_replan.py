"""Re-planning from a previous optimal plan: solve where things changed, prove the rest.

When a few needs arrive or leave, or a few volunteers change, most of last
plan stays optimal, and so do most of its certificate's potentials. A re-plan
then (:func:`replan`):

1. starts from the previous plan's pairs that are still possible, trimmed to
   the new capacities, demands and slots (pinned pairs first, then the
   cheapest), and from the previous potentials (:class:`~._duals.WarmStart`);
2. finds where they fail -- the volunteers and needs at an end of a residual
   arc with a negative reduced cost, and every record the start does not know
   (:func:`~._duals.unsettled`);
3. frees every pair touching that region, grown by a few hops in the candidate
   graph, keeps every other pair of the start plan fixed (as pinned) and
   leaves every other pair out; solves that small problem exactly;
4. proves the whole plan optimal with potentials computed from the warm start
   (:func:`~._duals.potentials`), under a sweep budget. A proof makes the plan
   optimal for the whole problem, wherever the region ended; without one, the
   region grows and step 3 runs again; after :data:`ROUNDS` rounds the caller
   solves from scratch.

So the answer is always exactly optimal and proven; the speed depends on how
far the effects of the change reach.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import SolverError
from ._base import Instance, evaluate
from ._duals import NotProven, WarmStart, certificate_big_m, potentials, unsettled

__all__ = ["HOPS", "ROUNDS", "SWEEPS", "replan", "start_plan"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

HOPS = (0, 1, 2)
"""Hops the region grows by in the candidate graph, round after round."""

ROUNDS = len(HOPS)
"""Rounds before giving up (the caller then solves from scratch)."""

SWEEPS = 4_000
"""Bellman-Ford sweeps allowed to each proof attempt."""


def start_plan(inst: Instance, pinned: BoolArray, previous: BoolArray) -> BoolArray:
    """The previous plan's edges that still fit *inst*, with the pinned ones.

    Pinned edges first, then the previous edges by cost (then index); an edge
    is kept while its volunteer has capacity, its need demand and, with the
    slot rule, its volunteer's slot is free.
    """
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


def _grow(
    inst: Instance, vols: BoolArray, needs: BoolArray, hops: int
) -> tuple[BoolArray, BoolArray]:
    """The region after *hops* steps along candidate pairs (volunteer <-> need)."""
    v, n = inst.volunteer, inst.need
    for _ in range(hops):
        touch = vols[v] | needs[n]
        vols = vols.copy()
        needs = needs.copy()
        vols[v[touch]] = True
        needs[n[touch]] = True
    return vols, needs


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
) -> tuple[IntArray, Any, str, float, Any, float, int] | None:
    """Re-plan *inst* from the *previous* plan's edges and *start* potentials.

    Returns
    -------
    tuple or None
        ``(chosen, objective, method, backend_seconds, potentials,
        certify_seconds, rounds)`` of a proven optimal plan; None when
        :data:`ROUNDS` rounds did not prove one (solve from scratch then).
    """
    from . import solve_instance  # the one path every method goes through

    big_m = None
    if priority_first:
        big_m = certificate_big_m(inst)
        if big_m_hint is not None:
            big_m = max(big_m, big_m_hint)  # the previous weight still proves (and starts) well
    x0 = start_plan(inst, pinned, previous)
    vols, needs = unsettled(inst, np.flatnonzero(x0), pinned, big_m, start)
    backend = certify = 0.0
    for rounds, hops in enumerate(HOPS, start=1):
        rv, rn = _grow(inst, vols, needs, hops)
        free = rv[inst.volunteer] | rn[inst.need]
        fixed = x0 & ~free
        keep = np.flatnonzero(free | fixed)
        sub = replace(
            inst,
            volunteer=inst.volunteer[keep],
            need=inst.need[keep],
            cost=inst.cost[keep],
            rank=None if inst.rank is None else inst.rank[keep],
        )
        t0 = time.perf_counter()
        solved = solve_instance(
            sub,
            (fixed | pinned)[keep],
            priority_first=priority_first,
            method=method,
            certify=False,
            **options,
        )
        backend += time.perf_counter() - t0
        chosen = keep[solved.chosen]
        t0 = time.perf_counter()
        try:
            pot = potentials(inst, chosen, pinned, big_m, max_sweeps=SWEEPS, start=start)
        except (NotProven, SolverError, OverflowError):
            certify += time.perf_counter() - t0
            continue
        certify += time.perf_counter() - t0
        objective = evaluate(inst, chosen, None if priority_first else inst.unserved_cost)
        return chosen, objective, solved.method, backend, pot, certify, rounds
    return None
