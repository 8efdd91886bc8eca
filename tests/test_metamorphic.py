"""Metamorphic properties: change the input in a known way, predict the change of the optimum.

No oracle is needed: the library is compared with itself, across a transformation
whose effect on every plan is known exactly.

* (a) ``test_shifting_one_needs_costs_keeps_the_old_plan_optimal`` -- at Graph level
  with a finite unserved cost, add ``c > 0`` to every edge cost of one need *and* to
  its unserved cost: every plan pays ``c * demand`` more, so the optimum moves by
  exactly that and the old plan is still optimal;
* (b) ``test_shuffled_input_gives_the_identical_result`` -- reordering volunteers,
  needs, pinned and forbidden pairs gives an equal ``Result`` and byte-identical
  JSON (timings left out), for every method;
* (c) ``test_far_apart_problems_solve_as_their_sum`` -- two plane problems
  10,000 km apart with disjoint ids, solved together, give the sums of their
  optima solved apart -- served priority and integer cost under the coverage-first
  objective; integer cost plus penalty under a finite ``unmatched_cost`` (where
  optimal plans may split a tie between cost and penalty differently) -- and the
  joint plan is optimal on each half;
* (d) ``test_scaling_costs_scales_the_optimum`` -- at Graph level, multiplying every
  edge cost, the load step and the unserved costs by an integer ``k >= 2``
  multiplies the optimum by ``k`` (served priority unchanged) and keeps the old plan
  optimal.

Every exact method (hungarian where it can express the instance; it must then
refuse both sides alike) runs on every example and must agree with the others; the
results of (b) and (c) pass ``Result.verify`` (greedy's too, in (b)).

Examples per test under the default ``ci`` profile (``max_examples=700``, see
``conftest.py``): 350 each (``strategies.budget(0.5)``), every example run by every
method -- (a) and (d) 350 graphs for flow, network_simplex and auto, and ~190 / ~230
for hungarian (it refuses the rest, on both sides alike); (b) 350 problems for each
of the five methods (hungarian on the ~260 it can express); (c) 350 pairs of problems
for flow, network_simplex and auto, ~180 for hungarian.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import reference
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from strategies import budget, far_apart_problems, graphs, medium_problems, shuffled, tiny_problems
from test_properties import (
    ALL_METHODS,
    EXACT,
    assert_valid,
    assert_verified,
    plan_of,
    rank,
    solve_exact,
    solve_or_refuse,
    triple_of,
)

from matcher import (
    Graph,
    GraphSolution,
    Problem,
    Status,
    UnsupportedProblem,
    build_graph,
    solve_graph,
)

Triple = tuple[int, int, int]


# --------------------------------------------------------------------------- graph level


def graph_value(graph: Graph, edges: np.ndarray) -> Triple:
    """``(served_priority, int_cost, int_penalty)`` of the plan *edges* of *graph*, recomputed.

    Integer cost: the edges' costs plus ``load_step * k * (k - 1) / 2`` per volunteer
    with ``k`` edges; penalty: unserved units times the need's unserved cost (0
    without one).
    """
    edges = np.asarray(edges, np.int64)
    served = np.bincount(graph.need[edges], minlength=graph.n_needs)
    load = np.bincount(graph.volunteer[edges], minlength=graph.n_volunteers)
    cost = int(graph.cost[edges].sum()) + graph.load_step * int((load * (load - 1) // 2).sum())
    penalty = 0
    if graph.unserved_cost is not None:
        penalty = int(np.dot(graph.unserved_cost, graph.demand - served))
    return int(np.dot(graph.priority, served)), cost, penalty


def graph_rank(graph: Graph, triple: Triple) -> tuple[int, ...]:
    """The objective as a key to minimise (lexicographic without an unserved cost)."""
    served, cost, penalty = triple
    if graph.unserved_cost is None:
        return (-served, cost)
    return (cost + penalty,)


def solution_triple(sol: GraphSolution) -> Triple:
    return (sol.served_priority, sol.int_cost, sol.int_penalty)


def solve_both(
    before: Graph, after: Graph, method: str
) -> tuple[GraphSolution, GraphSolution] | None:
    """Solve both graphs with *method*; None when hungarian refuses (it must refuse both).

    The two graphs have the same structure (only numbers differ), so a method
    refuses both or neither; only hungarian may refuse. Each solution must be
    ``OPTIMAL`` and report the objective of its own plan.
    """
    out = []
    for g in (before, after):
        try:
            out.append(solve_graph(g, method))
        except UnsupportedProblem:
            assert method == "hungarian", f"{method} refused a graph"
            out.append(None)
    a, b = out
    if a is None or b is None:
        assert a is None and b is None, "hungarian refused one of two graphs of the same shape"
        event("hungarian refused")
        return None
    for g, sol in ((before, a), (after, b)):
        assert sol.status is Status.OPTIMAL
        assert solution_triple(sol) == graph_value(g, sol.edge), "objective not that of the plan"
        assert g.pinned[sol.edge].sum() == g.pinned.sum(), "a pinned edge is missing"
    return a, b


@settings(max_examples=budget(0.5))
@given(graph=graphs(finite=True), data=st.data())
def test_shifting_one_needs_costs_keeps_the_old_plan_optimal(
    graph: Graph, data: st.DataObject
) -> None:
    """(a) +c on every edge of need j and on its unserved cost: optimum + c * demand_j."""
    j = data.draw(st.integers(0, graph.n_needs - 1), label="need")
    c = data.draw(st.integers(1, 1000), label="c")
    assert graph.unserved_cost is not None
    on_j = np.asarray(graph.need) == j
    shifted = replace(
        graph,
        cost=np.where(on_j, graph.cost + c, graph.cost),
        unserved_cost=graph.unserved_cost + c * (np.arange(graph.n_needs) == j),
    )
    expected_shift = c * int(graph.demand[j])
    totals = set()
    for method in EXACT:
        both = solve_both(graph, shifted, method)
        if both is None:
            continue
        old, new = both
        old_total = old.int_cost + old.int_penalty
        new_total = new.int_cost + new.int_penalty
        note(f"{method}: old {old_total}, new {new_total}, shift {expected_shift}")
        assert new_total == old_total + expected_shift
        _, cost, penalty = graph_value(shifted, old.edge)
        assert cost + penalty == new_total, "the old plan is no longer optimal"
        totals.add(old_total)
        event(f"compared: {method}")
    assert len(totals) == 1, f"exact methods disagree: {totals}"


@settings(max_examples=budget(0.5))
@given(graph=graphs(), data=st.data())
def test_scaling_costs_scales_the_optimum(graph: Graph, data: st.DataObject) -> None:
    """(d) costs, load step and unserved costs times k: optimum times k, same plan optimal."""
    k = data.draw(st.integers(2, 1000), label="k")
    scaled = replace(
        graph,
        cost=graph.cost * k,
        load_step=graph.load_step * k,
        unserved_cost=None if graph.unserved_cost is None else graph.unserved_cost * k,
    )
    finite = graph.unserved_cost is not None
    event("objective: " + ("finite unserved cost" if finite else "lexicographic"))
    optima = set()
    for method in EXACT:
        both = solve_both(graph, scaled, method)
        if both is None:
            continue
        old, new = both
        note(f"{method}: old {solution_triple(old)}, new {solution_triple(new)}, k {k}")
        if finite:
            assert new.int_cost + new.int_penalty == k * (old.int_cost + old.int_penalty)
        else:
            assert new.served_priority == old.served_priority
            assert new.int_cost == k * old.int_cost
        assert graph_rank(scaled, graph_value(scaled, old.edge)) == graph_rank(
            scaled, solution_triple(new)
        ), "the old plan is not optimal for the scaled graph"
        optima.add(graph_rank(graph, solution_triple(old)))
        event(f"compared: {method}")
    assert len(optima) == 1, f"exact methods disagree: {optima}"


# --------------------------------------------------------------------------- problem level


@settings(max_examples=budget(0.5))
@given(problem=st.one_of(tiny_problems(), medium_problems()), data=st.data())
def test_shuffled_input_gives_the_identical_result(problem: Problem, data: st.DataObject) -> None:
    """(b) same records in another order: an equal Result and the same JSON, byte for byte.

    Every method, exact or greedy; a method that refuses one order refuses the other.
    """
    other = data.draw(shuffled(problem), label="shuffled problem")
    for method in ALL_METHODS:
        first = solve_or_refuse(problem, method)
        moved = solve_or_refuse(other, method)
        if isinstance(first, str) or isinstance(moved, str):
            assert first == moved, f"{method} refused one order of the problem but not the other"
            continue
        assert_valid(problem, first)
        assert_verified(other, moved)
        assert moved == first, f"{method}: another result for the same problem in another order"
        assert moved.to_json(timings=False) == first.to_json(timings=False), method
        event(f"compared: {method}")


@settings(max_examples=budget(0.5))
@given(halves=far_apart_problems())
def test_far_apart_problems_solve_as_their_sum(halves: tuple[Problem, Problem, Problem]) -> None:
    """(c) two problems 10,000 km apart, together: the sums of their optima apart."""
    left, right, together = halves
    g = build_graph(together)
    assert all(
        g.volunteer_ids[i][0] == g.need_ids[j][0]
        for i, j in zip(g.volunteer.tolist(), g.need.tolist(), strict=True)
    ), "a candidate pair crosses 10,000 km"
    for method in EXACT:
        apart = [solve_exact(p, method) for p in (left, right)]
        joint = solve_exact(together, method)  # valid and verified, or legitimately refused
        if joint is None or None in apart:
            assert joint is None and None in apart, (
                "hungarian refused the union but neither half, or a half but not the union"
            )
            continue
        a, b = apart
        want = tuple(x + y for x, y in zip(triple_of(a), triple_of(b), strict=True))
        note(f"{method}: left {triple_of(a)}, right {triple_of(b)}, together {triple_of(joint)}")
        if together.policy.unmatched_cost is None:
            assert triple_of(joint)[:2] == want[:2]
        else:
            assert rank(together, triple_of(joint)) == rank(together, want)
        # The joint plan restricted to each half is optimal for that half.
        for half, alone, prefix in ((left, a, "L"), (right, b, "R")):
            part = [(n, v) for n, v in plan_of(joint) if n.startswith(prefix)]
            assert all(v.startswith(prefix) for _, v in part), "a pair crosses 10,000 km"
            assert rank(half, reference.evaluate(half, part)) == rank(half, triple_of(alone))
        event(f"compared: {method}")
