"""Method ``"greedy"``: cheapest feasible edge first, in priority order.

A baseline for comparison, not an optimum: edges are taken in the order
(need priority descending, cost, need, volunteer) whenever the volunteer has
capacity and a free slot, the need still wants a volunteer, and serving costs
no more than leaving the unit unserved. ``O(m log m)`` to sort, then one pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Instance, SolverOutput

__all__ = ["solve"]


def solve(inst: Instance, **options: Any) -> SolverOutput:
    """Return a feasible (not necessarily optimal) plan of *inst*."""
    v, j, c = inst.volunteer, inst.need, inst.cost
    order = np.lexsort((v, j, c, -inst.priority[j]))
    room = inst.capacity.copy()
    want = inst.demand.copy()
    load = inst.load_start.copy()
    step = inst.load_step
    unserved = inst.unserved_cost
    slot = inst.slot
    busy: set[tuple[int, int]] = set()
    chosen: list[int] = []
    for e in order.tolist():
        a, b = int(v[e]), int(j[e])
        if room[a] <= 0 or want[b] <= 0:
            continue
        s = -1 if slot is None else int(slot[b])
        if s >= 0 and (a, s) in busy:
            continue
        bonus = inst.engage if load[a] == 0 else 0
        if int(c[e]) + int(load[a]) * step - bonus > int(unserved[b]):
            continue
        chosen.append(e)
        room[a] -= 1
        want[b] -= 1
        load[a] += 1
        if s >= 0:
            busy.add((a, s))
    return SolverOutput(chosen=np.sort(np.array(chosen, np.int64)), optimal=False)
