"""Independent parts: split an instance along the connected components of its graph.

Volunteers and needs that share no path of candidate pairs cannot affect
each other: the objective (served priority, then cost; or cost plus
penalties) is a sum over components, and every constraint lives inside one.
So each component can be solved alone -- on another process or machine --
and the plans put side by side. This is exact.

Components are packed, in a fixed order, into *tasks* of at least
:data:`TASK_EDGES` candidate pairs (a component is never cut). The packing
depends on the instance only, never on how the tasks are run, so a serial
run and a parallel run solve exactly the same sub-instances and return the
same plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._base import Instance

__all__ = ["TASK_EDGES", "Task", "split"]

IntArray = NDArray[np.int64]

TASK_EDGES = 50_000
"""Smallest number of candidate pairs per task (one component may be larger)."""


@dataclass(frozen=True, eq=False)
class Task:
    """One sub-instance and, for each of its edges, the edge's index in the whole."""

    instance: Instance
    edges: IntArray


def split(inst: Instance, task_edges: int | None = None) -> list[Task]:
    """Split *inst* into tasks of whole connected components, in a fixed order.

    Needs and volunteers without any candidate pair are in no task (nothing
    to decide). An instance that is one component gives one task: itself.

    Parameters
    ----------
    inst : Instance
    task_edges : int, optional
        Pack consecutive components until a task holds at least this many
        edges (default :data:`TASK_EDGES`).

    Returns
    -------
    list of Task
        Sub-instances with volunteers and needs renumbered in their original
        order, ``unserved_cost`` and ``load_start`` carried over.
    """
    nv, nn, m = inst.n_volunteers, inst.n_needs, inst.n_edges
    task_edges = TASK_EDGES if task_edges is None else task_edges
    if inst.group is not None or inst.unit_floor is not None:
        # teams tie needs, and floors volunteers, across components: one task
        return [Task(inst, np.arange(m, dtype=np.int64))]
    if m == 0:
        return []
    v, j = inst.volunteer, inst.need
    adjacency = coo_matrix((np.ones(m, np.int8), (v, nv + j)), shape=(nv + nn, nv + nn))
    n_comp, label = connected_components(adjacency, directed=False)
    edge_comp = label[v]
    if n_comp == 1 or len(np.unique(edge_comp)) == 1:
        return [Task(inst, np.arange(m, dtype=np.int64))]

    # -- pack components into tasks, in order of their first edge
    comp_edges = np.bincount(edge_comp, minlength=n_comp)
    first_edge = np.full(n_comp, m, np.int64)
    np.minimum.at(first_edge, edge_comp, np.arange(m, dtype=np.int64))
    comps = np.nonzero(comp_edges)[0]
    comps = comps[np.argsort(first_edge[comps], kind="stable")]
    task_of_comp = np.full(n_comp, -1, np.int64)
    task, filled = 0, 0
    for c in comps.tolist():
        task_of_comp[c] = task
        filled += int(comp_edges[c])
        if filled >= task_edges:
            task, filled = task + 1, 0
    n_tasks = task + (1 if filled else 0)
    if n_tasks == 1:
        return [Task(inst, np.arange(m, dtype=np.int64))]

    # -- cut out each task's edges, volunteers and needs
    edge_task = task_of_comp[edge_comp]
    order = np.argsort(edge_task, kind="stable")
    bounds = np.searchsorted(edge_task[order], np.arange(n_tasks + 1))
    tasks = []
    for t in range(n_tasks):
        edges = np.sort(order[bounds[t] : bounds[t + 1]])
        sub, _, _ = cut(inst, edges)
        tasks.append(Task(sub, edges.astype(np.int64)))
    return tasks


def cut(inst: Instance, edges: IntArray) -> tuple[Instance, IntArray, IntArray]:
    """The sub-instance of *edges* on their own volunteers and needs, renumbered in order.

    Returns the sub-instance and, for its volunteers and its needs, their
    indices in *inst*.
    """
    v, j = inst.volunteer, inst.need
    vols = np.unique(v[edges])
    needs = np.unique(j[edges])
    sub = replace(
        inst,
        n_volunteers=len(vols),
        n_needs=len(needs),
        volunteer=np.searchsorted(vols, v[edges]).astype(np.int64),
        need=np.searchsorted(needs, j[edges]).astype(np.int64),
        cost=inst.cost[edges],
        rank=None if inst.rank is None else inst.rank[edges],
        capacity=inst.capacity[vols],
        demand=inst.demand[needs],
        priority=inst.priority[needs],
        slot=None if inst.slot is None else inst.slot[needs],
        load_start=inst.load_start[vols],
        unserved_cost=inst.unserved_cost[needs],
        group=None if inst.group is None else inst.group[needs],
        pinned_units=None if inst.pinned_units is None else inst.pinned_units[needs],
        volunteer_unit=None if inst.volunteer_unit is None else inst.volunteer_unit[vols],
    )
    return sub, vols, needs
