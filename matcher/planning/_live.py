"""A Planner's re-plan as events on the warm-start engine (:mod:`matcher.solvers.live`).

The engine holds the last plan and its certificate on the certificate network.
A re-plan whose graph was rebuilt incrementally (same policy, history pairs and
name tables; a need named by a pinned or forbidden pair that came or went counts
as changed) becomes a row of events:

1. the churn term moves to the last plan's pairs (costs of pairs in the plan go
   down, of the others up: the proof holds, nothing to repair);
2. needs, then volunteers, that left or changed leave;
3. volunteers that are new (or changed) join with their pairs to the needs
   already there, then new needs with their pairs to every volunteer; pinned
   pairs among them are pinned.

Each event is repaired where it happens (:class:`~matcher.solvers.live.LiveAssignment`);
afterwards the plan is a min-cost flow of the new instance and the engine's
potentials are its certificate. The plan's objective is exactly that of
``solve(problem, previous=last, churn_cost=...)``; among plans of equal
objective, the engine keeps what it can of the last plan (a repair moves flow
only along the shortest augmenting paths of the changed records), so the plan
may differ from a cold solve's where several plans tie.

:func:`start` declines (None) what the engine does not handle -- teams,
participation floors, the participation objective, a re-plan without
certificates -- and :func:`replan` declines a re-plan the engine cannot prove
(a graph rebuilt from scratch, the slot rule switching on or off, a coverage
weight ``big_m`` no longer above the cost spread) or one that changes more
than :data:`MAX_SHARE` of the records (a solve is cheaper): the Planner then
solves as before and starts the engine again from that plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..errors import SolverError
from ..graph import Graph
from ..graph.rebuild import Delta
from ..result import GraphSolution, Status
from ..result.assemble import in_units
from ..solvers import Instance, Potentials
from ..solvers._base import evaluate
from ..solvers._duals import cost_spread, slot_node_keys
from ..solvers.live import LiveAssignment
from .solving import _instance

MAX_SHARE = 0.15
"""Share of the records a re-plan may change and still be repaired by the engine.

