"""An assignment kept exactly optimal, with its certificate, one event at a time.

:class:`LiveAssignment` holds an :class:`~._base.Instance`'s plan on the
*certificate network* of :mod:`._duals` (source, volunteers, (volunteer, slot)
nodes, needs; unit load arcs with convex costs, pinned pairs as lower bounds,
unserved arcs at ``B x priority`` or the user's cost) as a
:class:`~.dynamic.DynamicFlow`, and the potentials that prove it. An event --
a need or a volunteer arrives or leaves, a pair opens, closes, changes cost,
is pinned or released -- changes the network where it happens and repairs it
there (:mod:`.dynamic`): afterwards the plan is a min-cost flow of the
instance as it now is, and the potentials are its certificate, exactly as
:func:`~._duals.potentials` defines one.

How each event starts its repair (so that the searches stay local):

- a need arrives: no flow on its arcs, its potential the least its arcs allow;
  its demand is a deficit at the need, searched backward to the source;
- a volunteer arrives: its potential the most its pair arcs allow; the load
  arcs this leaves with a negative reduced cost are filled, an excess at the
  volunteer searched forward to the source;
- a record leaves: the flow on its arcs comes back as excess and deficit at
  their other ends, each searched to the source.

Events inside :meth:`LiveAssignment.batch` are repaired together, once, when
it closes: a need that arrives then ends its search at the nearest unit freed
by one that left, where one at a time would send the freed unit to the source
and search again from there (1% of the needs of a tier L city replaced in one
update settle 1.6x to 2.5x fewer nodes: 390,000 against 634,000 on the
clustered city, 865,000 against 2,145,000 on the uniform one).

The source joins every volunteer and every need: a search that had to go
*through* it would scan the whole city. :meth:`DynamicFlow.repair` with
``hub=source`` makes the source the end of every search instead (deficits
first, with the source lent their sum; then the excesses, to the source).

Node numbers are the handles of records: :meth:`add_need` and
:meth:`add_volunteer` return them; an instance loaded whole with
:meth:`LiveAssignment.from_plan` numbers volunteer ``i`` as ``1 + i`` and need
``j`` as ``1 + n_volunteers + j``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from numpy.typing import NDArray

from ._base import Instance, marginal_cost, unit_cost
from ._duals import Potentials, slot_node_keys, unserved_costs
from .dynamic import DynamicFlow, RepairStats

__all__ = ["LiveAssignment"]

IntArray = NDArray[np.int64]
SOURCE = 0
_VOL, _NEED, _SLOT = 1, 2, 3


class LiveAssignment:
    """A plan of an assignment instance and its proof, kept optimal event by event.

    Parameters
    ----------
    slots : bool
        The one-need-per-slot rule is on.
    load_step : int
        A volunteer's ``k``-th need (0-based) costs ``k * load_step`` more.
    engage : int, default 0
        Taken off the cost of a volunteer's first need (participation).

    Examples
    --------
    >>> live = LiveAssignment(slots=False, load_step=0)
    >>> ana = live.add_volunteer(1, [])
    >>> ride = live.add_need(1, 100, -1, [(ana, 7)])
    >>> live.plan(), live.cost()
    ([(1, 2)], 7)
    >>> bo = live.add_volunteer(1, [(ride, 3)])   # closer: takes the ride
    >>> live.plan(), live.cost()
    ([(3, 2)], 3)
    >>> live.remove_volunteer(bo)
    >>> live.plan(), live.last.searches
    ([(1, 2)], 1)
    """

    def __init__(self, *, slots: bool, load_step: int, engage: int = 0) -> None:
        self.flow = DynamicFlow()
        self.slots = bool(slots)
        self.load_step = int(load_step)
        self.engage = int(engage)
        s = self.flow.add_node()
        assert s == SOURCE
        self.kind = np.zeros(16, np.int8)  # per node
        self.slot_of = np.full(16, -1, np.int64)  # a need's slot; a slot node's slot
        self.owner = np.full(16, -1, np.int64)  # a slot node's volunteer
        self.slot_node: dict[tuple[int, int], int] = {}  # (volunteer node, slot) -> node
        self.last = RepairStats(0, 0, 0)
        self.last_arcs: list[int] = []  # the pair arcs the last add_need / add_volunteer made
        self.loaded_pairs = np.zeros(0, np.int64)  # the arc of each edge from_plan loaded
        self._deferred = False  # inside batch(): repairs wait for its end

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_plan(
        cls,
        inst: Instance,
        chosen: IntArray,
        pinned: NDArray[np.bool_],
        certificate: Potentials,
    ) -> LiveAssignment:
        """The live form of an optimal plan *chosen* of *inst* and its *certificate*.

        *inst* is the whole instance (pinned edges in, ``load_start`` zero), as
        :func:`~._duals.potentials` takes it; *certificate* is what it returned.

        Raises
        ------
        ValueError
            If the certificate does not prove the plan.
        """
        nv, nn, m = inst.n_volunteers, inst.n_needs, inst.n_edges
        live = cls(slots=inst.slot is not None, load_step=inst.load_step, engage=inst.engage)
        f = live.flow
        vol = f.add_nodes(nv, certificate.volunteer)
        need = f.add_nodes(nn, certificate.need)
        used = np.zeros(m, bool)
        used[chosen] = True
        tail = vol[inst.volunteer]
        width = 0
        if inst.slot is not None and m:
            width, slotted, key, keys = slot_node_keys(inst)
            nodes = f.add_nodes(len(keys), certificate.slot_node)
            node_of_key = np.full(nv * width, -1, np.int64)
            node_of_key[keys] = nodes
            tail = tail.copy()
            tail[slotted] = node_of_key[key]
            busy = np.zeros(len(keys), np.int64)
            np.add.at(busy, np.searchsorted(keys, key[used[slotted]]), 1)
            live._grow(f._n)
            live.kind[nodes] = _SLOT
            live.owner[nodes] = vol[keys // width]
            live.slot_of[nodes] = keys % width
            live.slot_node = dict(
                zip(
                    zip(vol[keys // width].tolist(), (keys % width).tolist(), strict=True),
                    nodes.tolist(),
                    strict=True,
                )
            )
            slot_arcs = f.add_arcs(
                vol[keys // width], nodes, np.ones(len(keys), np.int64), 0 * keys
            )
            _fill(f, slot_arcs, busy)
        live._grow(f._n)
        live.kind[vol], live.kind[need] = _VOL, _NEED
        if inst.slot is not None:
            live.slot_of[need] = inst.slot
        pair = f.add_arcs(tail, need[inst.need], np.ones(m, np.int64), inst.cost)
        live.loaded_pairs = pair
        _fill(f, pair, used.astype(np.int64))
        for a in pair[pinned].tolist():
            f.freeze(a)
        cap = np.maximum(inst.capacity, 0)
        lv = np.repeat(np.arange(nv, dtype=np.int64), cap)
        k = np.arange(len(lv), dtype=np.int64) - np.repeat(np.cumsum(cap) - cap, cap)
        load_arcs = f.add_arcs(0 * lv, vol[lv], np.ones(len(lv), np.int64), unit_cost(inst, lv, k))
        load = np.bincount(inst.volunteer[chosen], minlength=nv)
        _fill(f, load_arcs, (k < load[lv]).astype(np.int64))
        dem = np.maximum(inst.demand, 0)
        served = np.bincount(inst.need[chosen], minlength=nn)
        unserved = unserved_costs(inst, certificate.big_m)
        un = f.add_arcs(np.zeros(nn, np.int64), need, dem, unserved)
        _fill(f, un, dem - served)
        f.excess[:] = 0  # the plan is a flow: every node balanced
        bad = f.violations()
        if len(bad):
            raise ValueError(f"the certificate does not prove the plan ({len(bad)} arcs fail)")
        return live

    # ------------------------------------------------------------------ events

    def add_need(
        self, demand: int, unserved_cost: int, slot: int, pairs: Iterable[tuple[int, int]]
    ) -> int:
        """A need arrives with its candidate pairs ``(volunteer node, cost)``; its node."""
        f = self.flow
        j = f.add_node()
        self._grow(j + 1)
        self.kind[j], self.slot_of[j] = _NEED, slot if self.slots else -1
        pairs = list(pairs)
        tails = [SOURCE] + [self._tail(int(v), int(self.slot_of[j])) for v, _ in pairs]
        costs = np.array([int(unserved_cost)] + [int(c) for _, c in pairs], np.int64)
        room = np.ones(len(tails), np.int64)  # a pair: one unit; unserved: the demand
        room[0] = int(demand)
        arcs = f.add_arcs(tails, np.full(len(tails), j, np.int64), room, costs)
        self.last_arcs = arcs[1:].tolist()
        f.pi[j] = int(np.min(f.pi[tails] + costs))  # the least its arcs allow
        f.add_supply(j, -int(demand))
        f.add_supply(SOURCE, int(demand))
        self._repair()
        return j

    def add_volunteer(self, capacity: int, pairs: Iterable[tuple[int, int]]) -> int:
        """A volunteer arrives with its candidate pairs ``(need node, cost)``; its node.

        :attr:`last_arcs` holds the arc made for each pair, in order (as after
        :meth:`add_need`).
        """
        f = self.flow
        v = f.add_node()
        self._grow(v + 1)
        self.kind[v] = _VOL
        by_tail: dict[int, list[tuple[int, int, int]]] = {}
        for k, (j, cost) in enumerate(pairs):
            tail = self._tail(v, int(self.slot_of[int(j)]))
            by_tail.setdefault(tail, []).append((int(j), int(cost), k))
        low = None
        for tail, arcs in by_tail.items():
            need = max(int(f.pi[j]) - c for j, c, _ in arcs)
            if tail != v:
                f.pi[tail] = need
            low = need if low is None else max(low, need)
        made = np.array(
            [(tail, j, c, k) for tail, arcs in by_tail.items() for j, c, k in arcs], np.int64
        ).reshape(-1, 4)  # tail, need, cost, place in pairs
        pair_arcs = f.add_arcs(made[:, 0], made[:, 1], np.ones(len(made), np.int64), made[:, 2])
        self.last_arcs = pair_arcs[np.argsort(made[:, 3])].tolist()
        costs = self._unit_costs(int(capacity))
        first_load = int(costs[0]) if len(costs) else 0
        f.pi[v] = low if low is not None else int(f.pi[SOURCE]) + first_load
        n = len(costs)
        loads = f.add_arcs(np.zeros(n, np.int64), np.full(n, v), np.ones(n, np.int64), costs)
        f.saturate_broken(loads.tolist())
        self._repair()
        return v

    def pair_flow(self, arcs: IntArray) -> IntArray:
        """Units of flow on pair *arcs* (1: the pair is in the plan)."""
        k = np.asarray(arcs, np.int64)
        return self.flow.res[k + 1] + self.flow.held[k >> 1]

    def set_pair_costs(self, arcs: IntArray, costs: IntArray) -> None:
        """New costs for pair *arcs* that lower the cost of pairs in the plan and raise the others'.

        Such a change keeps the proof (a churn term moving to the last plan's
        pairs is one), so nothing is repaired; any other change is refused.

        Raises
        ------
        ValueError
            If a pair in the plan would cost more, or one out of it less.
        """
        f = self.flow
        a = np.asarray(arcs, np.int64)
        c = np.asarray(costs, np.int64)
        old = f.cost_[a]
        used = self.pair_flow(a) > 0
        if (used & (c > old)).any() or (~used & (c < old)).any():
            raise ValueError("a cost change that could break the proof: use set_pair_cost")
        f.cost_[a], f.cost_[a + 1] = c, -c

    def remove_need(self, j: int) -> None:
        """Need *j* leaves (its demand with it)."""
        self.remove_needs([j])

    def remove_needs(self, needs: IntArray | Sequence[int]) -> None:
        """Distinct *needs* leave together (their demand with them), as one at a time would."""
        f = self.flow
        js = np.asarray(needs, np.int64)
        into, _ = f.arcs_of_nodes(js)  # odd: the reverses of the arcs into them
        touched = np.unique(f.to[into])
        f.remove_arcs(into ^ 1)
        f.add_supply(SOURCE, int(f.excess[js].sum()))  # the demand they no longer absorb
        f.remove_nodes(js)
        for tail in touched[touched != SOURCE].tolist():
            # a volunteer's node may have lost several units; one it cannot give back is searched
            while f.excess[tail] > 0 and self._give_back(tail):
                pass
        self._repair()
        self._drop_empty_slots(touched[self.kind[touched] == _SLOT])

    def _give_back(self, u: int) -> bool:
        """Send back to the source the unit a volunteer (or slot) node *u* no longer passes on.

        The unit goes back the way it came (the slot arc, then the volunteer's
        dearest filled load arc), so the flow is balanced at once; then the
        potentials of the nodes it passed are moved within what their arcs
        allow: then nothing needs searching. If no such value exists (the freed
        volunteer is wanted elsewhere), all is undone and False returned: the
        excess at *u* is searched as any other.
        """
        f = self.flow
        nodes, pushed = [u], []
        if self.kind[u] == _SLOT:
            v = int(self.owner[u])
            back = next(a for a in f.arcs_of(u) if a & 1 and f.to[a] == v and f.res[a] > 0)
            pushed.append(back)
            nodes.insert(0, v)
        v = nodes[0]
        loads = [a for a in f.arcs_of(v) if a & 1 and f.to[a] == SOURCE and f.res[a] > 0]
        pushed.append(min(loads, key=lambda a: int(f.cost_[a])))  # the dearest unit (cost -c)
        for a in pushed:
            f.push(a, 1)
        old = [int(f.pi[x]) for x in nodes]
        for x in nodes:
            mine = f.arcs_of(x)
            low = max((int(f.pi[f.to[a]] - f.cost_[a]) for a in mine if f.res[a] > 0), default=None)
            high = min(
                (int(f.cost_[a ^ 1] + f.pi[f.to[a]]) for a in mine if f.res[a ^ 1] > 0),
                default=None,
            )
            if low is not None and high is not None and low > high:
                # the freed volunteer is wanted: undo, and search from u as for any excess
                for a in reversed(pushed):
                    f.push(a ^ 1, 1)
                for y, p in zip(nodes, old, strict=True):
                    f.pi[y] = p
                return False
            value = int(f.pi[x]) if high is None else min(int(f.pi[x]), high)
            f.pi[x] = value if low is None else max(value, low)
        return True

    def volunteer_pairs(self, v: int) -> tuple[list[int], IntArray]:
        """Volunteer *v*'s (volunteer, slot) nodes, and its pair arcs (even), through them too."""
        f = self.flow
        mine = f.arcs_of(v)
        heads = f.to[mine]
        out = (mine & 1) == 0
        slots = heads[out & (self.kind[heads] == _SLOT)].tolist()
        pairs = [mine[out & (self.kind[heads] == _NEED)]]
        for w in slots:
            theirs = f.arcs_of(w)
            pairs.append(theirs[(theirs & 1) == 0])
        return slots, np.concatenate(pairs)

    def remove_volunteer(self, v: int) -> None:
        """Volunteer *v* leaves."""
        f = self.flow
        slots, pairs = self.volunteer_pairs(v)
        own = f.arcs_of(v) & ~1  # its load, slot and pair arcs
        f.remove_arcs(np.concatenate([own, pairs[f.frm[pairs] != v]]))
        f.remove_nodes([*slots, v])  # their excess goes with them
        for w in slots:
            del self.slot_node[(v, int(self.slot_of[w]))]
        self._repair()

    def _pair_arc(self, v: int, j: int) -> int:
        tail = self.slot_node.get((v, int(self.slot_of[j])), v) if self.slots else v
        for a in self.flow.arcs_of(tail):
            if not a & 1 and int(self.flow.to[a]) == j:
                return a
        raise KeyError(f"no pair ({v}, {j})")

    def add_pair(self, v: int, j: int, cost: int) -> None:
        """The pair (*v*, *j*) becomes possible at *cost*."""
        f = self.flow
        tail = self._tail(v, int(self.slot_of[j]))
        f.saturate_broken([f.add_arc(tail, j, 1, cost)])
        self._repair()

    def remove_pair(self, v: int, j: int) -> None:
        """The pair (*v*, *j*) is no longer possible (forbidden, out of reach)."""
        f = self.flow
        a = self._pair_arc(v, j)
        tail = int(f.frm[a])
        f.remove_arc(a)
        self._repair()
        self._drop_empty_slots([tail] if self.kind[tail] == _SLOT else [])

    def set_pair_cost(self, v: int, j: int, cost: int) -> None:
        """The pair (*v*, *j*) now costs *cost*."""
        self.flow.set_cost(self._pair_arc(v, j), cost)
        self._repair()

    def pin(self, v: int, j: int) -> None:
        """The pair (*v*, *j*) must be in the plan (it fits: checked by the caller)."""
        f = self.flow
        a = self._pair_arc(v, j)
        if f.flow(a) == 0:
            f.push(a, 1)
        f.freeze(a)
        self._repair()

    def unpin(self, v: int, j: int) -> None:
        """The pair (*v*, *j*) need no longer be in the plan."""
        self.flow.thaw(self._pair_arc(v, j))
        self._repair()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Repair the events made inside once, together, when the block ends.

        Inside, each event changes the network and leaves its imbalances
        where they are (the potentials stay a proof on every arc with room);
        at the end every imbalanced node is routed in one
        :meth:`~.dynamic.DynamicFlow.repair`, deficits first. The plan is then
        a min-cost flow of the network as it is, as after the same events one
        at a time; where several plans tie, it may be another of them. If the
        block raises, nothing is repaired (the state is the caller's to drop).

        Examples
        --------
        >>> live = LiveAssignment(slots=False, load_step=0)
        >>> with live.batch():
        ...     ana = live.add_volunteer(1, [])
        ...     ride = live.add_need(1, 100, -1, [(ana, 7)])
        ...     live.plan()                       # not yet repaired
        []
        >>> live.plan(), live.last.searches
        ([(1, 2)], 1)
        """
        if self._deferred:
            raise RuntimeError("batch() inside batch()")
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
        self._repair()

    # ------------------------------------------------------------------ reading

    def plan(self) -> list[tuple[int, int]]:
        """The plan: ``(volunteer node, need node)`` of each pair with flow, sorted."""
        a, v, j = self._pair_arcs()
        used = self.pair_flow(a) > 0
        return sorted(zip(v[used].tolist(), j[used].tolist(), strict=True))

    def _pair_arcs(self) -> tuple[IntArray, IntArray, IntArray]:
        """The pair arcs (even numbers), the volunteer node and the need node of each."""
        f = self.flow
        a = 2 * np.flatnonzero(f.live_arc[: f._m])
        tail, head = f.frm[a], f.to[a]
        pair = (tail != SOURCE) & (self.kind[head] == _NEED)
        a, tail, head = a[pair], tail[pair], head[pair]
        return a, np.where(self.kind[tail] == _SLOT, self.owner[tail], tail), head

    def instance(self) -> tuple[Instance, IntArray, IntArray]:
        """The instance held now, and the nodes of its volunteers and needs (in its order).

        Its ``unserved_cost`` are the network's (``B x priority`` under the
        coverage-first objective: solve it with ``priority_first=False``), its
        priorities 1; the plan's cost on it is :meth:`cost`.
        """
        f = self.flow
        kind, alive = self.kind[: f._n], f.alive[: f._n]
        vols = np.flatnonzero((kind == _VOL) & alive)
        needs = np.flatnonzero((kind == _NEED) & alive)
        vi = np.full(f._n, -1, np.int64)
        vi[vols] = np.arange(len(vols))
        ni = np.full(f._n, -1, np.int64)
        ni[needs] = np.arange(len(needs))
        a = 2 * np.flatnonzero(f.live_arc[: f._m])
        tail, head = f.frm[a], f.to[a]
        load = (tail == SOURCE) & (self.kind[head] == _VOL)
        unserved = a[(tail == SOURCE) & (self.kind[head] == _NEED)]  # never frozen
        demand = np.zeros(len(needs), np.int64)
        demand[ni[f.to[unserved]]] = f.res[unserved] + f.res[unserved + 1]
        unit = np.zeros(len(needs), np.int64)
        unit[ni[f.to[unserved]]] = f.cost_[unserved]
        pa, pv, pj = self._pair_arcs()
        order = np.lexsort((vi[pv], ni[pj]))
        inst = Instance(
            n_volunteers=len(vols),
            n_needs=len(needs),
            volunteer=vi[pv][order],
            need=ni[pj][order],
            cost=f.cost_[pa][order],
            capacity=np.bincount(vi[head[load]], minlength=len(vols)),
            demand=demand,
            priority=np.ones(len(needs), np.int64),
            slot=self.slot_of[needs].copy() if self.slots else None,
            load_step=self.load_step,
            load_start=np.zeros(len(vols), np.int64),
            unserved_cost=unit,
            engage=self.engage,
        )
        return inst, vols, needs

    def slot_nodes(self) -> tuple[IntArray, IntArray, IntArray]:
        """The (volunteer, slot) nodes: their numbers, volunteer nodes and slots."""
        f = self.flow
        nodes = np.flatnonzero((self.kind[: f._n] == _SLOT) & f.alive[: f._n])
        return nodes, self.owner[nodes], self.slot_of[nodes]

    def cost(self) -> int:
        """The plan's cost on the certificate network (load, pairs and unserved units)."""
        return self.flow.cost()

    def potential(self, nodes: IntArray | Sequence[int]) -> IntArray:
        """The certificate's potentials of *nodes* (the source's taken as 0)."""
        return self.flow.pi[np.asarray(nodes, np.int64)] - self.flow.pi[SOURCE]

    # ------------------------------------------------------------------ inner

    def _repair(self) -> None:
        """Repair the imbalances the event left (the flow knows where), unless in batch()."""
        if not self._deferred:
            self.last = self.flow.repair(hub=SOURCE)

    def _unit_costs(self, capacity: int) -> IntArray:
        k = np.arange(max(capacity, 0), dtype=np.int64)
        return marginal_cost(k, self.load_step, self.engage)

    def _tail(self, v: int, slot: int) -> int:
        """The node a pair arc of volunteer *v* into a need of *slot* leaves from."""
        if not self.slots or slot < 0:
            return v
        node = self.slot_node.get((v, slot))
        if node is None:
            f = self.flow
            node = f.add_node(int(f.pi[v]))  # the arc v -> node at reduced cost 0
            self._grow(node + 1)
            self.kind[node], self.slot_of[node], self.owner[node] = _SLOT, slot, v
            f.add_arc(v, node, 1, 0)
            self.slot_node[(v, slot)] = node
        return node

    def _drop_empty_slots(self, nodes: IntArray | Sequence[int]) -> None:
        """Remove the (volunteer, slot) nodes of *nodes* left without a pair.

        No flow is left on them, except inside :meth:`batch` (not repaired yet):
        it goes back to the volunteer's balance, which the batch's repair routes
        (the flow notes the volunteer when the arc goes).
        """
        f = self.flow
        w = np.unique(np.asarray(nodes, np.int64))
        arcs, starts = f.arcs_of_nodes(w)
        pairs = np.r_[0, np.cumsum((arcs & 1) == 0)]  # pair arcs leave a slot node
        empty = pairs[starts[1:]] == pairs[starts[:-1]]
        if not empty.any():
            return
        # each empty node has one arc left: the reverse of the arc from its volunteer
        gone = np.repeat(empty, np.diff(starts))
        f.remove_arcs(arcs[gone] ^ 1)
        f.remove_nodes(w[empty])
        owners = self.owner[w[empty]]
        for v, t in zip(owners.tolist(), self.slot_of[w[empty]].tolist(), strict=True):
            del self.slot_node[(v, t)]

    def _grow(self, n: int) -> None:
        if n <= len(self.kind):
            return
        size = max(n, 2 * len(self.kind))
        for name, fill in (("kind", 0), ("slot_of", -1), ("owner", -1)):
            old = getattr(self, name)
            new = np.full(size, fill, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)


def _fill(f: DynamicFlow, arcs: IntArray, flow: IntArray) -> None:
    """Put *flow* on the new *arcs* (no excess accounting: the caller balances)."""
    f.res[arcs] -= flow
    f.res[arcs + 1] += flow
