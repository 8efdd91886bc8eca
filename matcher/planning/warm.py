"""Re-plans: the warm start from a previous plan, and the churn term that keeps its pairs.

``solve(problem, previous=result, churn_cost=c)`` starts from the previous
plan and certificate (mapped to the new graph by id); the :class:`~matcher.Planner`
maps them by index. Both fill the (volunteer, slot) nodes with :func:`_slot_start`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, InputProblem, short_repr
from ..graph import MAX_INT_COST, Graph
from ..result import Certificate, Result
from ..solvers import Instance, Warm, WarmStart, stable
from ..solvers._duals import UNKNOWN


def _volunteer_ranks(graph: Graph) -> NDArray[np.int64] | None:
    """How each volunteer ranks its pairs for method ``"stable"``.

    A preferred category first (no preference miss), then the nearer need;
    None (by cost) for a graph without distances and cost parts. The miss is
    read from the ``preference`` cost part, so with ``Weights.preference`` 0
    volunteers rank by distance alone.
    """
    if graph.distance_km is None or graph.parts is None or "preference" not in graph.parts:
        return None
    miss = np.asarray(graph.parts["preference"]) > 0
    return stable.volunteer_keys(miss, graph.distance_km, graph.need)


_WARM_LIMIT = 1 << 61  # potentials beyond this are no use as a start (and may be forged)


def _warm(
    graph: Graph,
    inst: Instance,
    edges: NDArray[np.bool_],
    cert: Certificate,
    priority_first: bool,
) -> Warm | None:
    """A re-plan's start: the previous plan's edges and its potentials by node of *graph*.

    None when the previous certificate is of another kind of objective or holds
    unusable numbers (it is only a start: the new plan is proven from scratch).
    """
    if (cert.big_m is None) == priority_first:
        return None

    def values(table: Any, ids: tuple[str, ...]) -> NDArray[np.int64] | None:
        out = [table.get(k, UNKNOWN) for k in ids]
        if any(type(x) is not int or abs(x) >= _WARM_LIMIT for x in out):
            return None
        return np.array(out, np.int64).reshape(len(ids))

    vol = values(cert.volunteers, graph.volunteer_ids)
    need = values(cert.needs, graph.need_ids)
    if vol is None or need is None:
        return None
    slot = None
    if inst.slot is not None and inst.n_needs:
        vol_of = {k: i for i, k in enumerate(graph.volunteer_ids)}
        nodes = [
            (i, name, x)
            for vid, by_slot in cert.slots.items()
            if (i := vol_of.get(vid)) is not None
            for name, x in by_slot.items()
            if type(x) is int and abs(x) < _WARM_LIMIT
        ]
        names = sorted({name for _, name, _ in nodes})
        code = {name: k for k, name in enumerate(names)}
        slot = _slot_start(
            graph,
            inst,
            np.array([i for i, _, _ in nodes], np.int64),
            np.array([code[name] for _, name, _ in nodes], np.int64),
            names,
            np.array([x for _, _, x in nodes], np.int64),
        )
    return Warm(edges, WarmStart(vol, need, slot), cert.big_m)


def _slot_start(
    graph: Graph,
    inst: Instance,
    volunteer: NDArray[np.int64],
    name: NDArray[np.int64],
    names: Sequence[str],
    value: NDArray[np.int64],
) -> NDArray[np.int64]:
    """The warm start of the (volunteer, slot) nodes, by ``volunteer * width + slot``.

    Each known node is given as its volunteer's index in *graph* (-1: gone),
    its slot's name (an index into *names*) and its potential; nodes whose
    slot is not one of the instance's, or whose potential is no use as a
    start, stay unknown.
    """
    assert inst.slot is not None
    width = int(inst.slot.max()) + 1
    out = np.full(graph.n_volunteers * width, UNKNOWN, np.int64)
    code = {n: t for t, n in enumerate(graph.slot_names) if t < width}
    t = np.array([code.get(n, -1) for n in names], np.int64)[name] if len(name) else name
    ok = (volunteer >= 0) & (t >= 0) & (np.abs(value) < _WARM_LIMIT)
    out[volunteer[ok] * width + t[ok]] = value[ok]
    return out


def _pair_mask(graph: Graph, pairs: Iterable[tuple[str, str]]) -> NDArray[np.bool_]:
    """Which edges of *graph* are among the ``(need_id, volunteer_id)`` *pairs*."""
    need_of = {k: i for i, k in enumerate(graph.need_ids)}
    vol_of = {k: i for i, k in enumerate(graph.volunteer_ids)}
    nv = graph.n_volunteers
    keys = [need_of[a] * nv + vol_of[b] for a, b in pairs if a in need_of and b in vol_of]
    if not keys or not graph.n_edges:
        return np.zeros(graph.n_edges, bool)
    return np.isin(graph.need * nv + graph.volunteer, np.array(keys, np.int64))


def _churn_units(
    churn_cost: Any, previous: Any, resolution: float, *, needs_previous: bool = True
) -> int:
    """Check ``previous`` / ``churn_cost``; return the churn cost in resolution units.

    *needs_previous*: a positive churn cost must come with a previous plan.
    """
    problems = []
    if previous is not None and not isinstance(previous, Result):
        problems.append(
            InputProblem(
                "solve",
                "previous",
                "a matcher.Result (the plan to re-plan from)",
                short_repr(previous),
                kind="option",
            )
        )
    if churn_cost is None:
        units = 0
    elif (
        isinstance(churn_cost, bool)
        or not isinstance(churn_cost, int | float)
        or not math.isfinite(churn_cost)
        or churn_cost < 0
    ):
        problems.append(
            InputProblem(
                "solve",
                "churn_cost",
                "a finite number >= 0 (cost per pair not kept)",
                short_repr(churn_cost),
                kind="option",
            )
        )
        units = 0
    else:
        # In resolution units, like every cost; a positive churn cost is at least one unit,
        # and at most MAX_INT_COST units (every cost stays exact in int64 and float64).
        scaled = churn_cost / resolution if churn_cost > 0 else 0.0
        if not scaled <= MAX_INT_COST:  # also inf (a tiny resolution)
            problems.append(
                InputProblem(
                    "solve",
                    "churn_cost",
                    f"at most {MAX_INT_COST} units of the policy's resolution "
                    f"({resolution!r}): a smaller churn cost or a coarser resolution",
                    short_repr(churn_cost),
                    kind="option",
                )
            )
            scaled = 0.0
        units = max(1, round(scaled)) if churn_cost > 0 and scaled else 0
        if previous is None and churn_cost and needs_previous:
            problems.append(
                InputProblem(
                    "solve",
                    "churn_cost",
                    "to come with previous= (the plan to keep close to)",
                    short_repr(churn_cost),
                    kind="option",
                )
            )
    if problems:
        raise InputError(problems)
    return int(units)