An update or re-plan that changes more (records that arrive, change or leave,
over the records there before; and more than :data:`MIN_LIMIT`) is solved
afresh, which is then cheaper. Measured at tier L (150,000 records; the
changes of one update repaired together, :meth:`LiveAssignment.batch
<matcher.solvers.live.LiveAssignment.batch>`), needs replaced through
``Planner.update`` as events: 10% of the needs (20,000 records changed,
13.3%) 7.7 s on the clustered city and 9.2 s on the uniform one, against
9.8 s and 12.8 s solved afresh (the engine started again from that plan);
15% of the needs (20%): 10.9 s and 12.3 s, level with a solve.
:class:`~._events.Events` takes up to the same share, as events.
"""

MIN_LIMIT = 64
"""Records a re-plan may change and still be repaired, however small the community."""


def too_many(changed: int, size: int) -> bool:
    """Whether *changed* records of *size* are more than the engine repairs (:data:`MAX_SHARE`)."""
    return changed > max(MIN_LIMIT, MAX_SHARE * size)


__all__ = ["Engine", "replan", "start"]

IntArray = NDArray[np.int64]


@dataclass(eq=False)
class Engine:
    """The engine and how its nodes and arcs map onto the last graph."""

    live: LiveAssignment
    vol_node: IntArray  # engine node of each volunteer of the last graph
    need_node: IntArray  # engine node of each need
    arc: IntArray  # engine pair arc of each edge
    big_m: int | None
    slots: bool
    churn: bool = False  # the engine's costs hold a churn term (the last plan's pairs cheaper)


def _work(graph: Graph, bonus: IntArray | None) -> tuple[Instance, Instance]:
    inst = _instance(graph)
    return inst, (inst if bonus is None else replace(inst, cost=inst.cost - bonus))


def start(graph: Graph, solution: GraphSolution, bonus: IntArray | None) -> Engine | None:
    """The engine of a solved graph (the plan and certificate of *solution*), or None."""
    pot = solution.certificate
    if pot is None or solution.status != Status.OPTIMAL or pot.engage:
        return None
    inst, work = _work(graph, bonus)
    if inst.participation or _has(inst.group) or _has(inst.unit_floor, 0):
        return None
    pinned = np.asarray(graph.pinned)
    live = LiveAssignment.from_plan(work, solution.edge, pinned, pot)
    nv, nn = inst.n_volunteers, inst.n_needs
    return Engine(
        live=live,
        vol_node=1 + np.arange(nv, dtype=np.int64),
        need_node=1 + nv + np.arange(nn, dtype=np.int64),
        arc=live.loaded_pairs,
        big_m=pot.big_m,
        slots=inst.slot is not None,
        churn=bonus is not None and bool(bonus.any()),
    )


def _has(a: IntArray | None, low: int = -1) -> bool:
    return a is not None and bool((np.asarray(a) > low).any())


def replan(
    eng: Engine, g0: Graph, graph: Graph, delta: Delta, bonus: IntArray | None
) -> tuple[GraphSolution, Engine] | None:
    """Re-plan *graph* (rebuilt from *g0* with *delta*) event by event; None if declined."""
    t0 = time.perf_counter()
    inst, work = _work(graph, bonus)
    if not delta.incremental or (inst.slot is not None) != eng.slots:
        return None
    priority_first = graph.unserved_cost is None
    if priority_first and (eng.big_m is None or cost_spread(work) >= eng.big_m):
        return None
    live = eng.live
    vol_same, need_same = delta.volunteer_same, delta.need_same
    left = g0.n_volunteers + g0.n_needs - int(np.sum(delta.volunteer_from >= 0))
    left -= int(np.sum(delta.need_from >= 0))
    changed = int(np.sum(~vol_same)) + int(np.sum(~need_same)) + left
    if too_many(changed, g0.n_volunteers + g0.n_needs):
        return None
    # 1. the churn term (and nothing else) moves on the pairs kept
    kept = np.flatnonzero(delta.edge_from >= 0)
    arc = np.full(graph.n_edges, -1, np.int64)
    arc[kept] = eng.arc[delta.edge_from[kept]]
    churn = bonus is not None and bool(bonus.any())
    if churn or eng.churn:  # without a churn term, kept pairs keep their costs
        live.set_pair_costs(arc[kept], work.cost[kept])
    # 2. what left or changed leaves
    stay_n = np.zeros(g0.n_needs, bool)
    stay_n[delta.need_from[need_same]] = True
    stay_v = np.zeros(g0.n_volunteers, bool)
    stay_v[delta.volunteer_from[vol_same]] = True
    with live.batch():  # repaired once, together
        live.remove_needs(eng.need_node[~stay_n])
        for node in eng.vol_node[~stay_v].tolist():
            live.remove_volunteer(node)
        vol_node = np.full(graph.n_volunteers, -1, np.int64)
        vol_node[vol_same] = eng.vol_node[delta.volunteer_from[vol_same]]
        need_node = np.full(graph.n_needs, -1, np.int64)
        need_node[need_same] = eng.need_node[delta.need_from[need_same]]
        # 3. volunteers join (pairs to the needs there), then needs (pairs to everyone)
        _join_volunteers(live, work, vol_same, need_same, vol_node, need_node, arc)
        _join_needs(live, work, need_same, vol_node, need_node, arc, eng.big_m)
        pinned = np.asarray(graph.pinned)
        for e in np.flatnonzero(pinned & (delta.edge_from < 0)).tolist():
            live.pin(int(vol_node[work.volunteer[e]]), int(need_node[work.need[e]]))
    chosen = np.flatnonzero(live.pair_flow(arc) > 0)
    took = time.perf_counter() - t0
    solution = _solution(graph, inst, chosen, _potentials(live, work, vol_node, need_node, eng))
    solution = replace(solution, backend_seconds=took)
    return solution, Engine(live, vol_node, need_node, arc, eng.big_m, eng.slots, churn)


def _join_volunteers(
    live: LiveAssignment,
    work: Instance,
    vol_same: NDArray[np.bool_],
    need_same: NDArray[np.bool_],
    vol_node: IntArray,
    need_node: IntArray,
    arc: IntArray,
) -> None:
    new = np.flatnonzero(~vol_same)
    if not len(new):
        return
    edges = np.flatnonzero(~vol_same[work.volunteer] & need_same[work.need])
    edges = edges[np.argsort(work.volunteer[edges], kind="stable")]
    lo = np.searchsorted(work.volunteer[edges], new).tolist()
    hi = np.searchsorted(work.volunteer[edges], new + 1).tolist()
    for k, i in enumerate(new.tolist()):
        mine = edges[lo[k] : hi[k]]
        pairs = list(
            zip(need_node[work.need[mine]].tolist(), work.cost[mine].tolist(), strict=True)
        )
        vol_node[i] = live.add_volunteer(int(work.capacity[i]), pairs)
        arc[mine] = live.last_arcs


def _join_needs(
    live: LiveAssignment,
    work: Instance,
    need_same: NDArray[np.bool_],
    vol_node: IntArray,
    need_node: IntArray,
    arc: IntArray,
    big_m: int | None,
) -> None:
    new = np.flatnonzero(~need_same)
    if not len(new):
        return
    lo = np.searchsorted(work.need, new).tolist()  # edges are sorted by need
    hi = np.searchsorted(work.need, new + 1).tolist()
    unserved = work.unserved_cost if big_m is None else big_m * work.priority
    for k, j in enumerate(new.tolist()):
        mine = np.arange(lo[k], hi[k])
        pairs = list(
            zip(vol_node[work.volunteer[mine]].tolist(), work.cost[mine].tolist(), strict=True)
        )
        slot = -1 if work.slot is None else int(work.slot[j])
        need_node[j] = live.add_need(int(work.demand[j]), int(unserved[j]), slot, pairs)
        arc[mine] = live.last_arcs


def _potentials(
    live: LiveAssignment, work: Instance, vol_node: IntArray, need_node: IntArray, eng: Engine
) -> Potentials:
    """The certificate's potentials, by index of the new graph (the source at 0)."""
    sv = st = sx = np.zeros(0, np.int64)
    if work.slot is not None and work.n_edges:
        width, _, _, keys = slot_node_keys(work)
        nodes, owner, slot = live.slot_nodes()
        index = np.full(live.flow._n, -1, np.int64)
        index[vol_node] = np.arange(len(vol_node))
        mine = index[owner] * width + slot
        order = np.argsort(mine)
        if not np.array_equal(mine[order], keys):  # the engine's slot nodes are the network's
            raise SolverError("the engine's (volunteer, slot) nodes differ from the instance's")
        sv, st = keys // width, keys % width
        sx = live.potential(nodes[order])
    return Potentials(
        big_m=eng.big_m,
        source=0,
        volunteer=live.potential(vol_node),
        need=live.potential(need_node),
        slot_volunteer=sv,
        slot=st,
        slot_node=sx,
    )


def _solution(graph: Graph, inst: Instance, chosen: IntArray, pot: Potentials) -> GraphSolution:
    priority_first = graph.unserved_cost is None
    obj = evaluate(inst, chosen, None if priority_first else inst.unserved_cost)
    return GraphSolution(
        method="flow",
        status=Status.OPTIMAL,
        edge=chosen,
        volunteer=np.asarray(graph.volunteer[chosen]),
        need=np.asarray(graph.need[chosen]),
        served=np.bincount(graph.need[chosen], minlength=graph.n_needs),
        served_priority=obj.served_priority,
        int_cost=obj.int_cost,
        int_penalty=obj.int_penalty,
        cost=in_units(obj.int_cost, graph.resolution),
        parts=1,
        backend_seconds=0.0,
        certificate=pot,
        certify_seconds=0.0,
        replan_rounds=1,
        gap=None,
        blocking=None,
    )
