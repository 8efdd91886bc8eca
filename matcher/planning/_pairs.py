"""Pairs pinned, released, forbidden or allowed, as events on a Planner's kept plan.

:func:`change_pairs` takes the pair changes of one ``update()`` (records
unchanged: an update that changes both goes through the graph) to the events
state of :mod:`._events`, in the order that keeps every step valid: pins
released, pairs allowed, pairs forbidden, pairs pinned. Each is one event of
the engine (:class:`~matcher.solvers.live.LiveAssignment`): a forbidden pair's
arc leaves (its match dropped first, as when a record leaves), an allowed
pair's arc comes back if the five rules pass it, a pin puts a unit on its arc
and freezes it. The candidate counts of a need that was short follow (rule 5,
*available*, fails for a forbidden pair), and the cost spread bound follows
the pairs' degrees.
"""

from __future__ import annotations

import numpy as np

from ..graph.grow import record_pairs
from ..model import Problem
from ._kept import ResultParts

__all__ = ["change_pairs"]


def change_pairs(ev: ResultParts, problem: Problem) -> None:
    """Take *problem*'s pinned and forbidden pairs to *ev* (its records are *ev*'s now)."""
    old = ev.problem
    if problem.pinned is old.pinned and problem.forbidden is old.forbidden:
        return
    was_p, now_p = set(old.pinned), set(problem.pinned)
    was_f, now_f = set(old.forbidden), set(problem.forbidden)
    for n, v in sorted(was_p - now_p):
        ev.live.unpin(*_nodes(ev, n, v))
    for n, v in sorted(was_f - now_f):
        _allow(ev, problem, n, v)
    for n, v in sorted(now_f - was_f):
        _forbid(ev, n, v)
    for n, v in sorted(now_p - was_p):
        ev.live.pin(*_nodes(ev, n, v))


def _nodes(ev: ResultParts, n: str, v: str) -> tuple[int, int]:
    """The engine's (volunteer node, need node) of a pair."""
    return int(ev.v_node[ev.v_row[v]]), int(ev.n_node[ev.n_row[n]])


def _forbid(ev: ResultParts, n: str, v: str) -> None:
    ev.banned.setdefault(n, set()).add(v)
    vn, nn = _nodes(ev, n, v)
    try:
        a = ev.live._pair_arc(vn, nn)
    except KeyError:  # not a pair: another rule already fails it
        return
    ev._drop_plan_arcs([a >> 1])
    ev.live.remove_pair(vn, nn)
    r = ev.n_row[n]
    if ev.known[r]:  # a candidate that passed every rule fails rule 5 now
        ev.counts[r, 4] -= 1
    _degrees(ev, r, ev.v_row[v], -1)


def _allow(ev: ResultParts, problem: Problem, n: str, v: str) -> None:
    banned = ev.banned[n]
    banned.discard(v)
    if not banned:
        del ev.banned[n]
    r, s = ev.n_row[n], ev.v_row[v]
    rows = ev.rows
    rp = record_pairs(rows.encoding, np.array([r]), np.array([s]))
    if not len(rp.volunteer):  # another rule fails it: still no pair
        return
    parts, cost = rows.costs(problem, rp)
    vn, nn = _nodes(ev, n, v)
    ev.live.add_pair(vn, nn, int(cost[0]))
    ev._store_pairs([ev.live._pair_arc(vn, nn)], parts, cost, rp.distance_km)
    if ev.known[r]:
        ev.counts[r, 4] += 1
    _degrees(ev, r, s, +1, int(cost[0]))


def _degrees(ev: ResultParts, r: int, s: int, sign: int, cost: int | None = None) -> None:
    """Need row *r* and volunteer row *s* gain (+1, at *cost*) or lose (-1) a pair.

    The cost spread bound follows (a pair that goes leaves the need's highest
    and lowest costs as they were: still a bound, as when a volunteer leaves).
    """
    need, vol = np.array([r]), np.array([s])
    before = int(ev._need_terms(need)[0]) + int(ev._vol_terms(vol)[0])
    ev.n_deg[r] += sign
    ev.v_deg[s] += sign
    if cost is not None:
        ev.n_hi[r] = max(int(ev.n_hi[r]), cost)
        ev.n_lo[r] = min(int(ev.n_lo[r]), cost)
    ev.spread += int(ev._need_terms(need)[0]) + int(ev._vol_terms(vol)[0]) - before
