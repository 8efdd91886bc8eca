"""Property-based tests of ``matcher`` against the independent oracle ``reference.py``.

Problems are drawn by structure (``strategies.py``); every property asserts an
invariant of DESIGN.md:

* exact methods reach the brute-force optimum on tiny problems and the MILP optimum
  on medium ones, and agree with each other; ``hungarian`` refuses exactly the
  problems an assignment cannot express;
* ``greedy`` is always a valid plan and never better than the optimum;
* every ``Unmatched`` entry has the candidate counts and the reason that an
  independent rule cascade gives, and the reason is true of the plan;
* the low level: dense graphs solve like ``scipy.optimize.linear_sum_assignment``,
  and ``build_graph`` has exactly the feasible pairs with the oracle's costs;
* determinism: same problem, same result; shuffled input, same plan.

The number of examples follows the Hypothesis profile (``conftest.py``);
``strategies.budget`` gives expensive tests a fraction of it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
import reference
from hypothesis import event, example, given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from strategies import budget, dense_matrices, medium_problems, tiny_problems

import matcher
from matcher import (
    Graph,
    Need,
    Policy,
    Problem,
    Status,
    UnsupportedProblem,
    Volunteer,
    build_graph,
    solve,
    solve_graph,
)

EXACT = ("flow", "hungarian", "network_simplex", "auto")
EXACT_RAN = {"flow", "hungarian", "network_simplex"}  # what Result.method may say for exact runs
ALL_METHODS = (*EXACT, "greedy")
FILTER_REASONS = ("no_skill", "out_of_range", "no_slot", "other_community", "unavailable")

Triple = tuple[int, int, int]


# --------------------------------------------------------------------------- helpers


def triple_of(result: matcher.Result) -> Triple:
    o = result.objective
    return (o.served_priority, o.int_cost, o.int_penalty)


def rank(problem: Problem, triple: Triple) -> tuple[int, ...]:
    """The objective as a key to minimise: lexicographic by default, else the total."""
    served, cost, penalty = triple
    if problem.policy.unmatched_cost is None:
        return (-served, cost)
    return (cost + penalty,)


def plan_of(result: matcher.Result) -> list[tuple[str, str]]:
    return [(m.need_id, m.volunteer_id) for m in result.matches]


def assert_valid(problem: Problem, result: matcher.Result) -> None:
    violations = reference.check_result(problem, result)
    assert violations == [], "\n".join(violations)
    if problem.policy.unmatched_cost is None:
        assert result.objective.int_penalty == 0


def hungarian_must_refuse(problem: Problem) -> bool:
    """Whether an assignment cannot express *problem* (after fixing the pinned pairs).

    Effective capacity = min(capacity left after pins, candidate pairs left);
    effective demand likewise. Refuse when a volunteer of effective capacity >= 2 is
    a candidate of a need of effective demand >= 2, or (one_need_per_slot, some need
    with a slot) has two candidate needs in one slot. A pinned pair uses its slot:
    the volunteer's other pairs in that slot are no longer candidates.
    """
    pol = problem.policy
    forbidden = set(problem.forbidden)
    pinned = set(problem.pinned)
    need = {n.id: n for n in problem.needs}
    vol = {v.id: v for v in problem.volunteers}
    uses_slots = pol.one_need_per_slot and any(n.slot is not None for n in problem.needs)
    used_slot = {(v, need[n].slot) for n, v in pinned if need[n].slot is not None}
    pairs = [
        (n.id, v.id)
        for n in problem.needs
        for v in problem.volunteers
        if reference.pair_feasible(v, n, problem, forbidden) is None and (n.id, v.id) not in pinned
    ]
    if uses_slots:
        pairs = [(n, v) for n, v in pairs if (v, need[n].slot) not in used_slot]
    deg_v = Counter(v for _, v in pairs)
    deg_n = Counter(n for n, _ in pairs)
    cap_left = {v: vol[v].capacity - sum(1 for _, b in pinned if b == v) for v in vol}
    dem_left = {n: need[n].demand - sum(1 for a, _ in pinned if a == n) for n in need}
    cap = {v: min(max(cap_left[v], 0), deg_v[v]) for v in vol}
    dem = {n: min(max(dem_left[n], 0), deg_n[n]) for n in need}
    if any(cap[v] >= 2 and dem[n] >= 2 for n, v in pairs):
        return True
    if uses_slots:
        per_slot = Counter(
            (v, need[n].slot) for n, v in pairs if need[n].slot is not None and cap[v] >= 2
        )
        if any(k >= 2 for k in per_slot.values()):
            return True
    return False


_EDGE_BUCKETS = ((0, "0"), (3, "1-3"), (15, "4-15"), (60, "16-60"), (float("inf"), ">60"))


def size_event(problem: Problem) -> None:
    """Report the shape of the drawn problems (``--hypothesis-show-statistics``)."""
    edges = build_graph(problem).n_edges
    bucket = next(name for top, name in _EDGE_BUCKETS if edges <= top)
    event(f"candidate pairs: {bucket}")
    finite = problem.policy.unmatched_cost is not None
    event("objective: " + ("finite unmatched_cost" if finite else "lexicographic"))
    if problem.pinned:
        event("has pinned pairs")


def solve_exact(problem: Problem, method: str) -> matcher.Result | None:
    """Solve with an exact method; None when ``hungarian`` refuses, which must be legitimate.

    ``hungarian`` must refuse exactly when :func:`hungarian_must_refuse` (its
    documented rule); the other exact methods never refuse these problems.
    """
    must = method == "hungarian" and hungarian_must_refuse(problem)
    try:
        result = solve(problem, method)
    except UnsupportedProblem as exc:
        assert method == "hungarian", f"method {method!r} refused: {exc}"
        assert must, f"hungarian refused a problem an assignment can express: {exc}"
        event("hungarian refused")
        return None
    assert not must, "hungarian solved a problem where capacity/demand/slot copies can bind"
    assert result.status is Status.OPTIMAL
    if method == "auto":
        assert result.method in EXACT_RAN, f"auto ran {result.method!r}"
    else:
        assert result.method == method
    assert_valid(problem, result)
    return result


def expected_unmatched(
    problem: Problem, result: matcher.Result
) -> list[tuple[str, int, str, tuple[int, ...]]]:
    """``(need_id, missing, reason, candidates)`` of every need not fully served, recomputed.

    Candidates: volunteers with the skills (of all volunteers); of those, within
    range; free in the slot; in the community; available (capacity > 0, pair not
    forbidden) -- i.e. volunteers whose first broken rule comes after the filter.
    Reason: the first filter that leaves none; otherwise ``taken`` under the
    default objective, and under a finite unmatched_cost ``not_worth`` iff some
    candidate is not serving the need, has load < capacity and (one_need_per_slot,
    need with a slot) no match in that slot, else ``taken``.
    """
    pol = problem.policy
    forbidden = set(problem.forbidden)
    plan = plan_of(result)
    in_plan = set(plan)
    load = Counter(v for _, v in plan)
    served = Counter(n for n, _ in plan)
    need = {n.id: n for n in problem.needs}
    busy = {(v, need[n].slot) for n, v in plan if need[n].slot is not None}
    out = []
    for n in sorted(problem.needs, key=lambda x: x.id):
        missing = n.demand - served[n.id]
        if missing <= 0:
            continue
        first_broken = [
            reference.pair_feasible(v, n, problem, forbidden) for v in problem.volunteers
        ]
        counts = tuple(sum(1 for r in first_broken if r is None or r > k) for k in range(1, 6))
        if 0 in counts:
            reason = FILTER_REASONS[counts.index(0)]
        elif pol.unmatched_cost is None:
            reason = "taken"
        else:
            reason = "taken"
            for v, r in zip(problem.volunteers, first_broken, strict=True):
                if r is not None or (n.id, v.id) in in_plan or load[v.id] >= v.capacity:
                    continue
                if pol.one_need_per_slot and n.slot is not None and (v.id, n.slot) in busy:
                    continue
                reason = "not_worth"
                break
        out.append((n.id, missing, reason, counts))
    return out


def free_candidates(problem: Problem, result: matcher.Result, nid: str) -> list[Volunteer]:
    """Feasible volunteers of need *nid* who could still take it in the plan of *result*."""
    pol = problem.policy
    forbidden = set(problem.forbidden)
    n = next(x for x in problem.needs if x.id == nid)
    plan = plan_of(result)
    in_plan = set(plan)
    load = Counter(v for _, v in plan)
    need = {x.id: x for x in problem.needs}
    busy = {(v, need[a].slot) for a, v in plan if need[a].slot is not None}
    return [
        v
        for v in problem.volunteers
        if reference.pair_feasible(v, n, problem, forbidden) is None
        and (nid, v.id) not in in_plan
        and load[v.id] < v.capacity
        and not (pol.one_need_per_slot and n.slot is not None and (v.id, n.slot) in busy)
    ]


# --------------------------------------------------------------------------- exact methods


# An explicit example where hungarian must refuse (a volunteer of capacity 2, a need of
# demand 2) and one where one-need-per-slot binds.
_PLANE = Policy(geometry="plane")
_TWO_UNITS = Problem(
    [Volunteer("a", [], (0.0, 0.0), capacity=2), Volunteer("b", [], (1.0, 0.0), capacity=2)],
    [Need("n", "repair", [], (0.5, 0.0), demand=2), Need("m", "repair", [], (0.0, 1.0))],
    _PLANE,
)
_SAME_SLOT = Problem(
    [Volunteer("a", [], (0.0, 0.0), capacity=2)],
    [
        Need("n", "repair", [], (0.5, 0.0), slot="sat-am"),
        Need("m", "repair", [], (0.0, 1.0), slot="sat-am"),
    ],
    _PLANE,
)
_EMPTY = Problem([], [])


@pytest.mark.parametrize("method", EXACT)
@settings(max_examples=budget(1.2))
@example(problem=_TWO_UNITS)
@example(problem=_SAME_SLOT)
@example(problem=_EMPTY)
@given(problem=tiny_problems())
def test_exact_methods_reach_the_brute_force_optimum(method: str, problem: Problem) -> None:
    size_event(problem)
    result = solve_exact(problem, method)
    if result is None:
        return
    best = reference.brute_force(problem)
    note(f"brute force {best}, {method} {triple_of(result)}")
    assert rank(problem, triple_of(result)) == rank(problem, best)


@settings(max_examples=budget(0.8))
@given(problem=medium_problems())
def test_exact_methods_agree_with_each_other_and_the_milp(problem: Problem) -> None:
    size_event(problem)
    best = reference.milp_optimum(problem)
    ranks = {}
    for method in EXACT:
        result = solve_exact(problem, method)
        if result is not None:
            ranks[method] = rank(problem, triple_of(result))
    note(f"milp {best}, methods {ranks}")
    assert ranks, "no exact method ran"
    assert set(ranks.values()) == {rank(problem, best)}


# --------------------------------------------------------------------------- greedy


def check_greedy(problem: Problem, best: Triple) -> matcher.Result:
    result = solve(problem, "greedy")
    assert result.method == "greedy"
    assert result.status is Status.FEASIBLE
    assert_valid(problem, result)
    note(f"optimum {best}, greedy {triple_of(result)}")
    assert rank(problem, triple_of(result)) >= rank(problem, best)
    return result


@settings(max_examples=budget(1.5))
@given(problem=tiny_problems())
def test_greedy_is_valid_and_never_beats_the_brute_force_optimum(problem: Problem) -> None:
    check_greedy(problem, reference.brute_force(problem))


@settings(max_examples=budget(0.4))
@given(problem=medium_problems())
def test_greedy_is_valid_and_never_beats_the_milp_optimum(problem: Problem) -> None:
    check_greedy(problem, reference.milp_optimum(problem))


# --------------------------------------------------------------------------- reasons


# A volunteer with room left but busy in the need's slot does not make it "not_worth".
_BUSY_IN_SLOT = Problem(
    [Volunteer("a", [], (0.0, 0.0), capacity=2)],
    [
        Need("n1", "repair", [], (0.5, 0.0), slot="sat-am", priority=5),
        Need("n2", "repair", [], (0.6, 0.0), slot="sat-am", priority=1),
    ],
    Policy(geometry="plane", unmatched_cost=10.0),
)
# Serving costs more than the penalty: "not_worth"; with no unmatched_cost: served.
_TOO_FAR = Problem(
    [Volunteer("a", [], (0.0, 0.0))],
    [Need("n", "repair", [], (2.0, 0.0))],
    Policy(geometry="plane", unmatched_cost=1.0),
)


@settings(max_examples=budget(1.0))
@example(problem=_BUSY_IN_SLOT, method="flow")
@example(problem=_TOO_FAR, method="flow")
@example(problem=_TOO_FAR, method="greedy")
@given(
    problem=st.one_of(tiny_problems(), medium_problems()),
    method=st.sampled_from(["flow", "network_simplex", "greedy", "auto"]),
)
def test_unmatched_reasons_and_candidate_counts(problem: Problem, method: str) -> None:
    size_event(problem)
    result = solve(problem, method)
    assert_valid(problem, result)
    for u in result.unmatched:
        event(f"reason: {u.reason}")
    got = [(u.need_id, u.missing, u.reason, u.candidates) for u in result.unmatched]
    assert got == expected_unmatched(problem, result)
    for n in problem.needs:  # every need of the input can be explained
        assert repr(n.id) in result.explain(n.id)

    # The reason is true of the plan: under the default objective no unserved need
    # has a volunteer who could still take it (every plan of these methods is
    # maximal); under a finite unmatched_cost, taking it would cost at least the
    # penalty saved.
    pol = problem.policy
    step = reference.load_int_penalty(pol)
    load = Counter(v for _, v in plan_of(result))
    for u in result.unmatched:
        free = free_candidates(problem, result, u.need_id)
        if pol.unmatched_cost is None:
            assert free == [], (
                f"need {u.need_id!r} is {u.reason!r} but {[v.id for v in free]} are free"
            )
            continue
        n = next(x for x in problem.needs if x.id == u.need_id)
        for v in free:
            extra = reference.edge_int_cost(v, n, pol) + step * load[v.id]
            assert extra >= reference.unit_int_penalty(n, pol), (
                f"serving {u.need_id!r} by {v.id!r} costs {extra} < penalty saved"
            )


# --------------------------------------------------------------------------- low level


@pytest.mark.parametrize("method", ["flow", "hungarian", "network_simplex"])
@settings(max_examples=budget(1.5))
@example(matrix=np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]]))
@example(matrix=np.array([[1.0, np.inf], [np.inf, 2.0], [0.0, 0.0]]))
@given(matrix=dense_matrices())
def test_dense_graph_matches_linear_sum_assignment(method: str, matrix: np.ndarray) -> None:
    rows, cols = linear_sum_assignment(matrix)
    expected = int(matrix[rows, cols].sum())
    sol = solve_graph(Graph.from_dense(matrix), method)
    k = min(matrix.shape)
    assert len(sol.volunteer) == k, "every row (or column) is matched: a full matching exists"
    assert len(set(sol.volunteer.tolist())) == k and len(set(sol.need.tolist())) == k
    cells = matrix[sol.volunteer, sol.need]
    assert np.isfinite(cells).all()
    assert sol.int_cost == int(cells.sum()) == expected
    assert sol.served_priority == k


@settings(max_examples=budget(0.8))
@given(problem=st.one_of(tiny_problems(), medium_problems()))
def test_build_graph_has_exactly_the_feasible_pairs_at_the_oracle_costs(problem: Problem) -> None:
    size_event(problem)
    g = build_graph(problem)
    pol = problem.policy
    assert list(g.volunteer_ids) == sorted(v.id for v in problem.volunteers)
    assert list(g.need_ids) == sorted(n.id for n in problem.needs)
    vol = {v.id: v for v in problem.volunteers}
    need = {n.id: n for n in problem.needs}
    forbidden = set(problem.forbidden)

    edges = list(zip(g.need.tolist(), g.volunteer.tolist(), strict=True))
    assert edges == sorted(edges), "edges sorted by (need, volunteer)"
    got = {
        (g.need_ids[j], g.volunteer_ids[i]): int(c)
        for j, i, c in zip(g.need, g.volunteer, g.cost, strict=True)
    }
    assert len(got) == g.n_edges
    want = {
        (n.id, v.id): reference.edge_int_cost(v, n, pol)
        for n in problem.needs
        for v in problem.volunteers
        if reference.pair_feasible(v, n, problem, forbidden) is None
    }
    assert set(got) == set(want), (
        f"extra pairs {sorted(set(got) - set(want))}, missing pairs {sorted(set(want) - set(got))}"
    )
    assert got == want

    assert g.capacity.tolist() == [vol[i].capacity for i in g.volunteer_ids]
    assert g.demand.tolist() == [need[j].demand for j in g.need_ids]
    assert g.priority.tolist() == [need[j].priority for j in g.need_ids]
    assert g.load_step == reference.load_int_penalty(pol)
    if pol.unmatched_cost is None:
        assert g.unserved_cost is None
    else:
        assert g.unserved_cost.tolist() == [
            reference.unit_int_penalty(need[j], pol) for j in g.need_ids
        ]
    pinned = {
        (g.need_ids[j], g.volunteer_ids[i])
        for j, i, p in zip(g.need, g.volunteer, g.pinned, strict=True)
        if p
    }
    assert pinned == set(problem.pinned)
    assert g.distance_km is not None
    for (nid, vid), d in zip(got, g.distance_km.tolist(), strict=True):
        assert d == pytest.approx(
            reference.distance_km(vol[vid], need[nid], pol.geometry), rel=1e-12, abs=1e-12
        )


# --------------------------------------------------------------------------- determinism


@st.composite
def shuffled(draw: Any, problem: Problem) -> Problem:
    """The same problem with its volunteers, needs, pinned and forbidden pairs reordered."""
    return Problem(
        draw(st.permutations(problem.volunteers)),
        draw(st.permutations(problem.needs)),
        problem.policy,
        pinned=draw(st.permutations(problem.pinned)),
        forbidden=draw(st.permutations(problem.forbidden)),
    )


def solve_or_refuse(problem: Problem, method: str) -> matcher.Result | str:
    try:
        return solve(problem, method)
    except UnsupportedProblem as exc:
        assert method == "hungarian", f"method {method!r} refused: {exc}"
        return "refused"


@settings(max_examples=budget(0.7))
@given(
    data=st.data(),
    problem=st.one_of(tiny_problems(), medium_problems()),
    method=st.sampled_from(ALL_METHODS),
)
def test_solving_is_deterministic_and_independent_of_input_order(
    data: st.DataObject, problem: Problem, method: str
) -> None:
    size_event(problem)
    first = solve_or_refuse(problem, method)
    again = solve_or_refuse(problem, method)
    assert first == again, "solving the same problem twice gave different results"

    other = data.draw(shuffled(problem), label="shuffled problem")
    moved = solve_or_refuse(other, method)
    if isinstance(first, str) or isinstance(moved, str):
        assert first == moved, "refused one order of the same problem but not the other"
        return
    assert triple_of(moved) == triple_of(first)
    assert plan_of(moved) == plan_of(first), (
        "a different plan for the same problem in another order"
    )
    assert moved == first
