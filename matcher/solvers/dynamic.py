"""A min-cost flow kept optimal, with its proof, while its network changes.

:class:`DynamicFlow` holds a flow, node potentials that prove it optimal, and
the residual network, in arrays. Nodes and arcs are added and removed one at a
time; each change keeps the flow within capacities and the proof valid on every
arc with room, by moving any discrepancy into the *excess* of the nodes it
touches (an arc whose reduced cost the change made negative is saturated); the
flow notes those nodes. Then
:meth:`DynamicFlow.repair` sends every excess to a deficit along shortest paths
on reduced costs -- Dijkstra with potentials, compiled -- searching from the
imbalanced node's side (:mod:`._kernels`). When it returns, the flow is a
min-cost flow of the network as it now is, and the potentials prove it.

The work of a change is in proportion to the nodes its searches settle, which
in a matching network is the neighbourhood of the change (a few to a few
hundred nodes), not the size of the network: this is what makes re-planning
after one event take microseconds in the solver (``benchmarks/REALTIME.md``).

This module sees arrays only (integers: nodes, arcs, capacities, costs); what
the nodes stand for is the caller's business.

Examples
--------
A source with 2 units, two sinks; the cheap arc fills first:

>>> f = DynamicFlow()
>>> s, a, b = f.add_node(), f.add_node(), f.add_node()
>>> cheap, dear = f.add_arc(s, a, 1, cost=1), f.add_arc(s, b, 5, cost=3)
>>> f.add_supply(s, 2); f.add_supply(a, -1); f.add_supply(b, -1)
>>> f.repair([s, a, b]).status
0
>>> f.flow(cheap), f.flow(dear), f.cost()
(1, 1, 4)

The cheap road closes; a's unit now takes a road opened at cost 4 (the
nodes the closing unbalanced are known to the flow):

>>> other = f.add_arc(s, a, 1, cost=4)
>>> f.remove_arc(cheap)
>>> stats = f.repair()
>>> f.flow(other), f.cost(), len(f.violations()), stats.searches
(1, 7, 0, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import SolverError

__all__ = ["DynamicFlow", "RepairStats"]

IntArray = NDArray[np.int64]
_NONE = -1


@dataclass(frozen=True)
class RepairStats:
    """What one :meth:`DynamicFlow.repair` did.

    Attributes
    ----------
    status : int
        0: every excess was routed (the flow is optimal and proven).
    searches : int
        Shortest-path searches run (one per path augmented).
    settled : int
        Nodes settled in all: the work done.
    """

    status: int
    searches: int
    settled: int


class DynamicFlow:
    """A min-cost flow and its node potentials, repaired after each change.

    Parameters
    ----------
    nodes, arcs : int, default 16
        Room to reserve (both grow as needed).

    Notes
    -----
    Arcs are numbered in pairs: :meth:`add_arc` returns an even number ``a``
    (the arc as added); ``a + 1`` is its reverse. Numbers of removed nodes
    and arcs are re-used by later additions (memory stays that of the largest
    network held). Potentials follow the convention of matcher's certificates:
    ``cost + pi[tail] - pi[head] >= 0`` on every arc with room.
    """

    def __init__(self, nodes: int = 16, arcs: int = 16) -> None:
        nodes, arcs = max(int(nodes), 2), max(int(arcs) * 2, 2)
        self.first = np.full(nodes, _NONE, np.int64)
        self.pi = np.zeros(nodes, np.int64)
        self.excess = np.zeros(nodes, np.int64)
        self.alive = np.zeros(nodes, np.bool_)
        self.frm = np.zeros(arcs, np.int64)
        self.to = np.zeros(arcs, np.int64)
        self.cost_ = np.zeros(arcs, np.int64)
        self.res = np.zeros(arcs, np.int64)
        self.nxt = np.full(arcs, _NONE, np.int64)
        self.prv = np.full(arcs, _NONE, np.int64)
        self.live_arc = np.zeros(arcs // 2, np.bool_)
        self.held = np.zeros(arcs // 2, np.int64)  # flow of a frozen arc (not in res)
        self.room = np.zeros(arcs // 2, np.int64)  # room of a frozen arc (not in res)
        self._n = 0  # node numbers used so far (alive or free)
        self._m = 0  # arc pairs used so far
        self._free_nodes: list[int] = []
        self._free_arcs: list[int] = []
        self._scratch_size = 0  # nodes the search's scratch arrays are sized for
        self._stamp = 0
        self._touched: list[int] = []  # nodes whose balance changed since the last repair
        # the arc pairs whose flow changed since take_log (repair, push, remove_arc)
        self._log = np.zeros(1024, np.int64)
        self._logn = np.zeros(1, np.int64)  # counts on past the end when entries are lost

    # ------------------------------------------------------------------ size

    @property
    def n_nodes(self) -> int:
        """Nodes alive."""
        return self._n - len(self._free_nodes)

    @property
    def n_arcs(self) -> int:
        """Arcs alive (each with its reverse)."""
        return self._m - len(self._free_arcs)

    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        arrays: list[NDArray] = [self.first, self.pi, self.excess, self.alive, self.frm, self.to]
        arrays += [self.cost_, self.res, self.nxt, self.prv, self.live_arc, self.held, self.room]
        return sum(a.nbytes for a in arrays) + 7 * 8 * self._scratch_size  # + the scratch

    def _grow_nodes(self, need: int) -> None:
        size = len(self.first)
        if need <= size:
            return
        new = max(need, 2 * size)
        self.first = _resized(self.first, new, _NONE)
        self.pi = _resized(self.pi, new, 0)
        self.excess = _resized(self.excess, new, 0)
        self.alive = _resized(self.alive, new, False)

    def _grow_arcs(self, pairs: int) -> None:
        size = len(self.live_arc)
        if pairs <= size:
            return
        new = max(pairs, 2 * size)
        for name in ("frm", "to", "cost_", "res"):
            setattr(self, name, _resized(getattr(self, name), 2 * new, 0))
        self.nxt = _resized(self.nxt, 2 * new, _NONE)
        self.prv = _resized(self.prv, 2 * new, _NONE)
        self.live_arc = _resized(self.live_arc, new, False)
        self.held = _resized(self.held, new, 0)
        self.room = _resized(self.room, new, 0)

    # ------------------------------------------------------------------ nodes

    def add_node(self, pi: int = 0) -> int:
        """A new node with potential *pi* (no arcs, no excess); its number."""
        if self._free_nodes:
            u = self._free_nodes.pop()
        else:
            u = self._n
            self._n += 1
            self._grow_nodes(self._n)
        self.first[u] = _NONE
        self.pi[u] = pi
        self.excess[u] = 0
        self.alive[u] = True
        return u

    def add_nodes(self, count: int, pi: IntArray | int = 0) -> IntArray:
        """*count* new nodes at the end (numbers not re-used), with potentials *pi*."""
        lo = self._n
        self._n += int(count)
        self._grow_nodes(self._n)
        self.first[lo : self._n] = _NONE
        self.pi[lo : self._n] = pi
        self.excess[lo : self._n] = 0
        self.alive[lo : self._n] = True
        return np.arange(lo, self._n, dtype=np.int64)

    def remove_node(self, u: int) -> None:
        """Remove node *u*, which has no arcs left; its excess is dropped with it."""
        self.remove_nodes([u])

    def remove_nodes(self, nodes: IntArray | Sequence[int]) -> None:
        """Remove distinct *nodes*, which have no arcs left; their excess is dropped with them."""
        u = np.asarray(nodes, np.int64)
        busy = u[self.first[u] != _NONE]
        if len(busy):
            raise ValueError(f"node {int(busy[0])} still has arcs")
        self.alive[u] = False
        self.excess[u] = 0
        self._free_nodes.extend(u.tolist())

    def add_supply(self, u: int, amount: int) -> None:
        """Node *u* supplies *amount* more (a negative amount: it absorbs more)."""
        self.excess[u] += amount
        self._touched.append(int(u))

    def arcs_of(self, u: int) -> IntArray:
        """The arcs leaving *u* (odd numbers: reverses of arcs entering it), last added first."""
        return self.arcs_of_nodes([u])[0]

    def arcs_of_nodes(self, nodes: IntArray | Sequence[int]) -> tuple[IntArray, IntArray]:
        """The arcs of each of *nodes* in one array, as :meth:`arcs_of`; where each node's start.

        Node ``nodes[i]``'s arcs are ``arcs[starts[i]:starts[i + 1]]``.
        """
        from ._kernels import nodes_arcs

        arcs, starts = nodes_arcs(np.asarray(nodes, np.int64), self.first, self.nxt)
        return arcs, starts

    # ------------------------------------------------------------------ arcs

    def add_arc(self, u: int, w: int, capacity: int, cost: int) -> int:
        """A new arc ``u -> w`` carrying no flow; its (even) number."""
        return int(self.add_arcs([u], [w], [capacity], [cost])[0])

    def add_arcs(
        self,
        tail: IntArray | Sequence[int],
        head: IntArray | Sequence[int],
        capacity: IntArray | Sequence[int],
        cost: IntArray | Sequence[int],
    ) -> IntArray:
        """Many new arcs ``tail[i] -> head[i]`` at once; their even numbers.

        Numbered and linked exactly as :meth:`add_arc` called for each in turn
        would (freed numbers first, the last freed first).
        """
        tail, head = np.asarray(tail, np.int64), np.asarray(head, np.int64)
        k = len(tail)
        reuse = min(k, len(self._free_arcs))
        pairs = np.empty(k, np.int64)
        if reuse:
            pairs[:reuse] = self._free_arcs[: -reuse - 1 : -1]
            del self._free_arcs[-reuse:]
        lo = self._m
        self._m += k - reuse
        self._grow_arcs(self._m)
        pairs[reuse:] = np.arange(lo, self._m, dtype=np.int64)
        a = 2 * pairs
        cost = np.asarray(cost, np.int64)
        self.frm[a], self.to[a], self.cost_[a], self.res[a] = tail, head, cost, capacity
        self.frm[a + 1], self.to[a + 1], self.cost_[a + 1], self.res[a + 1] = head, tail, -cost, 0
        self.live_arc[pairs] = True
        _link_all(self.first, self.nxt, self.prv, self.frm, np.column_stack([a, a + 1]).ravel())
        return a

    def remove_arc(self, a: int) -> None:
        """Remove arc *a* (even); its flow comes back as excess at its tail, deficit at its head."""
        self.remove_arcs([a])

    def remove_arcs(self, arcs: IntArray | Sequence[int]) -> None:
        """Remove distinct arcs at once, as :meth:`remove_arc` called for each in turn would."""
        from ._kernels import remove_pairs

        k = np.asarray(arcs, np.int64) >> 1
        a = 2 * k
        carried = (self.res[a + 1] + self.held[k]) != 0  # their flow: imbalance at both ends
        self._touched += self.frm[a[carried]].tolist() + self.to[a[carried]].tolist()
        self._log_room(len(k))
        remove_pairs(
            k, self.first, self.nxt, self.prv, self.frm, self.to, self.res, self.held,
            self.room, self.excess, self.live_arc, self._log, self._logn,
        )  # fmt: skip
        self._free_arcs.extend(k.tolist())

    def _note(self, k: int) -> None:
        n = int(self._logn[0])
        if n == len(self._log):
            self._log_room()
        if n < len(self._log):
            self._log[n] = k
        self._logn[0] = n + 1

    def _log_room(self, coming: int = 0) -> None:
        """Grow the log when *coming* more entries would fill half of it (nothing lost yet).

        It doubles (or more, to hold them twice over), so a long batch keeps it whole.
        """
        n = int(self._logn[0])
        if len(self._log) // 2 <= n + coming and n <= len(self._log):
            log = np.zeros(max(2 * len(self._log), 2 * (n + coming)), np.int64)
            log[:n] = self._log[:n]
            self._log = log

    def take_log(self) -> IntArray | None:
        """The arc pairs (``a >> 1``) whose flow changed since the last call, and empty the log.

        Every change of flow by :meth:`repair`, :meth:`push` (and the methods
        that push) and :meth:`remove_arc` is logged (a pair may come more than
        once, and a removed pair's number may be in use again). None when more
        changed than the log holds (one search that changed more than half of
        its room): the caller must then look at every arc (the log is made
        larger for next time). The log doubles as it fills.
        """
        n = int(self._logn[0])
        self._logn[0] = 0
        if n > len(self._log):
            self._log = np.zeros(max(2 * len(self._log), 2 * n), np.int64)
            return None
        return np.unique(self._log[:n])

    def flow(self, a: int) -> int:
        """Flow on arc *a* (even)."""
        return int(self.res[int(a) + 1] + self.held[int(a) >> 1])

    def push(self, a: int, amount: int) -> None:
        """Send *amount* along arc *a* (within its room), moving the imbalance to its ends."""
        self._note(int(a) >> 1)
        self.res[a] -= amount
        self.res[a ^ 1] += amount
        self.excess[self.frm[a]] -= amount
        self.excess[self.to[a]] += amount
        self._touched += [int(self.frm[a]), int(self.to[a])]

    def set_cost(self, a: int, cost: int) -> list[int]:
        """Change the cost of arc *a* (even); the nodes whose balance that touched.

        It or its reverse is filled if the new cost breaks the proof there
        (:meth:`saturate_broken`); :meth:`repair` finds those nodes unasked.
        """
        a = int(a)
        self.cost_[a], self.cost_[a + 1] = cost, -cost
        return self.saturate_broken([a, a + 1])

    def freeze(self, a: int) -> None:
        """Hold arc *a* (even) at its flow: no room either way (a pinned pair)."""
        k = int(a) >> 1
        self.held[k] += self.res[a + 1]
        self.room[k] += self.res[a]
        self.res[a] = self.res[a + 1] = 0

    def thaw(self, a: int) -> list[int]:
        """Let arc *a* (even) change again; the nodes whose balance that touched.

        Its flow and room are back in the residual network; an arc among the two
        with room and a negative reduced cost is filled (:meth:`saturate_broken`).
        """
        k = int(a) >> 1
        self.res[a] += self.room[k]
        self.res[a + 1] += self.held[k]
        self.held[k] = self.room[k] = 0
        return self.saturate_broken([a, a + 1])

    def reduced_cost(self, a: int) -> int:
        """``cost + pi[tail] - pi[head]`` of arc *a*."""
        return int(self.cost_[a] + self.pi[self.frm[a]] - self.pi[self.to[a]])

    def saturate_broken(self, arcs: Iterable[int]) -> list[int]:
        """Fill every arc of *arcs* with room and a negative reduced cost; the nodes touched."""
        touched = []
        for a in arcs:
            a = int(a)
            if self.res[a] > 0 and self.reduced_cost(a) < 0:
                touched += [int(self.frm[a]), int(self.to[a])]
                self.push(a, int(self.res[a]))
        return touched

    # ------------------------------------------------------------------ repair

    def repair(self, nodes: Sequence[int] | IntArray = (), hub: int | None = None) -> RepairStats:
        """Route every excess to a deficit: the flow is then a min-cost flow, and proven.

        The imbalanced nodes are found among those whose balance changed since
        the last repair (:meth:`add_supply`, :meth:`push`, a removed arc that
        carried flow), and *nodes* (more to look at, if the caller changed
        :attr:`excess` itself).

        With *hub* (a node joined to most others, such as a source), every
        search ends at the hub rather than going through it: the deficits are
        routed first, with the hub lent their sum, then the excesses, to the hub.

        Raises
        ------
        SolverError
            If an excess has no path to a deficit (no feasible flow), or an
            imbalance is left at the hub (a balance changed behind the
            methods' back, and the node was not in *nodes*).
        """
        todo = np.unique(
            np.concatenate([np.asarray(nodes, np.int64), np.asarray(self._touched, np.int64)])
        )
        todo = todo[self.alive[todo]]
        if hub is None:
            stats = self._run(todo)
            self._touched.clear()
            return stats
        todo = todo[todo != hub]
        deficits = todo[self.excess[todo] < 0]
        lent = -int(self.excess[deficits].sum())
        self.excess[hub] += lent
        try:
            first = self._run(deficits)
        finally:
            self.excess[hub] -= lent
        second = self._run(todo[self.excess[todo] > 0])
        if self.excess[hub] != 0:
            raise SolverError(f"an imbalance of {int(self.excess[hub])} is left at node {hub}")
        self._touched.clear()
        return RepairStats(0, first.searches + second.searches, first.settled + second.settled)

    def _run(self, todo: IntArray) -> RepairStats:
        from ._kernels import repair

        if not len(todo):
            return RepairStats(0, 0, 0)
        self._ensure_scratch()
        self._log_room()
        stamp, searches, settled, status = repair(
            todo, self.first, self.nxt, self.frm, self.to, self.cost_, self.res, self.pi,
            self.excess, self._dist, self._seen, self._done, self._parent, self._heap,
            self._pos, self._settled, self._stamp, self._log, self._logn,
        )  # fmt: skip
        self._stamp = stamp
        if status:
            stuck = todo[self.excess[todo] != 0]
            raise SolverError(
                f"no feasible flow: an imbalance at node {int(stuck[0])} has no path to the "
                "opposite sign"
            )
        return RepairStats(int(status), int(searches), int(settled))

    def _ensure_scratch(self) -> None:
        n = len(self.first)
        if self._scratch_size == n:
            return
        self._dist = np.zeros(n, np.int64)
        self._seen = np.zeros(n, np.int64)
        self._done = np.zeros(n, np.int64)
        self._parent = np.full(n, _NONE, np.int64)
        self._heap = np.zeros(n, np.int64)
        self._pos = np.full(n, _NONE, np.int64)
        self._settled = np.zeros(n, np.int64)
        self._stamp = 0
        self._scratch_size = n

    # ------------------------------------------------------------------ reading

    def cost(self) -> int:
        """Total cost of the flow."""
        k = np.flatnonzero(self.live_arc[: self._m])
        a = 2 * k
        return int(np.dot(self.cost_[a], self.res[a + 1] + self.held[k]))

    def proven(self) -> bool:
        """Whether the flow is a min-cost flow and the potentials prove it.

        Every node balanced, no arc over its capacity, and no arc with room and
        a negative reduced cost (:meth:`violations`).
        """
        alive = np.flatnonzero(self.alive[: self._n])
        balanced = not self.excess[alive].any()
        return balanced and not (self.res[: 2 * self._m] < 0).any() and not len(self.violations())

    def violations(self) -> IntArray:
        """Arcs with room and a negative reduced cost (none when the proof holds)."""
        k = np.flatnonzero(self.live_arc[: self._m])
        both = np.r_[2 * k, 2 * k + 1]
        rc = self.cost_[both] + self.pi[self.frm[both]] - self.pi[self.to[both]]
        return both[(self.res[both] > 0) & (rc < 0)]


def _resized(a: NDArray, size: int, fill: object) -> NDArray:
    out = np.full(size, fill, a.dtype)
    out[: len(a)] = a
    return out


def _link_all(first: IntArray, nxt: IntArray, prv: IntArray, frm: IntArray, arcs: IntArray) -> None:
    """Put *arcs* at the front of their tails' lists (in order: the last ends up first)."""
    from ._kernels import link_all

    link_all(first, nxt, prv, frm, arcs)
