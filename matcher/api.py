"""The one path: model -> graph -> solvers -> result.

:func:`solve` is what platforms call; :func:`solve_graph` is the low-level
entry for researchers who bring their own graph.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from .errors import InputError, InputProblem, short_repr
from .graph import Graph, _build
from .model import Problem
from .result import GraphSolution, Result, Status, assemble, in_units
from .solvers import METHODS, Instance, solve_instance

__all__ = ["methods", "solve", "solve_graph"]


def methods() -> dict[str, str]:
    """The available methods and what each is, ``"auto"`` first.

    Examples
    --------
    >>> list(methods())
    ['auto', 'flow', 'hungarian', 'network_simplex', 'greedy']
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
    method : {"auto", "flow", "hungarian", "network_simplex", "greedy"}, default "auto"
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
    priority_first = graph.unserved_cost is None
    solved = solve_instance(
        _instance(graph),
        np.asarray(graph.pinned),
        priority_first=priority_first,
        method=method,
        executor=executor,
        certify=certify,
        **options,
    )
    chosen, obj = solved.chosen, solved.objective
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
    )


def solve(
    problem: Problem,
    method: str = "auto",
    *,
    executor: Any = None,
    certify: bool = True,
    **options: Any,
) -> Result:
    """Match volunteers to needs: the plan, the reasons, the measures.

    Parameters
    ----------
    problem : Problem
    method : {"auto", "flow", "hungarian", "network_simplex", "greedy"}, default "auto"
        ``"auto"`` picks the fastest exact method and records it in ``Result.method``.
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Solve the independent parts of the problem (connected components of
        the candidate graph) there: a ``ProcessPoolExecutor``, or a dask
        ``Client`` (its ``get_executor()`` is used) to run on a cluster. Only
        arrays travel -- no ids, no personal fields. The plan is identical to
        the serial one. The executor is never shut down here.
    certify : bool, default True
        Attach to an optimal result the node potentials that prove it optimal
        (``Result.certificate``; check with :meth:`Result.verify`). Costs a
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
        If a backend fails.

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
    t0 = time.perf_counter()
    graph, diag = _build(problem)
    t1 = time.perf_counter()
    solution = solve_graph(graph, method, executor=executor, certify=certify, **options)
    t2 = time.perf_counter()
    priority_first = problem.policy.unmatched_cost is None
    timings = {
        "build_graph": t1 - t0,
        "solve": t2 - t1,
        "backend": solution.backend_seconds,
        "certify": solution.certify_seconds,
    }
    result = assemble(problem, graph, diag, solution, priority_first, timings)
    t3 = time.perf_counter()
    return replace(result, timings={**timings, "assemble": t3 - t2, "total": t3 - t0})
