"""Assembling a result from a solver's chosen edges: matches, reasons, metrics.

Says why every unserved unit of need is unserved (the reasons of
:data:`~matcher.result.REASONS`, in the order tested) and how many
candidates each filter left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from .._frozen import FrozenMap
from ..graph import COST_PARTS, Diagnostics, Graph
from ..model import Problem
from .certificate import Certificate
from .churn import Stability
from .core import Result
from .metrics import compute_metrics
from .plan import GraphSolution, Match, Objective, Unmatched
from .provenance import Provenance

RULE_REASONS = ("no_skill", "out_of_range", "no_slot", "other_community", "unavailable")
"""The reason named by each filter of :data:`~matcher.result.FILTERS` that left no one."""


def first_empty_filter(counts: NDArray[np.int64]) -> list[int]:
    """For each row of candidate counts, the first filter that left no one (-1: none did)."""
    zero = counts == 0
    return np.where(zero.any(axis=1), zero.argmax(axis=1), -1).tolist()


def unmatched_reasons(
    graph: Graph,
    diag: Diagnostics,
    chosen: NDArray[np.int64],
    priority_first: bool,
    known: Mapping[int, tuple[int, ...]] | None = None,
) -> list[tuple[int, int, str, tuple[int, ...]]]:
    """``(need index, missing, reason, candidates)`` for each need not fully served.

    *known*: candidate counts already known, by need index (the rest are counted).
    """
    served = np.bincount(graph.need[chosen], minlength=graph.n_needs)
    short = np.nonzero(served < graph.demand)[0]
    if len(short) == 0:
        return []
    short_l = short.tolist()
    if known:
        unknown = np.array([j not in known for j in short_l], bool)
        counts = np.zeros((len(short), 5), np.int64)
        counts[unknown] = diag.candidate_counts(short[unknown])
        if not unknown.all():
            counts[~unknown] = [known[j] for j in short[~unknown].tolist()]
    else:
        counts = diag.candidate_counts(short)
    load = np.bincount(graph.volunteer[chosen], minlength=graph.n_volunteers)
    busy: set[tuple[int, int]] = set()
    in_plan: set[tuple[int, int]] = set()
    starts: list[int] = []
    if not priority_first:  # what "not_worth" looks at
        if graph.one_need_per_slot:
            s = graph.need_slot[graph.need[chosen]]
            busy = set(
                zip(graph.volunteer[chosen][s >= 0].tolist(), s[s >= 0].tolist(), strict=True)
            )
        in_plan = set(
            zip(graph.volunteer[chosen].tolist(), graph.need[chosen].tolist(), strict=True)
        )
        starts = np.searchsorted(graph.need, np.arange(graph.n_needs + 1)).tolist()
    # the first filter that left no one names the reason; with candidates, "taken"
    first = first_empty_filter(counts)
    team = (
        [False] * len(short)
        if graph.need_group is None
        else (graph.need_group[short] >= 0).tolist()
    )
    missing = (graph.demand[short] - served[short]).tolist()
    out = []
    for j, c, f, t, miss in zip(short_l, counts.tolist(), first, team, missing, strict=True):
        if f >= 0:
            reason = RULE_REASONS[f]
        elif t:
            reason = "team"  # candidates exist; the team could not be served whole
        else:
            reason = "taken"
            if not priority_first:
                slot = int(graph.need_slot[j])
                for e in range(starts[j], starts[j + 1]):
                    a = int(graph.volunteer[e])
                    if (a, j) in in_plan or load[a] >= graph.capacity[a]:
                        continue
                    if graph.one_need_per_slot and slot >= 0 and (a, slot) in busy:
                        continue
                    reason = "not_worth"
                    break
        out.append((j, miss, reason, tuple(c)))
    return out


def in_units(count: int, resolution: float) -> float:
    """``count * resolution`` without binary noise: 479 x 0.001 is 0.479, not 0.47900000000000004.

    Rounded to 15 significant digits (what a float64 holds exactly in
    decimal) unless that would change the count: ``round(in_units(c, r) / r) == c``.
    """
    exact = count * resolution
    short = float(f"{exact:.15g}")
    return short if round(short / resolution) == count else exact


def assemble(
    problem: Problem,
    graph: Graph,
    diag: Diagnostics,
    solution: GraphSolution,
    priority_first: bool,
    timings: Mapping[str, float],
    *,
    reuse: Sequence[Match | None] | None = None,
    known: Mapping[int, Unmatched] | None = None,
    certificate: Certificate | None = None,
    provenance: Provenance | None = None,
) -> Result:
    """Build the :class:`Result` of *problem* from a graph solution.

    A re-plan passes what it knows still holds: *reuse*, for each chosen
    edge, the previous :class:`Match` of the same two unchanged records (or
    None); *known*, the previous :class:`Unmatched` of unchanged needs by
    index, whose candidate counts still hold (the object itself is re-used
    when nothing else changed); *certificate*, the certificate of
    ``solution.certificate`` already named by id.
    """
    e = solution.edge
    res = graph.resolution
    if reuse is None:
        matches = _matches(graph, e)
    else:
        fresh = iter(_matches(graph, e[np.array([m is None for m in reuse], bool)]))
        matches = tuple(next(fresh) if m is None else m for m in reuse)
    known = known or {}
    unmatched = tuple(
        _unmatched(known.get(j), graph.need_ids[j], missing, reason, cand)
        for j, missing, reason, cand in unmatched_reasons(
            graph, diag, e, priority_first, {j: u.candidates for j, u in known.items()}
        )
    )
    objective = Objective(
        served_priority=solution.served_priority,
        int_cost=solution.int_cost,
        cost=in_units(solution.int_cost, res),
        int_penalty=solution.int_penalty,
        penalty=in_units(solution.int_penalty, res),
    )
    metrics = compute_metrics(problem, graph, solution, objective, diag)
    return Result(
        status=solution.status,
        method=solution.method,
        matches=matches,
        unmatched=unmatched,
        objective=objective,
        metrics=metrics,
        timings=dict(timings),
        certificate=(
            None
            if solution.certificate is None
            else certificate or Certificate.from_potentials(solution.certificate, graph)
        ),
        gap=solution.gap,
        provenance=provenance,
        stability=(
            None
            if solution.blocking is None
            else Stability(
                stable=len(solution.blocking) == 0,
                blocking=tuple(
                    sorted(
                        (graph.need_ids[j], graph.volunteer_ids[v])
                        for j, v in zip(
                            graph.need[solution.blocking].tolist(),
                            graph.volunteer[solution.blocking].tolist(),
                            strict=True,
                        )
                    )
                ),
            )
        ),
    )


def _unmatched(
    old: Unmatched | None, need_id: str, missing: int, reason: str, cand: tuple[int, ...]
) -> Unmatched:
    if old is not None and (old.missing, old.reason, old.candidates) == (missing, reason, cand):
        return old
    return Unmatched(need_id, missing, reason, cand)


def _matches(graph: Graph, e: NDArray[np.int64]) -> tuple[Match, ...]:
    """The :class:`Match` of each edge *e*, in the order given."""
    res = graph.resolution
    assert graph.distance_km is not None and graph.parts is not None
    names = sorted(COST_PARTS)  # a FrozenMap's order: no sorting per match
    part_values = [graph.parts[k][e].tolist() for k in names]
    return tuple(
        Match(
            need_id=graph.need_ids[j],
            volunteer_id=graph.volunteer_ids[v],
            cost=in_units(c, res),
            distance_km=d,
            parts=FrozenMap._of_sorted(dict(zip(names, ps, strict=True))),
        )
        for j, v, c, d, *ps in zip(
            graph.need[e].tolist(),
            graph.volunteer[e].tolist(),
            graph.cost[e].tolist(),
            graph.distance_km[e].tolist(),
            *part_values,
            strict=True,
        )
    )
