"""Compiled kernels of the warm-start engine (:mod:`matcher.solvers.dynamic`).

numba compiles them on first use and keeps the machine code in its on-disk cache
(``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``), so only the first
call on a machine pays for compiling (see :func:`compile_seconds`).

The residual network is held in arrays. Arcs come in pairs: arc ``a`` and its
reverse ``a ^ 1``; ``res[a]`` is the room left on ``a`` (a unit of flow on ``a``
is room on ``a ^ 1``), ``cost[a ^ 1] == -cost[a]``. Every arc ``a`` is in the
doubly linked list of its tail, ``frm[a]`` (``first``, ``nxt``, ``prv``), so a
node's list holds the arcs leaving it and, through their reverses, those
entering it. Node potentials ``pi`` prove the flow optimal when every arc with
room has a non-negative reduced cost ``cost[a] + pi[frm[a]] - pi[to[a]]``;
``excess[u]`` is what node ``u`` still has to send (supply + inflow - outflow).

:func:`repair` moves every excess to a deficit along shortest paths on reduced
costs (successive shortest paths, Dijkstra with potentials), searching from the
imbalanced node's side and stopping at the first node of the opposite sign; the
potentials of the nodes it settled are moved so that they stay a proof. Work is
in proportion to the nodes settled, never to the size of the network.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

__all__ = ["compile_seconds", "link_all", "nodes_arcs", "remove_pairs", "repair"]

_NONE = -1


@njit(cache=True, nogil=True)
def _sift_up(heap, pos, key, i):  # pragma: no cover - compiled
    node = heap[i]
    k = key[node]
    while i > 0:
        parent = (i - 1) >> 1
        other = heap[parent]
        if key[other] < k or (key[other] == k and other < node):
            break
        heap[i] = other
        pos[other] = i
        i = parent
    heap[i] = node
    pos[node] = i


@njit(cache=True, nogil=True)
def _sift_down(heap, pos, key, i, size):  # pragma: no cover - compiled
    node = heap[i]
    k = key[node]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        best = heap[child]
        if child + 1 < size:
            right = heap[child + 1]
            if key[right] < key[best] or (key[right] == key[best] and right < best):
                child += 1
                best = right
        if k < key[best] or (k == key[best] and node < best):
            break
        heap[i] = best
        pos[best] = i
        i = child
    heap[i] = node
    pos[node] = i


# fmt: off
@njit(cache=True, nogil=True)
def _search(
    start, backward, first, nxt, to, cost, res, pi, excess, dist, seen, done, parent, heap, pos,
    stamp, settled,
):  # pragma: no cover - compiled
    """Dijkstra on reduced costs from *start* to the nearest node of opposite excess.

    Forward (``backward`` false) from a node with excess, along arcs with room;
    backward from a node with a deficit, along arcs with room into the node.
    Returns (target or -1, distance, nodes settled); ``settled[:n]`` lists them.
    """
    seen[start] = stamp
    dist[start] = 0
    parent[start] = _NONE
    heap[0] = start
    pos[start] = 0
    size = 1
    n_settled = 0
    want_positive = backward
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, 0, size)
        pos[u] = _NONE
        done[u] = stamp
        settled[n_settled] = u
        n_settled += 1
        if u != start and ((excess[u] > 0) if want_positive else (excess[u] < 0)):
            return u, dist[u], n_settled
        du = dist[u]
        a = first[u]
        while a != _NONE:
            # forward: the arc a = u -> w itself; backward: its reverse w -> u
            arc = (a ^ 1) if backward else a
            w = to[a]
            if res[arc] > 0 and done[w] != stamp:
                if backward:
                    rc = cost[arc] + pi[w] - pi[u]
                else:
                    rc = cost[arc] + pi[u] - pi[w]
                d = du + rc
                if seen[w] != stamp:
                    seen[w] = stamp
                    dist[w] = d
                    parent[w] = arc
                    heap[size] = w
                    pos[w] = size
                    size += 1
                    _sift_up(heap, pos, dist, size - 1)
                elif d < dist[w]:
                    dist[w] = d
                    parent[w] = arc
                    _sift_up(heap, pos, dist, pos[w])
            a = nxt[a]
    return _NONE, 0, n_settled


@njit(cache=True, nogil=True)
def repair(
    todo, first, nxt, frm, to, cost, res, pi, excess, dist, seen, done, parent, heap, pos,
    settled, stamp, log, logn,
):  # pragma: no cover - compiled
    """Route every excess of the nodes in *todo* to a deficit (see the module notes).

    The arc pair (``arc >> 1``) of every arc whose flow changes is written to
    *log* at ``logn[0]``, which counts on past the end of *log* (the caller
    then knows entries were lost).

    Returns ``(stamp, searches, nodes settled, status)``; ``stamp`` is the next
    free search number (``seen`` / ``done`` are reset by numbering searches);
    status 0 = balanced, 1 = an imbalance with no path to the opposite sign
    (the network has no feasible flow).
    """
    searches = 0
    total = 0
    for t in range(todo.shape[0]):
        u = todo[t]
        while excess[u] != 0:
            backward = excess[u] < 0
            stamp += 1
            target, length, n = _search(
                u, backward, first, nxt, to, cost, res, pi, excess, dist, seen, done, parent,
                heap, pos, stamp, settled,
            )
            searches += 1
            total += n
            if target == _NONE:
                return stamp, searches, total, 1
            # potentials: settled nodes move by their distance short of the target's
            for i in range(n):
                x = settled[i]
                if backward:
                    pi[x] += length - dist[x]
                else:
                    pi[x] -= length - dist[x]
            # the amount: what both ends need, and the room along the path
            amount = min(abs(excess[u]), abs(excess[target]))
            x = target
            while x != u:
                arc = parent[x]
                amount = min(amount, res[arc])
                x = frm[arc] if not backward else to[arc]
            x = target
            while x != u:
                arc = parent[x]
                res[arc] -= amount
                res[arc ^ 1] += amount
                if logn[0] < log.shape[0]:
                    log[logn[0]] = arc >> 1
                logn[0] += 1
                x = frm[arc] if not backward else to[arc]
            if backward:
                excess[target] -= amount
                excess[u] += amount
            else:
                excess[target] += amount
                excess[u] -= amount
    return stamp, searches, total, 0


@njit(cache=True, nogil=True)
def link_all(first, nxt, prv, frm, arcs):  # pragma: no cover - compiled
    """Put *arcs* at the front of their tails' lists, in order (the last ends up first)."""
    for i in range(arcs.shape[0]):
        a = arcs[i]
        u = frm[a]
        head = first[u]
        nxt[a] = head
        prv[a] = _NONE
        if head != _NONE:
            prv[head] = a
        first[u] = a


