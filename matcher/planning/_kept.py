"""The result side of a Planner's events (:mod:`._events`): what a result is made of, kept.

:class:`ResultParts` holds, between events, the matches and the unmatched
needs as lists sorted by id, the candidate counts of the needs that were ever
short, and the sums the objective and the metrics are made of; it makes each
event's :class:`~matcher.result.Result` from them (its certificate named when
read). :class:`Order` keeps where each record is in the problem's tuples.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._frozen import FrozenMap, LazyFrozenMap
from ..graph import COST_PARTS
from ..graph.grow import GrowingEncoding
from ..model import Problem
from ..model.fingerprint import Fingerprint
from ..result import Certificate, Churn, Match, Objective, Provenance, Result, Status, Unmatched
from ..result.assemble import RULE_REASONS, first_empty_filter, in_units
from ..result.lazy import LazyTuple
from ..result.metrics import metrics_of, shares_of
from ..result.plan import UNKNOWN
from ..solvers._duals import need_spread, volunteer_spread
from ..solvers.live import _NEED, _SLOT, _VOL, SOURCE, LiveAssignment

__all__ = ["Order", "ResultParts"]

IntArray = NDArray[np.int64]
_PART_NAMES = tuple(sorted(COST_PARTS))  # a FrozenMap's order


def _room(a: NDArray[Any], size: int, fill: Any = 0) -> NDArray[Any]:
    """*a* with at least *size* rows (doubling), new rows *fill*."""
    if size <= len(a):
        return a
    out = np.full((max(size, 2 * len(a), 16), *a.shape[1:]), fill, a.dtype)
    out[: len(a)] = a
    return out


IN_PLACE = 256
"""Matches made and dropped in an update up to which the sorted lists are edited in place."""


class Order:
    """Where each record is in the problem's tuple, kept as records come and go.

    A record gets the next number when it is appended; the position of a
    number is it less the numbers of the records removed before it (a sorted
    list, bisected). Renumbered when the removed outnumber a quarter.
    """

    def __init__(self, records: Sequence[Any]) -> None:
        self._renumber(records)

    def _renumber(self, records: Sequence[Any]) -> None:
        self.seq = {r.id: i for i, r in enumerate(records)}
        self.dead: list[int] = []
        self.n = len(records)

    def position(self, x: str) -> int | None:
        s = self.seq.get(x)
        return None if s is None else s - bisect.bisect_left(self.dead, s)

    def changed(self, drop: Sequence[str], add: Sequence[str], records: Sequence[Any]) -> None:
        """*drop* left (those there), *add* appended in order; *records*: the tuple now."""
        for x in drop:
            s = self.seq.pop(x, None)
            if s is not None:
                bisect.insort(self.dead, s)
        for x in add:
            self.seq[x] = self.n
            self.n += 1
        if len(self.dead) > 64 and 4 * len(self.dead) > self.n:
            self._renumber(records)


class ResultParts:
    """The parts of the last result, changed by difference (the base of :class:`~._events.Events`)."""

    # set by Events.start
    live: LiveAssignment
    rows: GrowingEncoding
    big_m: int
    resolution: float
    load_step: int
    served: IntArray
    demand: IntArray
    priority: IntArray
    counts: IntArray
    known: NDArray[np.bool_]
    cat: IntArray
    comm: IntArray
    cat_names: tuple[str, ...]
    comm_names: tuple[str, ...]
    mkeys: list[tuple[str, str]]
    mlist: list[Match]
    m_add: dict[tuple[str, str], Match]  # made since the lists were last brought up to date
    m_drop: set[tuple[str, str]]  # dropped since then (not among m_add)
    _moves: list[int]  # pair arcs made (2k) and dropped (2k + 1) since the sums were settled
    ukeys: list[str]
    urows: IntArray  # the need row of each of ukeys
    touched_needs: set[int]
    removed: list[tuple[str, str]]
    added: list[tuple[str, str]]
    v_ids: list[str]
    n_ids: list[str]
    banned: dict[str, set[str]]
    slot_names: tuple[str, ...]
    v_row: dict[str, int]
    fingerprints: dict[int, Any] | None
    served_priority: int
    pair_cost: int
    load_pairs: int
    units_demanded: int
    units_served: int
    priority_demanded: int
    distance_sum: int
    load_hist: IntArray
    units: dict[str, list[int]]
    load: IntArray
    node_row: IntArray
    p_cost: IntArray
    p_dist: NDArray[np.float64]
    p_parts: NDArray[np.float64]
    plan: dict[int, Match]
    problem: Problem
    v_node: IntArray
    n_node: IntArray
    n_row: dict[str, int]
    n_deg: IntArray
    v_deg: IntArray
    n_hi: IntArray
    n_lo: IntArray
    capacity: IntArray
    spread: int

    def _table(self, code: IntArray, k: int) -> NDArray[np.int64]:
        """Per code (the last: unknown), [served, demand, records] of the needs."""
        idx = np.where(code >= 0, code, k)
        out = np.zeros((k + 1, 3), np.int64)
        np.add.at(out[:, 0], idx, self.served[: len(idx)])
        np.add.at(out[:, 1], idx, self.demand[: len(idx)])
        np.add.at(out[:, 2], idx, 1)
        return out

    def _tables(self, rows: IntArray, sign: int) -> None:
        """Add (+1) or take (-1) need *rows* to the category and community sums."""
        enc = self.rows.encoding
        for table, codes, k in (
            (self.cat, enc.need_cat[rows], len(self.cat_names)),
            (self.comm, enc.need_comm[rows], len(self.comm_names)),
        ):
            at = np.where(codes >= 0, codes, k)
            np.add.at(table[:, 0], at, sign * self.served[rows])
            np.add.at(table[:, 1], at, sign * self.demand[rows])
            np.add.at(table[:, 2], at, sign)

    # -- pairs and degrees

    def _need_terms(self, rows: IntArray) -> IntArray:
        return need_spread(self.demand[rows], self.n_deg[rows], self.n_hi[rows], self.n_lo[rows])

    def _vol_terms(self, rows: IntArray) -> IntArray:
        return volunteer_spread(self.capacity[rows], self.v_deg[rows], self.load_step)

    def _drop_plan_arcs(self, arcs: list[int]) -> None:
        for k in arcs:
            m = self.plan.pop(k, None)
            if m is not None:
                self._unmatch(k, m)
        self._settle_moves()

    def _grow_arcs(self) -> None:
        size = len(self.live.flow.live_arc)
        if size > len(self.p_cost):
            self.p_cost = _room(self.p_cost, size)
            self.p_dist = _room(self.p_dist, size)
            self.p_parts = _room(self.p_parts, size)

    def _store_pairs(
        self, arcs: list[int], parts: dict[str, Any], cost: IntArray, dist: Any
    ) -> None:
        self._grow_arcs()
        k = np.asarray(arcs, np.int64) >> 1
        self.p_cost[k] = cost
        self.p_dist[k] = dist
        for i, name in enumerate(_PART_NAMES):
            self.p_parts[k, i] = parts[name]

    # -- the unmatched needs

    # -- the plan

    def _ends(self, k: int) -> tuple[int, int]:
        """(volunteer row, need row) of pair arc *k*."""
        live, f = self.live, self.live.flow
        tail, head = int(f.frm[2 * k]), int(f.to[2 * k])
        if live.kind[tail] == _SLOT:
            tail = int(live.owner[tail])
        return int(self.node_row[tail]), int(self.node_row[head])

    def _match(self, k: int) -> None:
        """Pair arc *k* is in the plan now (the sums follow at :meth:`_settle_moves`)."""
        v, j = self._ends(k)
        vol, need = self.rows.volunteers[v], self.rows.needs[j]
        m = Match(
            need_id=need.id,
            volunteer_id=vol.id,
            cost=in_units(int(self.p_cost[k]), self.resolution),
            distance_km=float(self.p_dist[k]),
            parts=FrozenMap._of_sorted(
                dict(zip(_PART_NAMES, self.p_parts[k].tolist(), strict=True))
            ),
        )
        self.plan[k] = m
        key = (m.need_id, m.volunteer_id)
        self.m_add[key] = m
        self.added.append(key)
        self._moves.append(2 * k)  # even: made

    def _unmatch(self, k: int, m: Match) -> None:
        """Pair arc *k* (match *m*) left the plan (the sums follow at :meth:`_settle_moves`)."""
        key = (m.need_id, m.volunteer_id)
        if self.m_add.pop(key, None) is None:
            self.m_drop.add(key)
        self.removed.append(key)
        self._moves.append(2 * k + 1)  # odd: dropped

    def _sync_matches(self) -> None:
        """Bring the sorted match lists up to date with the matches made and dropped."""
        add, drop = self.m_add, self.m_drop
        if len(add) + len(drop) <= IN_PLACE:  # a few: in place
            for key in drop:
                at = bisect.bisect_left(self.mkeys, key)
                del self.mkeys[at]
                del self.mlist[at]
            for key, m in add.items():
                at = bisect.bisect_left(self.mkeys, key)
                self.mkeys.insert(at, key)
                self.mlist.insert(at, m)
        else:  # many: one pass and a merge of two sorted runs
            both = [(k, m) for k, m in zip(self.mkeys, self.mlist, strict=True) if k not in drop]
            both += sorted(add.items(), key=_first)
            both.sort(key=_first)
            self.mkeys = [k for k, _ in both]
            self.mlist = [m for _, m in both]
        add.clear()
        drop.clear()

    def _settle_moves(self) -> None:
        """The sums after the units made and dropped since the last call (their arcs still there)."""
        if not self._moves:
            return
        moves = np.array(self._moves, np.int64)
        self._moves.clear()
        k, sign = moves >> 1, 1 - 2 * (moves & 1)
        live, f = self.live, self.live.flow
        tails = f.frm[2 * k]
        tails = np.where(live.kind[tails] == _SLOT, live.owner[tails], tails)
        v, j = self.node_row[tails], self.node_row[f.to[2 * k]]
        # the volunteers' loads: each volunteer moves from its load before to its load after
        each = np.unique(v)
        old = self.load[each].copy()
        np.add.at(self.load, v, sign)
        new = self.load[each]
        self.load_pairs += int((new * (new - 1) // 2 - old * (old - 1) // 2).sum())
        self.load_hist = _room(self.load_hist, int(new.max()) + 1)
        np.subtract.at(self.load_hist, old, 1)
        np.add.at(self.load_hist, new, 1)
        vols = self.rows.volunteers
        took_part = (new > 0).astype(np.int64) - (old > 0)  # +1 began, -1 stopped serving
        began = took_part != 0
        for r, d in zip(each[began].tolist(), took_part[began].tolist(), strict=True):
            self.units[vols[r].unit or UNKNOWN][0] += d
        # the needs served, and the plan's sums
        np.add.at(self.served, j, sign)
        self.units_served += int(sign.sum())
        self.served_priority += int((sign * self.priority[j]).sum())
        self.pair_cost += int((sign * self.p_cost[k]).sum())
        scale = 1 << 1074  # distances summed exactly: each float is num / 2**e
        for d, s in zip(self.p_dist[k].tolist(), sign.tolist(), strict=True):
            num, den = d.as_integer_ratio()
            self.distance_sum += s * num * (scale // den)
        enc = self.rows.encoding
        for table, codes, kk in (
            (self.cat, enc.need_cat[j], len(self.cat_names)),
            (self.comm, enc.need_comm[j], len(self.comm_names)),
        ):
            np.add.at(table[:, 0], np.where(codes >= 0, codes, kk), sign)
        self.touched_needs.update(j.tolist())

    def _short_needs(self) -> None:
        """The list of short needs, after the needs whose service changed.

        The entries themselves are made when a result's ``unmatched`` is
        first read (:meth:`_unmatched_now`): the candidate counts a volunteer
        changes (thousands of needs, near or far) cost nothing here.
        """
        alive, served, demand = self.rows.need_alive, self.served, self.demand
        rows = np.array(sorted(self.touched_needs), np.int64)
        if not len(rows):
            return
        rows = rows[alive[rows]]
        short = served[rows] < demand[rows]
        fresh = rows[short & ~self.known[rows]]
        # short for the first time: counted against every volunteer near
        found = self.rows.pairs_of_needs(fresh.tolist())
        for r, rp in zip(fresh.tolist(), found, strict=True):
            self.counts[r] = rp.passed[0]  # rule 1 (column 0): by group, when read
            banned = self.banned.get(self.n_ids[r])
            if banned:  # rule 5 fails for a forbidden pair (the search does not know them)
                vols = self.rows.volunteers
                self.counts[r, 4] -= sum(vols[v].id in banned for v in rp.volunteer.tolist())
            self.known[r] = True
        needs, keys = self.rows.needs, self.ukeys
        for r, s in zip(rows.tolist(), short.tolist(), strict=True):
            nid = needs[r].id
            at = bisect.bisect_left(keys, nid)
            there = at < len(keys) and keys[at] == nid
            if s and not there:
                keys.insert(at, nid)
                self.urows = np.insert(self.urows, at, r)
            elif there and not s:
                self._drop_unmatched([nid])

    def _drop_unmatched(self, nids: list[str]) -> None:
        """Take the needs *nids* off the list of unmatched needs (those on it)."""
        keys = self.ukeys
        ats = [bisect.bisect_left(keys, nid) for nid in nids]
        ats = [at for at, nid in zip(ats, nids, strict=True) if at < len(keys) and keys[at] == nid]
        if not ats:
            return
        if len(ats) > 32:  # one pass over the list, not a shift of its tail for each
            drop = set(ats)
            keys[:] = [k for i, k in enumerate(keys) if i not in drop]
        else:
            for at in sorted(ats, reverse=True):
                del keys[at]
        self.urows = np.delete(self.urows, ats)

    def _unmatched_now(self) -> LazyTuple[Unmatched]:
        """The unmatched needs now: their numbers copied, their entries made when read."""
        keys = tuple(self.ukeys)
        rows = self.urows
        counts = self.counts[rows]
        counts[:, 0] = self.rows.skill_count[self.rows.classes[0][rows]]
        missing = self.demand[rows] - self.served[rows]

        def make() -> tuple[Unmatched, ...]:
            first = first_empty_filter(counts)
            reasons = (*RULE_REASONS, "taken")  # first == -1: "taken"
            return tuple(
                map(
                    _unmatched,
                    keys,
                    missing.tolist(),
                    map(reasons.__getitem__, first),
                    map(tuple, counts.tolist()),
                )
            )

        return LazyTuple(make, len(keys))

    # -- the result

    def _result(self, previous: Result, problem: Problem) -> Result:
        int_cost = self.pair_cost + self.load_step * self.load_pairs
        objective = Objective(
            served_priority=self.served_priority,
            int_cost=int_cost,
            cost=in_units(int_cost, self.resolution),
            int_penalty=0,
            penalty=0.0,
        )

        def table(t: NDArray[np.int64], names: tuple[str, ...]) -> dict[str, list[int]]:
            return shares_of(names, t[:, 0].tolist(), t[:, 1].tolist(), t[:, 2].tolist())

        nv = len(self.v_row)
        metrics = metrics_of(
            units_demanded=self.units_demanded,
            units_served=self.units_served,
            served_priority=self.served_priority,
            priority_demanded=self.priority_demanded,
            total_cost=objective.cost,
            edge_cost=self.pair_cost,
            resolution=self.resolution,
            n_matches=len(self.mkeys),
            distance_sum=self.distance_sum,
            volunteers=nv,
            load_hist=np.trim_zeros(self.load_hist, "b") if nv else np.zeros(1, np.int64),
            by_category=table(self.cat, self.cat_names),
            by_community=table(self.comm, self.comm_names),
            by_unit=self.units,
        )
        churn = self._churn(previous)
        return Result(
            status=Status.OPTIMAL,
            method="flow",
            matches=tuple(self.mlist),
            unmatched=self._unmatched_now(),
            objective=objective,
            metrics=metrics,
            certificate=self._certificate(),
            churn=churn,
            provenance=Provenance(
                previous.provenance.matcher_version if previous.provenance else _version(),
                problem.policy,
                Fingerprint.deferred(problem, self.fingerprints),
            ),
        )

    def _churn(self, previous: Result) -> Churn:
        removed, added = set(self.removed), set(self.added)
        gone, new = removed - added, added - removed
        per: dict[str, list[int]] = {}
        for n, _ in gone:
            per.setdefault(n, [0, 0])[0] += 1
        for n, _ in new:
            per.setdefault(n, [0, 0])[1] += 1
        moved = sum(min(a, b) for a, b in per.values())
        last = previous.matches
        before = LazyTuple(lambda: tuple((m.need_id, m.volunteer_id) for m in last), len(last))
        return Churn._of(
            cost=0.0,
            int_cost=0,
            previous=before,
            kept=len(before) - len(gone),
            moved=moved,
            added=len(new) - moved,
            dropped=len(gone) - moved,
        )

    def _certificate(self) -> Certificate:
        """The certificate now: the potentials and the node tables copied, named when read.

        Nothing here touches a Python object per node: ids are looked up
        (node -> row -> id; rows are never re-used) only when a reader asks.
        """
        f, live = self.live.flow, self.live
        n = f._n
        pi = f.pi[:n] - f.pi[SOURCE]
        kind = live.kind[:n].copy()
        alive = f.alive[:n].copy()
        row = self.node_row[:n].astype(np.int32)
        with_slots = live.slots and bool(live.slot_node)
        owner = live.owner[:n].copy() if with_slots else kind
        slot = live.slot_of[:n].copy() if with_slots else kind
        v_ids, n_ids = self.v_ids, self.n_ids  # only appended to: rows < len stay
        names = self.slot_names

        def by_id(want: int, ids: list[str]) -> dict[str, int]:
            nodes = np.flatnonzero((kind == want) & alive)
            keys = map(ids.__getitem__, row[nodes].tolist())
            return dict(sorted(zip(keys, pi[nodes].tolist(), strict=True)))

        def slots() -> dict[str, Mapping[str, int]]:
            nodes = np.flatnonzero((kind == _SLOT) & alive)
            table: dict[str, dict[str, int]] = {}
            for o, s, p in zip(
                row[owner[nodes]].tolist(), slot[nodes].tolist(), pi[nodes].tolist(), strict=True
            ):
                table.setdefault(v_ids[o], {})[names[s]] = p
            return {
                v: FrozenMap._of_sorted(dict(sorted(t.items()))) for v, t in sorted(table.items())
            }

        return Certificate(
            big_m=self.big_m,
            volunteers=LazyFrozenMap(lambda: by_id(_VOL, v_ids)),
            needs=LazyFrozenMap(lambda: by_id(_NEED, n_ids)),
            slots=LazyFrozenMap(slots) if with_slots else FrozenMap(),
            engage=None,
        )


def _unmatched(need_id: str, missing: int, reason: str, candidates: tuple[int, ...]) -> Unmatched:
    """An :class:`Unmatched` of checked Python ints, made without its checks (thousands an event)."""
    u = _new(Unmatched)
    d = u.__dict__
    d["need_id"], d["missing"], d["reason"], d["candidates"] = need_id, missing, reason, candidates
    return u


_new = object.__new__


def _version() -> str:
    from .._version import __version__

    return __version__


def _first(item: tuple[tuple[str, str], Match]) -> tuple[str, str]:
    return item[0]
