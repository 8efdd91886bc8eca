"""A Planner's events in time proportional to what they change, not to the city.

:mod:`._live` re-plans through a rebuilt graph: every re-plan diffs the
records, re-concatenates the candidate graph and assembles the whole result,
which at tier L costs half a second whatever the event. :class:`Events` keeps
instead, between events, everything a result is made of, and changes it by
difference:

* the records as rows of a :class:`~matcher.graph.grow.GrowingEncoding`: the
  pairs of a new record are searched against the live rows of the other side
  that may be in its reach (a band of the first coordinate,
  :meth:`~matcher.graph.grow.GrowingEncoding.needs_near`), with the graph's own
  rules (:func:`~matcher.graph.grow.record_pairs`), and what each volunteer
  adds to the candidate counts of the needs there with them (rule 1, the
  skills, is counted by requirement group for every need at once:
  :attr:`~matcher.graph.grow.GrowingEncoding.skill_count`);
* the plan in the warm-start engine (:class:`~matcher.solvers.live.LiveAssignment`),
  whose log names the pairs whose flow changed: only their matches are made
  or dropped;
* the matches and the unmatched needs as lists sorted by id (a change is a
  bisection; the result's tuples are copies of them), the candidate counts of
  every need that was ever short (sums over volunteers: a volunteer that
  comes or goes adds or takes its own), and the sums the metrics and the
  objective are made of (:func:`~matcher.result.metrics.metrics_of`: integers,
  so the same numbers as counted afresh);
* the certificate: a copy of the engine's potentials and node tables, named
  by id only when it is read (:class:`~matcher._frozen.LazyFrozenMap`), and
  the provenance's fingerprint, hashed when first read
  (:meth:`Fingerprint.deferred`).

Pairs pinned, released, forbidden or allowed are events too
(:func:`._pairs.change_pairs`), in an update that changes no record.

The Planner uses it for :meth:`~matcher.Planner.update` when the engine
holds the plan and the event is one it can take: no new skill, slot,
community or category name, the slot rule not switching on, no churn cost,
the coverage-first objective, no teams or participation, no more than
:data:`._live.MAX_SHARE` of the records changed, records and pairs not
changed at once.
Anything else, or a coverage weight that the costs have outgrown, goes the
way of :mod:`._live` after :meth:`Events.materialise` (the graph of the
current community, and the engine mapped onto it).

``tests/test_events.py`` checks each event's result against the result
assembled afresh from the same plan on the graph built from scratch, field for
field, and against :func:`matcher.verify` and a cold solve's optimum.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import SolverError
from ..graph import Built, rebuild
from ..graph.grow import GrowingEncoding, RecordPairs, record_pairs
from ..model import Problem
from ..result import GraphSolution, Match, Result, Status
from ..result.metrics import exact_sum
from ..result.plan import UNKNOWN
from ..solvers.live import _NEED, _SLOT, SOURCE
from . import _live
from ._kept import _PART_NAMES, Order, ResultParts, _room
from ._pairs import change_pairs

__all__ = ["Events"]

IntArray = NDArray[np.int64]


class Events(ResultParts):
    """The last plan of a Planner, kept so that one event costs what it changes.

    Made by :meth:`start` from a plan the engine holds; :meth:`apply` takes
    one ``update()``; :meth:`materialise` gives the graph-based state back.
    """

    # ------------------------------------------------------------------ start

    @classmethod
    def start(cls, built: Built, result: Result, engine: _live.Engine) -> Events | None:
        """The events state of *result*, the plan of *built* held by *engine*; None if not taken."""
        g = built.graph
        if (
            engine.big_m is None  # the user's unserved cost: "not_worth" reasons
            or engine.churn
            or g.need_group is not None
            or g.participation
            or result.status != Status.OPTIMAL
            or result.certificate is None
        ):
            return None
        return cls(built, result, engine)

    def __init__(self, built: Built, result: Result, engine: _live.Engine) -> None:
        """Use :meth:`start` (which declines what events do not take)."""
        assert engine.big_m is not None
        p = built.problem
        g = built.graph
        self.built = built  # the graph the state started from (stale after an event)
        self.problem = p
        self.engine = engine
        self.live = live = engine.live
        self.big_m = int(engine.big_m)
        enc = built.diag.encoding
        self.rows = GrowingEncoding(enc, built.volunteers.tolist(), built.needs.tolist(), p.policy)
        self.resolution = g.resolution
        self.load_step = g.load_step
        nv, nn = g.n_volunteers, g.n_needs
        self.v_node = engine.vol_node.copy()
        self.n_node = engine.need_node.copy()
        f = live.flow
        self.node_row = np.full(len(f.first), -1, np.int64)
        self.node_row[self.v_node] = np.arange(nv)
        self.node_row[self.n_node] = np.arange(nn)
        self.v_row = dict(built.volunteer_of)
        self.n_row = dict(built.need_of)
        # what each pair arc is: its cost, distance and parts (by arc pair number)
        k = engine.arc >> 1
        size = len(f.live_arc)
        self.p_cost = np.zeros(size, np.int64)
        self.p_cost[k] = g.cost
        self.p_dist = np.zeros(size, np.float64)
        assert g.distance_km is not None and g.parts is not None
        self.p_dist[k] = g.distance_km
        self.p_parts = np.zeros((size, len(_PART_NAMES)), np.float64)
        for i, name in enumerate(_PART_NAMES):
            self.p_parts[k, i] = g.parts[name]
        f.take_log()  # what loading did is not an event
        # the plan
        sol_edge = np.flatnonzero(live.pair_flow(engine.arc) > 0)  # the plan, by edge
        self.plan: dict[int, Match] = {}
        by_key = {(m.need_id, m.volunteer_id): m for m in result.matches}
        for e, kk in zip(sol_edge.tolist(), k[sol_edge].tolist(), strict=True):
            self.plan[kk] = by_key[(g.need_ids[g.need[e]], g.volunteer_ids[g.volunteer[e]])]
        if len(self.plan) != len(result.matches):
            raise SolverError("the engine's plan is not the result's")
        self.mkeys = [(m.need_id, m.volunteer_id) for m in result.matches]
        self.mlist = list(result.matches)
        self.m_add, self.m_drop = {}, set()
        self._moves: list[int] = []  # pair arcs made (2k) and dropped (2k + 1), not summed yet
        self.ukeys = [u.need_id for u in result.unmatched]
        self.urows = np.array([self.n_row[x] for x in self.ukeys], np.int64)
        self.served = np.bincount(g.need[sol_edge], minlength=nn).astype(np.int64)
        self.load = np.bincount(g.volunteer[sol_edge], minlength=nv).astype(np.int64)
        self._start_sums(built, result, sol_edge)
        # the id of each row, kept after its record left (rows are never re-used)
        self.v_ids: list[str] = list(g.volunteer_ids)
        self.n_ids: list[str] = list(g.need_ids)
        self.slot_names = tuple(enc.slot_names)
        self.fingerprints: dict[int, Any] | None = None
        self.order_v, self.order_n = Order(p.volunteers), Order(p.needs)
        # forbidden pairs name records that stay as long as the pairs do (an update that
        # changes one goes through the graph): only needs short for the first time see them
        self.banned: dict[str, set[str]] = {}
        for n, v in p.forbidden:
            self.banned.setdefault(n, set()).add(v)
        self.spent = False

    def _start_sums(self, built: Built, result: Result, sol_edge: IntArray) -> None:
        """The counts, the cost spread bound and the sums of the objective and metrics."""
        g, enc = built.graph, built.diag.encoding
        nv, nn = g.n_volunteers, g.n_needs
        assert g.distance_km is not None
        # candidate counts of the needs that were ever short (valid where known)
        self.counts = np.zeros((nn, 5), np.int64)
        self.known = np.zeros(nn, bool)
        for u in result.unmatched:
            r = self.n_row[u.need_id]
            self.counts[r] = u.candidates
            self.known[r] = True
        # the cost spread bound (matcher.solvers._duals.cost_spread), by record
        self.n_deg = np.bincount(g.need, minlength=nn).astype(np.int64)
        self.v_deg = np.bincount(g.volunteer, minlength=nv).astype(np.int64)
        self.n_hi = np.zeros(nn, np.int64)
        self.n_lo = np.zeros(nn, np.int64)
        np.maximum.at(self.n_hi, g.need, g.cost)
        np.minimum.at(self.n_lo, g.need, g.cost)
        self.demand = np.asarray(g.demand, np.int64).copy()
        self.priority = np.asarray(g.priority, np.int64).copy()
        self.capacity = np.asarray(g.capacity, np.int64).copy()
        self.spread = int(np.sum(self._need_terms(np.arange(nn)))) + int(
            np.sum(self._vol_terms(np.arange(nv)))
        )
        # the objective and the metrics' sums
        obj = result.objective
        self.served_priority = int(obj.served_priority)
        self.pair_cost = int(g.cost[sol_edge].sum())
        self.load_pairs = int(np.sum(self.load * (self.load - 1) // 2))
        self.units_demanded = int(self.demand.sum())
        self.units_served = int(self.served.sum())
        self.priority_demanded = int(np.dot(self.priority, self.demand))
        self.distance_sum = exact_sum(g.distance_km[sol_edge].tolist())
        self.load_hist = np.bincount(self.load, minlength=1).astype(np.int64)
        self.cat_names = tuple(enc.category_names)
        self.comm_names = tuple(c or UNKNOWN for c in enc.community_names)
        self.cat = self._table(enc.need_cat[:nn], len(self.cat_names))
        self.comm = self._table(enc.need_comm[:nn], len(self.comm_names))
        self.units: dict[str, list[int]] = {}
        for r, vol in enumerate(built.volunteers.tolist()):
            row = self.units.setdefault(vol.unit or UNKNOWN, [0, 0])
            row[0] += int(self.load[r] > 0)
            row[1] += 1

    def need_record(self, x: str) -> Any:
        """The need of id *x* there now, or None."""
        r = self.n_row.get(x)
        return None if r is None else self.rows.needs[r]

    def volunteer_record(self, x: str) -> Any:
        """The volunteer of id *x* there now, or None."""
        r = self.v_row.get(x)
        return None if r is None else self.rows.volunteers[r]

    # ------------------------------------------------------------------ events

    def takes(
        self, problem: Problem, fresh_v: Sequence[Any], fresh_n: Sequence[Any], gone: int = 0
    ) -> bool:
        """Whether :meth:`apply` can take this change (checked before anything changes).

        *gone*: how many records leave. A change of more than
        :data:`~._live.MAX_SHARE` of the records is solved afresh instead.
        """
        changed = len(fresh_v) + len(fresh_n) + gone
        if _live.too_many(changed, len(self.v_row) + len(self.n_row)):
            return False
        if problem.policy != self.problem.policy:
            return False
        if changed and (
            problem.pinned is not self.problem.pinned
            or problem.forbidden is not self.problem.forbidden
        ):
            return False  # pairs and records changed at once: through the graph
        if not self.rows.fits(fresh_v, fresh_n):
            return False
        if problem.policy.one_need_per_slot and not self.engine.slots:
            # the slot rule would switch on in the network
            return not any(n.slot is not None for n in fresh_n)
        return True

    def apply(
        self,
        problem: Problem,
        gone_v: set[str],
        gone_n: set[str],
        fresh_v: Sequence[Any],
        fresh_n: Sequence[Any],
        previous: Result,
    ) -> Result | None:
        """Re-plan after one update; the new result, or None when the bound on costs broke.

        On None (and on an exception) this state is spoiled: the caller solves.
        """
        if self.spent:
            raise SolverError("events after materialise(): the engine was handed over")
        t0 = time.perf_counter()
        rows = self.rows
        self.order_v.changed(
            sorted(gone_v) + [v.id for v in fresh_v], [v.id for v in fresh_v], problem.volunteers
        )
        self.order_n.changed(
            sorted(gone_n) + [n.id for n in fresh_n], [n.id for n in fresh_n], problem.needs
        )
        self.removed: list[tuple[str, str]] = []
        self.added: list[tuple[str, str]] = []
        self.touched_needs: set[int] = set()  # served or demand changed
        search = 0.0
        with self.live.batch():  # one repair for the whole update
            # 1. needs that leave or changed leave
            leaving_n = sorted(gone_n | {n.id for n in fresh_n if n.id in self.n_row})
            self._needs_leave(np.array([self.n_row.pop(x) for x in leaving_n], np.int64))
            # 2. volunteers that leave or changed leave (taking their part of the counts)
            leaving = sorted(gone_v | {v.id for v in fresh_v if v.id in self.v_row})
            for x in leaving:
                s = time.perf_counter()
                r = self.v_row.pop(x)
                needs = rows.needs_near(r)
                rp = record_pairs(rows.encoding, needs, np.array([r]), rows.classes)
                search += time.perf_counter() - s
                self._volunteer_leaves(r, needs, rp)
            # 3. volunteers join, with their pairs to the needs in reach
            for vol in fresh_v:
                s = time.perf_counter()
                r = rows.add_volunteer(vol)
                needs = rows.needs_near(r)
                rp = record_pairs(rows.encoding, needs, np.array([r]), rows.classes)
                parts, cost = rows.costs(problem, rp)
                search += time.perf_counter() - s
                self._volunteer_joins(vol, r, needs, rp, parts, cost)
            # 4. needs join, with their pairs to the volunteers in reach (found together)
            s = time.perf_counter()
            joining = [rows.add_need(need) for need in fresh_n]
            found = rows.pairs_of_needs(joining)
            search += time.perf_counter() - s
            for need, r, rp in zip(fresh_n, joining, found, strict=True):
                s = time.perf_counter()
                parts, cost = rows.costs(problem, rp)
                search += time.perf_counter() - s
                self._need_joins(need, r, rp, parts, cost)
            # 5. pairs pinned, released, forbidden or allowed (records unchanged)
            change_pairs(self, problem)
        # 6. the pairs whose flow changed
        self._follow_flow()
        engine_s = time.perf_counter() - t0 - search
        if self.spread >= self.big_m:
            return None  # the coverage weight no longer outweighs every cost: solve
        t1 = time.perf_counter()
        self._short_needs()
        self.problem = problem
        result = self._result(previous, problem)
        t2 = time.perf_counter()
        timings = {
            "build_graph": search,
            "solve": engine_s,
            "backend": engine_s,
            "certify": 0.0,
            "assemble": t2 - t1,
            "total": t2 - t0,
        }
        return replace(result, timings=timings)

    # -- records leaving

    def _needs_leave(self, rows: IntArray) -> None:
        """Need *rows* leave together: their matches, their arcs, their part of every sum."""
        if not len(rows):
            return
        live, f = self.live, self.live.flow
        into, _ = f.arcs_of_nodes(self.n_node[rows])  # odd: the reverses of the arcs into them
        pair_arcs = into[f.to[into] != SOURCE] ^ 1
        self._drop_plan_arcs((pair_arcs >> 1).tolist())
        vols = self._volunteer_rows_of(f.frm[pair_arcs])
        live.remove_needs(self.n_node[rows])
        # the spread: their terms, and one pair less for each of their volunteers
        self.spread -= int(self._need_terms(rows).sum())
        if len(vols):
            each = np.unique(vols)
            before = int(self._vol_terms(each).sum())
            np.subtract.at(self.v_deg, vols, 1)
            self.spread += int(self._vol_terms(each).sum()) - before
        # the metrics' sums
        d, p = self.demand[rows], self.priority[rows]
        self.units_demanded -= int(d.sum())
        self.priority_demanded -= int((d * p).sum())
        self._tables(rows, -1)
        self.demand[rows] = 0
        self.n_deg[rows] = 0
        self.n_hi[rows] = self.n_lo[rows] = 0
        self.known[rows] = False
        records = [self.rows.needs[r] for r in rows.tolist()]
        for r, rec in zip(rows.tolist(), records, strict=True):
            self.rows.remove_need(r)
            self._forget(rec)
        self._drop_unmatched([rec.id for rec in records])

    def _volunteer_rows_of(self, tails: IntArray | list[int]) -> IntArray:
        live = self.live
        nodes = np.asarray(tails, np.int64)
        if len(nodes):
            nodes = np.where(live.kind[nodes] == _SLOT, live.owner[nodes], nodes)
        return self.node_row[nodes]

    def _volunteer_leaves(self, r: int, needs: IntArray, rp: RecordPairs) -> None:
        live = self.live
        node = int(self.v_node[r])
        _, pair_arcs = live.volunteer_pairs(node)
        self._drop_plan_arcs((pair_arcs >> 1).tolist())
        live.remove_volunteer(node)
        # its part of the candidate counts, and its pairs of the spread
        # (rule 1 is counted by requirement group: GrowingEncoding.skill_count)
        self.counts[needs[rp.at], 1:] -= rp.passed[:, 1:]  # the unmatched entries read them
        if len(rp.need):
            before = int(self._need_terms(rp.need).sum())
            np.subtract.at(self.n_deg, rp.need, 1)  # hi and lo stay: still a bound
            self.spread += int(self._need_terms(rp.need).sum()) - before
        self.spread -= int(self._vol_terms(np.array([r]))[0])
        self.v_deg[r] = 0
        self.capacity[r] = 0
        self.load_hist[0] -= 1  # its load is 0 now: its matches were dropped
        rec = self.rows.volunteers[r]
        unit = self.units[rec.unit or UNKNOWN]
        unit[1] -= 1
        if not unit[1]:
            del self.units[rec.unit or UNKNOWN]
        self.rows.remove_volunteer(r)
        self._forget(rec)

    def _forget(self, rec: Any) -> None:
        if self.fingerprints is not None:
            hit = self.fingerprints.get(id(rec))
            if hit is not None and hit[0] is rec:
                del self.fingerprints[id(rec)]

    # -- records joining

    def _grow_nodes(self, node: int) -> None:
        if node >= len(self.node_row):
            self.node_row = _room(self.node_row, node + 1, -1)

    def _grow_rows(self) -> None:
        nv, nn = self.rows.n_volunteer_rows, self.rows.n_need_rows
        self.v_node = _room(self.v_node, nv, -1)
        for name in ("load", "v_deg", "capacity"):
            setattr(self, name, _room(getattr(self, name), nv))
        self.n_node = _room(self.n_node, nn, -1)
        for name in ("served", "n_deg", "n_hi", "n_lo", "demand", "priority", "counts"):
            setattr(self, name, _room(getattr(self, name), nn))
        self.known = _room(self.known, nn, False)

    def _volunteer_joins(
        self,
        vol: Any,
        r: int,
        needs: IntArray,
        rp: RecordPairs,
        parts: dict[str, Any],
        cost: IntArray,
    ) -> None:
        self._grow_rows()
        node = self.live.add_volunteer(
            int(vol.capacity), list(zip(self.n_node[rp.need].tolist(), cost.tolist(), strict=True))
        )
        self._store_pairs(self.live.last_arcs, parts, cost, rp.distance_km)
        self._grow_nodes(node)
        self.v_node[r], self.node_row[node] = node, r
        self.v_ids.append(vol.id)
        self.v_row[vol.id] = r
        self.counts[needs[rp.at], 1:] += rp.passed[:, 1:]
        self.capacity[r] = int(vol.capacity)
        self.v_deg[r] = len(rp.need)
        self.load[r] = 0
        self.spread += int(self._vol_terms(np.array([r]))[0])
        if len(rp.need):
            before = int(self._need_terms(rp.need).sum())
            np.add.at(self.n_deg, rp.need, 1)
            np.maximum.at(self.n_hi, rp.need, cost)
            np.minimum.at(self.n_lo, rp.need, cost)
            self.spread += int(self._need_terms(rp.need).sum()) - before
        self.load_hist[0] += 1
        unit = self.units.setdefault(vol.unit or UNKNOWN, [0, 0])
        unit[1] += 1

    def _need_joins(
        self, need: Any, r: int, rp: RecordPairs, parts: dict[str, Any], cost: IntArray
    ) -> None:
        self._grow_rows()
        enc = self.rows.encoding
        slot = int(enc.need_slot[r]) if self.engine.slots else -1
        self.demand[r], self.priority[r] = int(need.demand), int(need.priority)
        self.served[r] = 0
        self.counts[r] = rp.passed[0]  # rule 1 (column 0): by group, when read
        self.known[r] = True
        self.n_deg[r] = len(rp.volunteer)
        self.n_hi[r] = max(0, int(cost.max())) if len(cost) else 0
        self.n_lo[r] = min(0, int(cost.min())) if len(cost) else 0
        self.spread += int(self._need_terms(np.array([r]))[0])
        if len(rp.volunteer):
            before = int(self._vol_terms(rp.volunteer).sum())
            np.add.at(self.v_deg, rp.volunteer, 1)
            self.spread += int(self._vol_terms(rp.volunteer).sum()) - before
        node = self.live.add_need(
            int(need.demand),
            self.big_m * int(need.priority),
            slot,
            list(zip(self.v_node[rp.volunteer].tolist(), cost.tolist(), strict=True)),
        )
        self._store_pairs(self.live.last_arcs, parts, cost, rp.distance_km)
        self._grow_nodes(node)
        self.n_node[r], self.node_row[node] = node, r
        self.n_ids.append(need.id)
        self.n_row[need.id] = r
        d, p = int(need.demand), int(need.priority)
        self.units_demanded += d
        self.priority_demanded += d * p
        self._tables(np.array([r]), +1)
        self.touched_needs.add(r)

    # -- the plan

    def _follow_flow(self) -> None:
        """Make and drop the matches of the pair arcs whose flow changed."""
        live, f = self.live, self.live.flow
        log = f.take_log()
        if log is None:  # more changed than the log held: every pair arc
            log = live._pair_arcs()[0] >> 1
        k = log[log < len(f.live_arc)]
        a = 2 * k
        pair = f.live_arc[k] & (f.frm[a] != SOURCE) & (live.kind[f.to[a]] == _NEED)
        k, a = k[pair], a[pair]
        flow = f.res[a + 1] + f.held[k]
        for kk, on in zip(k.tolist(), (flow > 0).tolist(), strict=True):
            had = self.plan.get(kk)
            if on and had is None:
                self._match(kk)
            elif not on and had is not None:
                del self.plan[kk]
                self._unmatch(kk, had)
        self._settle_moves()
        self._sync_matches()

    # ------------------------------------------------------------------ back to a graph

    def _recode_slots(self, names: tuple[str, ...]) -> None:
        """Code the engine's slots by the name table *names* (a graph built afresh)."""
        live, f = self.live, self.live.flow
        n = f._n
        nodes = np.flatnonzero(((live.kind[:n] == _SLOT) | (live.kind[:n] == _NEED)) & f.alive[:n])
        live.slot_of[nodes] = _recode(live.slot_of[nodes], self.slot_names, names)
        live.slot_node = {
            (v, int(c)): w
            for (v, _), w, c in zip(
                live.slot_node.keys(),
                live.slot_node.values(),
                live.slot_of[list(live.slot_node.values())].tolist(),
                strict=True,
            )
        }
        self.slot_names = names

    def materialise(self, problem: Problem) -> tuple[Built, GraphSolution, _live.Engine]:
        """The graph of *problem* (the community now), its plan and the engine mapped onto it.

        The engine is handed over (its slots coded as the new graph codes
        them): this state is spent, and takes no more events.
        """
        self.spent = True
        built, _ = rebuild(self.built, problem)
        g = built.graph
        live = self.live
        if tuple(g.slot_names) != self.slot_names:  # a slot name left: the codes move
            self._recode_slots(tuple(g.slot_names))
        v_node = np.array([self.v_node[self.v_row[x]] for x in g.volunteer_ids], np.int64)
        n_node = np.array([self.n_node[self.n_row[x]] for x in g.need_ids], np.int64)
        size = len(live.flow.first)
        gv = np.full(size, -1, np.int64)
        gv[v_node] = np.arange(g.n_volunteers)
        gn = np.full(size, -1, np.int64)
        gn[n_node] = np.arange(g.n_needs)
        a, pv, pj = live._pair_arcs()
        key = gn[pj] * max(g.n_volunteers, 1) + gv[pv]
        order = np.argsort(key, kind="stable")
        gkey = np.asarray(g.need, np.int64) * max(g.n_volunteers, 1) + g.volunteer
        if len(a) != g.n_edges or not np.array_equal(key[order], gkey):
            raise SolverError("the engine's pairs are not the graph's")
        engine = _live.Engine(
            live, v_node, n_node, a[order], self.big_m, self.engine.slots, churn=False
        )
        inst, work = _live._work(g, None)
        chosen = np.flatnonzero(live.pair_flow(engine.arc) > 0)
        pot = _live._potentials(live, work, v_node, n_node, engine)
        return built, _live._solution(g, inst, chosen, pot), engine


def _recode(codes: IntArray, old: tuple[str, ...], new: tuple[str, ...]) -> IntArray:
    """Slot codes of the name table *old* in the table *new* (-1 stays; a name not there: -1)."""
    table = np.array([new.index(x) if x in new else -1 for x in old] + [-1], np.int64)
    return table[np.where(codes >= 0, codes, len(old))]