@njit(cache=True, nogil=True)
def nodes_arcs(nodes, first, nxt):  # pragma: no cover - compiled
    """The arcs in the lists of *nodes*, node after node, each list in order.

    Returns ``(arcs, starts)``: node ``nodes[i]``'s arcs are
    ``arcs[starts[i]:starts[i + 1]]``.
    """
    starts = np.empty(nodes.shape[0] + 1, np.int64)
    n = 0
    for i in range(nodes.shape[0]):
        starts[i] = n
        a = first[nodes[i]]
        while a != _NONE:
            n += 1
            a = nxt[a]
    starts[nodes.shape[0]] = n
    out = np.empty(n, np.int64)
    k = 0
    for i in range(nodes.shape[0]):
        a = first[nodes[i]]
        while a != _NONE:
            out[k] = a
            k += 1
            a = nxt[a]
    return out, starts


@njit(cache=True, nogil=True)
def remove_pairs(
    pairs, first, nxt, prv, frm, to, res, held, room, excess, live_arc, log, logn,
):  # pragma: no cover - compiled
    """Remove the arc pairs *pairs* (distinct, alive).

    The flow of each comes back as excess at its tail and deficit at its head;
    each is unlinked from both lists and logged (as in :func:`repair`).
    """
    for i in range(pairs.shape[0]):
        k = pairs[i]
        a = 2 * k
        flow = res[a + 1] + held[k]
        held[k] = 0
        room[k] = 0
        excess[frm[a]] += flow
        excess[to[a]] -= flow
        for b in (a, a + 1):
            p, n = prv[b], nxt[b]
            if p != _NONE:
                nxt[p] = n
            else:
                first[frm[b]] = n
            if n != _NONE:
                prv[n] = p
        res[a] = 0
        res[a + 1] = 0
        live_arc[k] = False
        if logn[0] < log.shape[0]:
            log[logn[0]] = k
        logn[0] += 1


# fmt: on


def compile_seconds() -> float:
    """Compile (or load from numba's cache) the kernels; the seconds it took."""
    began = time.perf_counter()
    z = np.zeros(2, np.int64)
    n = np.full(2, _NONE, np.int64)
    repair(np.zeros(0, np.int64), n, n, z, z, z, z, z, z, z, z, z, z, z, z, z, 0, z, z[:1].copy())
    link_all(n.copy(), n.copy(), n.copy(), z, np.zeros(0, np.int64))
    nodes_arcs(np.zeros(1, np.int64), n, n)
    e = np.zeros(0, np.int64)
    remove_pairs(e, n, n, n, z, z, z, z, z, z, np.zeros(1, np.bool_), z, z[:1].copy())
    return time.perf_counter() - began
