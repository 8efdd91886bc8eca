"""The one path: model -> graph -> solvers -> result.

:func:`solve` is what platforms call; :func:`solve_graph` is the low-level
entry for researchers who bring their own graph.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, InputProblem, UnsupportedProblem, short_repr
from ..graph import Built, Graph, build
from ..model import Problem
from ..result import (
    Certificate,
    Churn,
    GraphSolution,
    Provenance,
    Result,
    Status,
    assemble,
    in_units,
)
from ..solvers import METHODS, Instance, solve_instance, stable
from ..solvers._base import evaluate
from .warm import _churn_units, _pair_mask, _volunteer_ranks, _warm

__all__ = ["methods", "solve", "solve_graph"]


def methods() -> dict[str, str]:
    """The available methods and what each is, ``"auto"`` first.

    Examples
    --------
    >>> list(methods())
    ['auto', 'flow', 'hungarian', 'network_simplex', 'greedy', 'milp', 'stable']
    """
    return {
        "auto": "the fastest exact method for the problem",
        **{k: m.summary for k, m in METHODS.items()},
    }


def _instance(graph: Graph) -> Instance:
    unserved = (
        graph.unserved_cost
        if graph.unserved_cost is not None
        else np.zeros(graph.n_needs, np.int64)
    )
    uses_slots = (
        graph.one_need_per_slot and graph.n_needs > 0 and bool((graph.need_slot >= 0).any())
    )
    return Instance(
        n_volunteers=graph.n_volunteers,
        n_needs=graph.n_needs,
        volunteer=np.asarray(graph.volunteer),
        need=np.asarray(graph.need),
        cost=np.asarray(graph.cost),
        capacity=np.asarray(graph.capacity),
        demand=np.asarray(graph.demand),
        priority=np.asarray(graph.priority),
        slot=np.asarray(graph.need_slot) if uses_slots else None,
        load_step=graph.load_step,
        load_start=np.zeros(graph.n_volunteers, np.int64),
        unserved_cost=np.asarray(unserved),
        participation=graph.participation,
        group=None if graph.need_group is None else np.asarray(graph.need_group),
        volunteer_unit=None if graph.volunteer_unit is None else np.asarray(graph.volunteer_unit),
        unit_floor=None if graph.unit_floor is None else np.asarray(graph.unit_floor),
    )


def solve_graph(
    graph: Graph,
    method: str = "auto",
    *,
    executor: Any = None,
    certify: bool = True,
    **options: Any,
) -> GraphSolution:
    """Solve a candidate graph; return the chosen pairs as index arrays.

    Parameters
    ----------
    graph : Graph
        From :func:`build_graph`, :meth:`Graph.from_arrays` or :meth:`Graph.from_dense`.
    method : {"auto", "flow", "hungarian", "milp", "network_simplex", "greedy", "stable"}, default "auto"
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        As in :func:`solve`.
    certify : bool, default True
        As in :func:`solve`: attach the optimality certificate (node potentials).
    **options
        Method options (``hungarian``: ``max_cells``).

    Returns
    -------
    GraphSolution
        ``volunteer`` and ``need`` index arrays of the chosen edges, the units
        served per need and the objective.

    Raises
    ------
    InputError
        Unknown method or option.
    UnsupportedProblem
        The method cannot express this graph exactly.
    SolverError
        A backend failed.

    Notes
    -----
    Objective: with ``graph.unserved_cost`` None, maximise the served priority
    (sum of priority x units served), then minimise the total integer cost
    (edges plus load penalties); otherwise minimise cost plus the unserved
    penalties. All exact methods return the same objective; when several plans
    reach it, which one is returned may differ between methods (each method is
    deterministic).

    Examples
    --------
    >>> from matcher import Graph
    >>> sol = solve_graph(Graph.from_dense([[7, 2], [3, 9]]), method="hungarian")
    >>> sol.volunteer.tolist(), sol.need.tolist(), sol.int_cost
    ([1, 0], [0, 1], 5)
    """
    if not isinstance(graph, Graph):
        raise InputError(
            [
                InputProblem(
                    "solve_graph", "graph", "a matcher.Graph", short_repr(graph), kind="option"
                )
            ]
        )
    return _solve_graph(graph, method, executor=executor, certify=certify, options=options)


def _solve_graph(
    graph: Graph,
    method: str,
    *,
    executor: Any,
    certify: bool,
    options: dict[str, Any],
    bonus: NDArray[np.int64] | None = None,
    previous: tuple[NDArray[np.bool_], Certificate] | None = None,
    warm_start: Any = None,
) -> GraphSolution:
    """:func:`solve_graph`, optionally with *bonus* taken off each edge's cost.

    The plan minimises the costs less the bonus (a re-plan's churn term); its
    reported objective is that of the true costs. With *previous* (the
    previous plan's edges and its certificate), re-plan from them; or from
    *warm_start*, a function of the instance giving the :class:`Warm` start
    (a :class:`~matcher.Planner` maps its last potentials by index).
    """
    priority_first = graph.unserved_cost is None
    inst = _instance(graph)
    work = inst if bonus is None else replace(inst, cost=inst.cost - bonus)
    warm = None
    if previous is not None:
        warm = _warm(graph, work, previous[0], previous[1], priority_first)
    elif warm_start is not None:
        warm = warm_start(work)
    if method == "stable":
        work = replace(work, rank=_volunteer_ranks(graph))
    solved = solve_instance(
        work,
        np.asarray(graph.pinned),
        priority_first=priority_first,
        method=method,
        executor=executor,
        certify=certify,
        warm=warm,
        **options,
    )
    chosen, obj = solved.chosen, solved.objective
    if bonus is not None:
        obj = evaluate(inst, chosen, None if priority_first else inst.unserved_cost)
    served = np.bincount(graph.need[chosen], minlength=graph.n_needs)
    return GraphSolution(
        method=solved.method,
        status=Status.OPTIMAL if solved.optimal else Status.FEASIBLE,
        edge=chosen,
        volunteer=np.asarray(graph.volunteer[chosen]),
        need=np.asarray(graph.need[chosen]),
        served=served,
        served_priority=obj.served_priority,
        int_cost=obj.int_cost,
        int_penalty=obj.int_penalty,
        cost=in_units(obj.int_cost, graph.resolution),
        parts=solved.parts,
        backend_seconds=solved.backend_seconds,
        certificate=solved.certificate,
        certify_seconds=solved.certify_seconds,
        replan_rounds=solved.replan_rounds,
        gap=solved.gap,
        blocking=(
            None
            if method != "stable"
            else stable.blocking_pairs(
                work, chosen, work.rank, stable.need_keys(work.cost, work.volunteer)
            )
        ),
    )


def solve(
    problem: Problem,
    method: str = "auto",
    *,
    previous: Result | None = None,
    churn_cost: float | None = None,
    executor: Any = None,
    certify: bool = True,
    **options: Any,
) -> Result:
    """Match volunteers to needs: the plan, the reasons, the measures.

    Parameters
    ----------
    problem : Problem
    method : {"auto", "flow", "hungarian", "milp", "network_simplex", "greedy", "stable"}, default "auto"
        ``"auto"`` picks the fastest exact method and records it in ``Result.method``.
    previous : Result, optional
        The plan this one replaces (last week's, or before needs arrived or
        volunteers dropped out). The result then reports the churn
        (``Result.churn``: pairs kept, moved, added, dropped).
    churn_cost : float, optional
        With *previous*: what changing a previous pair costs, in the units of
        the edge costs (km-equivalent). Every previous pair that is still
        possible is kept unless changing it gains more than this; so with the
        same input and a large churn cost, nothing moves. Under the default
        coverage-first objective, coverage still comes first: the churn cost
        weighs against the other costs only. Exact: the solver minimises
        ``cost + churn_cost * (previous pairs not kept)``, with the churn cost
        in units of ``Policy.resolution`` like every cost (at least one unit
        when positive).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Solve the independent parts of the problem (connected components of
        the candidate graph) there: a ``ProcessPoolExecutor``, or a dask
        ``Client`` (its ``get_executor()`` is used) to run on a cluster. Only
        arrays travel -- no ids, no personal fields. The plan is identical to
        the serial one. The executor is never shut down here. If a worker dies
        while solving (a killed process: ``BrokenProcessPool``; a lost dask
        worker: ``KilledWorker``), no plan is made: a :class:`SolverError`
        says which part was lost and what to do (matcher does not retry: dask
        already has, and a broken process pool is the caller's to replace).
    certify : bool, default True
        Attach to an optimal result the node potentials that prove it optimal
        (``Result.certificate``; check with :func:`matcher.verify`). Costs a
        fraction of the solve (see ``benchmarks/RESULTS.md``).
    **options
        Method options (``hungarian``: ``max_cells``).

    Returns
    -------
    Result
        Every need of the problem appears in ``matches`` or ``unmatched``.

    Raises
    ------
    InputError
        If *problem* is not a Problem, or for an unknown method or option.
    UnsupportedProblem
        If the method cannot express the problem exactly (never a silent approximation).
    SolverError
        If a backend fails, or a worker of *executor* dies before every part is
        solved (the message names the part; nothing partial is returned).

    Notes
    -----
    The objective (``Policy.unmatched_cost`` None): first maximise the sum over
    needs of priority x units served; among those plans, minimise the total
    integer cost. With a number for ``unmatched_cost``: minimise the cost plus
    the penalties of unserved units. Costs are integers in units of
    ``Policy.resolution``, so every exact method reaches the same two numbers.

    Output order: matches by ``(need_id, volunteer_id)``, unmatched by
    ``need_id``. The same problem gives the same plan, whatever the order of
    its records (they are indexed by sorted id).

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> vs = [Volunteer("ana", {"nursing": 3}, (0.0, 0.0), capacity=2),
    ...       Volunteer("bo", {"driving": 1}, (1.0, 0.0))]
    >>> ns = [Need("care", "elderly_care", {"nursing": 2}, (0.5, 0.0), priority=5),
    ...       Need("ride", "medical", ["driving"], (1.5, 0.0), priority=3)]
    >>> r = solve(Problem(vs, ns, Policy(geometry="plane")))
    >>> [(m.need_id, m.volunteer_id, round(m.cost, 3)) for m in r.matches]
    [('care', 'ana', 0.6), ('ride', 'bo', 0.5)]
    >>> r.status.value, r.method, r.metrics.coverage
    ('optimal', 'flow', 1.0)
    """
    if not isinstance(problem, Problem):
        raise InputError(
            [
                InputProblem(
                    "solve", "problem", "a matcher.Problem", short_repr(problem), kind="option"
                )
            ]
        )
    churn_units = _churn_units(churn_cost, previous, problem.policy.resolution)
    t0 = time.perf_counter()
    result, _ = _solve_built(
        build(problem),
        t0,
        method,
        previous=previous,
        churn_cost=churn_cost,
        churn_units=churn_units,
        executor=executor,
        certify=certify,
        options=options,
    )
    return result


def _solve_built(
    built: Built,
    t0: float,
    method: str,
    *,
    previous: Result | None,
    churn_cost: float | None,
    churn_units: int,
    executor: Any,
    certify: bool,
    options: dict[str, Any],
    fingerprints: dict[int, Any] | None = None,
) -> tuple[Result, GraphSolution]:
    """:func:`solve` from a built graph (*t0*: when the build started).

    *fingerprints*: a cache of record digests for the result's provenance (a
    :class:`~matcher.Planner` keeps one, so a re-plan hashes only new records).
    """
    problem, graph, diag = built.problem, built.graph, built.diag
    _check_floors(problem, graph)
    before: list[tuple[str, str]] = []
    bonus = None
    start = None
    if previous is not None:
        before = [(m.need_id, m.volunteer_id) for m in previous.matches]
        mask = _pair_mask(graph, before)
        if churn_units:
            bonus = churn_units * mask.astype(np.int64)
        if previous.certificate is not None:
            start = (mask, previous.certificate)
    t1 = time.perf_counter()
    solution = _solve_graph(
        graph,
        method,
        executor=executor,
        certify=certify,
        options=options,
        bonus=bonus,
        previous=start,
    )
    t2 = time.perf_counter()
    priority_first = problem.policy.unmatched_cost is None
    timings = {
        "build_graph": t1 - t0,
        "solve": t2 - t1,
        "backend": solution.backend_seconds,
        "certify": solution.certify_seconds,
    }
    provenance = Provenance.of(problem, cache=fingerprints)
    result = assemble(
        problem, graph, diag, solution, priority_first, timings, provenance=provenance
    )
    if previous is not None:
        after = [(m.need_id, m.volunteer_id) for m in result.matches]
        result = replace(result, churn=Churn.between(before, after, churn_cost or 0.0, churn_units))
    t3 = time.perf_counter()
    return replace(result, timings={**timings, "assemble": t3 - t2, "total": t3 - t0}), solution


def _check_floors(problem: Problem, graph: Graph) -> None:
    """Refuse participation floors no plan can meet, naming the unit.

    A floor of ``k`` needs ``k`` volunteers of its unit engaged, so at least
    ``k`` of them with capacity and a candidate pair (the solver would find the
    same, without the unit's name: :mod:`matcher.solvers.milp`).
    """
    if graph.unit_floor is None or graph.volunteer_unit is None:
        return
    units = sorted(u for u, k in problem.policy.participation_floors.items() if k > 0)
    able = np.zeros(graph.n_volunteers, bool)
    able[graph.volunteer[graph.capacity[graph.volunteer] > 0]] = True
    code = graph.volunteer_unit
    count = np.bincount(code[able & (code >= 0)], minlength=len(units))
    short = [
        f"unit {u!r} needs {int(k)} volunteer{'s' if k != 1 else ''} engaged; "
        f"{int(c)} of its volunteers {'has' if c == 1 else 'have'} a candidate pair"
        for u, k, c in zip(units, graph.unit_floor, count, strict=True)
        if c < k
    ]
    if short:
        raise UnsupportedProblem("participation floors no plan can meet: " + "; ".join(short))
