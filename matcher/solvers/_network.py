"""The min-cost-flow network of an instance, as arc arrays.

Nodes: ``0`` = source; ``1..V`` volunteers; ``V+1..V+N`` needs; then one node
per (volunteer, slot) where the one-need-per-slot rule can bind. Arcs, in
this order (so arc ``e`` *is* edge ``e``)::

    pair        volunteer (or volunteer x slot) -> need     cap 1, cost c_e
    load        source -> volunteer                          cap 1 each, cost (s+k)*step
                (one arc of cap = capacity when step == 0)
    slot        volunteer -> volunteer x slot                cap 1, cost 0
    unserved    source -> need                               cap demand, cost U_j

Supplies: the source sends the total demand; each need absorbs its demand,
through pair arcs (served) or its unserved arc. The network is always
feasible, and a min-cost flow is an optimal plan (integral, since all data
are integers).

Nodes and arcs are only made where they can matter: a volunteer's load arcs
stop at ``min(capacity, degree)``; a (volunteer, slot) node exists only when
that volunteer can take two needs and has two or more candidates in the slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._base import Instance, unit_cost

__all__ = ["Network", "build_network"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Network:
    """Arc arrays of a min-cost-flow network; arcs ``0..m-1`` are the pair arcs."""

    n_nodes: int
    tail: IntArray
    head: IntArray
    capacity: IntArray
    cost: IntArray
    supply: IntArray  # per node; sums to 0
    n_pair_arcs: int

    @property
    def n_arcs(self) -> int:
        return int(self.tail.shape[0])


def _group_rank(keys: IntArray) -> IntArray:
    """0, 1, 2, ... within each run of equal *keys* (keys must be sorted)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[0, np.nonzero(keys[1:] != keys[:-1])[0] + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - first


def build_network(inst: Instance) -> Network:
    """Build the network of *inst* (no pinned edges left; see :func:`fix_pinned`)."""
    nv, nn, m = inst.n_volunteers, inst.n_needs, inst.n_edges
    v, j = inst.volunteer, inst.need
    deg_v, _ = inst.degree()
    cap = np.minimum(np.maximum(inst.capacity, 0), deg_v)
    vol_node = 1 + np.arange(nv, dtype=np.int64)
    need_node = 1 + nv + np.arange(nn, dtype=np.int64)
    n_nodes = 1 + nv + nn

    # -- pair arcs, with (volunteer, slot) nodes where the slot rule can bind
    pair_tail = vol_node[v]
    slot_tail = np.zeros(0, np.int64)
    slot_head = np.zeros(0, np.int64)
    if inst.slot is not None and m:
        s = inst.slot[j]
        width = int(inst.slot.max()) + 1
        binding = (s >= 0) & (cap[v] >= 2)
        key = np.where(binding, v * width + s, -1)
        uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        shared = (uniq >= 0) & (counts >= 2)
        node_of_key = np.full(len(uniq), -1, np.int64)
        node_of_key[shared] = n_nodes + np.arange(int(shared.sum()), dtype=np.int64)
        edge_node = node_of_key[inverse]
        pair_tail = np.where(edge_node >= 0, edge_node, pair_tail)
        slot_tail = vol_node[uniq[shared] // width]
        slot_head = node_of_key[shared]
        n_nodes += int(shared.sum())

    # -- load arcs
    has = np.nonzero(cap > 0)[0]
    if inst.load_step == 0 and not inst.engage:
        load_v = has
        load_cap = cap[has]
        load_cost = np.zeros(len(has), np.int64)
    elif inst.load_step == 0:
        # the first need (engaging the volunteer) on its own arc, the rest at cost 0
        first = inst.load_start[has] == 0
        more = np.where(first, cap[has] - 1, cap[has]) > 0
        load_v = np.r_[has[first], has[more]]
        load_cap = np.r_[np.ones(int(first.sum()), np.int64), (cap[has] - first)[more]]
        load_cost = np.r_[
            np.full(int(first.sum()), -inst.engage, np.int64), np.zeros(int(more.sum()), np.int64)
        ]
    else:
        load_v = np.repeat(has, cap[has])
        k = _group_rank(load_v)
        load_cap = np.ones(len(load_v), np.int64)
        load_cost = unit_cost(inst, load_v, k)

    # -- unserved arcs
    want = np.nonzero(inst.demand > 0)[0]

    tail = np.concatenate(
        [pair_tail, np.zeros(len(load_v), np.int64), slot_tail, np.zeros(len(want), np.int64)]
    )
    head = np.concatenate([need_node[j], vol_node[load_v], slot_head, need_node[want]])
    capacity = np.concatenate(
        [np.ones(m, np.int64), load_cap, np.ones(len(slot_head), np.int64), inst.demand[want]]
    )
    cost = np.concatenate(
        [inst.cost, load_cost, np.zeros(len(slot_head), np.int64), inst.unserved_cost[want]]
    )
    supply = np.zeros(n_nodes, np.int64)
    supply[0] = int(inst.demand[want].sum())
    supply[need_node] = -np.maximum(inst.demand, 0)
    return Network(
        n_nodes=n_nodes,
        tail=tail.astype(np.int64),
        head=head.astype(np.int64),
        capacity=capacity.astype(np.int64),
        cost=cost.astype(np.int64),
        supply=supply,
        n_pair_arcs=m,
    )
