"""Property-based tests of ``matcher`` against the independent oracle ``reference.py``.

Problems are drawn by structure (``strategies.py``); every property asserts an
invariant of DESIGN.md:

* exact methods reach the brute-force optimum on tiny problems and the MILP optimum
  on medium ones, and agree with each other; ``hungarian`` refuses exactly the
  problems an assignment cannot express;
* errors agree too: a problem made invalid on purpose raises the same
  ``InputError`` (same message, same problems, naming the fault) whatever the method;
* every result of every exact method passes ``Result.verify`` -- the plan and its
  certificate, which proves it optimal -- and so do greedy's (the plan only);
* ``greedy`` is always a valid plan and never better than the optimum;
* every ``Unmatched`` entry has the candidate counts and the reason that an
  independent rule cascade gives, and the reason is true of the plan;
* the low level: dense graphs solve like ``scipy.optimize.linear_sum_assignment``,
  and ``build_graph`` has exactly the feasible pairs with the oracle's costs;
* determinism: same problem, same result; shuffled input, same plan;
* ``verify`` names every tampering of a result (a dropped, extra, duplicated or
  swapped match, a changed cost, distance, objective or missing count, a missing
  certificate, a small ``big_m``, a bad or far-lowered potential) with the
  violation codes an independent reading predicts.

The number of examples follows the Hypothesis profile (``conftest.py``);
``strategies.budget`` gives expensive tests a fraction of it. Examples drawn per
run under the default ``ci`` profile (``max_examples=700``; explicit ``@example``
cases come on top):

* ``test_exact_methods_reach_the_brute_force_optimum`` -- 2,520 tiny problems
  (``budget(3.6)``), each solved by flow, network_simplex and auto, and by
  hungarian on the ~2,130 it can express; every result verified;
* ``test_exact_methods_agree_with_each_other_and_the_milp`` -- 630 medium cases
  (``budget(0.9)``): ~590 valid ones against the MILP (all exact methods, verified),
  ~40 invalid on purpose (the ``InputError`` of every method compared);
* ``test_greedy_is_valid_and_never_beats_the_brute_force_optimum`` -- 1,050;
  ``..._milp_optimum`` -- 280;
* ``test_unmatched_reasons_and_candidate_counts`` -- 700;
* ``test_dense_graph_matches_linear_sum_assignment`` -- 1,050 per method;
* ``test_build_graph_has_exactly_the_feasible_pairs_at_the_oracle_costs`` -- 560;
* ``test_solving_is_deterministic_and_independent_of_input_order`` -- 490;
* ``test_verify_names_every_tampering`` -- 700 solved problems with a match, each
  given every tampering that applies (one at a time; ~340 to ~700 per kind);
* ``test_a_need_potential_far_below_gives_a_negative_reduced_cost`` --
  deterministic, one per exact method.

The metamorphic properties are in ``test_metamorphic.py``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import TypeVar

import numpy as np
import pytest
import reference
from hypothesis import assume, event, example, given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from strategies import (
    Case,
    budget,
    dense_matrices,
    medium_cases,
    medium_problems,
    shuffled,
    tiny_problems,
)

import matcher
from matcher import (
    Graph,
    InputError,
    Match,
    Need,
    Policy,
    Problem,
    Status,
    UnsupportedProblem,
    Volunteer,
    build_graph,
    solve,
    solve_graph,
    verify,
)
from matcher.verify import VIOLATIONS

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
    """The oracle finds nothing wrong with *result*, and neither does ``verify``.

    For an ``OPTIMAL`` result ``verify`` also checks its certificate, so an empty
    list proves the plan optimal; for greedy's ``FEASIBLE`` plans it checks the plan.
    """
    violations = reference.check_result(problem, result)
    assert violations == [], "\n".join(violations)
    if problem.policy.unmatched_cost is None:
        assert result.objective.int_penalty == 0
    assert_verified(problem, result)


def assert_verified(problem: Problem, result: matcher.Result) -> None:
    if result.status is Status.OPTIMAL:
        assert result.certificate is not None, f"{result.method} gave no certificate"
    found = verify(problem, result)
    assert found == [], f"verify rejects a {result.method} result:\n" + "\n".join(map(str, found))


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


def attempt(problem: Problem, method: str) -> matcher.Result | UnsupportedProblem:
    """``solve(problem, method)``, or the ``UnsupportedProblem`` it raised."""
    try:
        return solve(problem, method)
    except UnsupportedProblem as exc:
        return exc


def solve_exact(problem: Problem, method: str) -> matcher.Result | None:
    """Solve with an exact method; None when ``hungarian`` refuses, which must be legitimate."""
    return check_exact(problem, method, attempt(problem, method))


def check_exact(
    problem: Problem, method: str, outcome: matcher.Result | UnsupportedProblem
) -> matcher.Result | None:
    """Check the *outcome* of an exact method; None when ``hungarian`` refused, legitimately.

    ``hungarian`` must refuse exactly when :func:`hungarian_must_refuse` (its
    documented rule); the other exact methods never refuse these problems. A
    result must be valid by the oracle and pass ``verify`` (certificate included).
    """
    must = method == "hungarian" and hungarian_must_refuse(problem)
    if isinstance(outcome, UnsupportedProblem):
        assert method == "hungarian", f"method {method!r} refused: {outcome}"
        assert must, f"hungarian refused a problem an assignment can express: {outcome}"
        event("hungarian refused")
        return None
    result = outcome
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


@settings(max_examples=budget(3.6))
@example(problem=_TWO_UNITS)
@example(problem=_SAME_SLOT)
@example(problem=_EMPTY)
@given(problem=tiny_problems())
def test_exact_methods_reach_the_brute_force_optimum(problem: Problem) -> None:
    """Every exact method, on every tiny problem: the brute-force optimum, a verified plan."""
    size_event(problem)
    best = reference.brute_force(problem)
    got = {}
    for method in EXACT:
        result = solve_exact(problem, method)
        if result is not None:
            got[method] = triple_of(result)
    note(f"brute force {best}, methods {got}")
    for method, triple in got.items():
        assert rank(problem, triple) == rank(problem, best), f"{method} misses the optimum"
        event(f"compared: {method}")


# ------------------------------------------------------------------ medium: MILP and errors


def predicted_input_error(case: Case) -> tuple[str, str, str] | None:
    """Whether *case* is invalid, by the oracle: ``(what, record, text)`` or None.

    The ``InputError`` must list a problem whose record is *record* and whose
    message contains *text*. Checked in the order the contract puts them: a pair
    both pinned and forbidden; a pinned pair breaking a feasibility rule (named);
    pins over-filling a capacity, a demand or a slot; then, when solving, an
    integer cost (edge, load step or unserved unit) beyond 2**52 resolution units.
    """
    pol = case.policy
    vol = {v.id: v for v in case.volunteers}
    need = {n.id: n for n in case.needs}
    forbidden = set(case.forbidden)
    both = sorted(set(case.pinned) & forbidden)
    if both:
        return ("pinned and forbidden", f"pinned pair {both[0]!r}", "forbidden")
    view = SimpleNamespace(policy=pol, forbidden=case.forbidden)
    for nid, vid in case.pinned:
        rule = reference.pair_feasible(vol[vid], need[nid], view, forbidden)
        if rule is not None:
            name = reference.RULE_NAMES[rule]
            return (f"pinned pair breaks {name}", f"pinned pair {(nid, vid)!r}", f"({name})")
    load = Counter(v for _, v in case.pinned)
    units = Counter(n for n, _ in case.pinned)
    for vid, k in load.items():
        if k > vol[vid].capacity:
            return ("pins over capacity", f"volunteer {vid!r}", "capacity")
    for nid, k in units.items():
        if k > need[nid].demand:
            return ("pins over demand", f"need {nid!r}", "demand")
    if pol.one_need_per_slot:
        slots = Counter((v, need[n].slot) for n, v in case.pinned if need[n].slot is not None)
        for (vid, _), k in slots.items():
            if k > 1:
                return ("pins in one slot", f"volunteer {vid!r}", "slot")
    limit = 2.0**52 * pol.resolution
    values = [abs(pol.load_penalty)]
    if pol.unmatched_cost is not None:
        values += [abs(pol.unmatched_cost * n.priority) for n in case.needs]
    values += [
        abs(reference.edge_float_cost(v, n, pol))
        for n in case.needs
        for v in case.volunteers
        if reference.pair_feasible(v, n, view, forbidden) is None
    ]
    if any(x > limit for x in values):
        return ("resolution too fine", "policy", "resolution")
    return None


def attempt_case(case: Case, method: str) -> matcher.Result | matcher.MatcherError:
    """Build the problem and solve it with *method*; the error raised, if any."""
    try:
        return solve(case.build(), method)
    except (InputError, UnsupportedProblem) as exc:
        return exc


@settings(max_examples=budget(0.9))
@given(case=medium_cases())
def test_exact_methods_agree_with_each_other_and_the_milp(case: Case) -> None:
    """On the optimum and on errors.

    A valid problem: every exact method (hungarian unless it legitimately
    refuses) reaches the MILP optimum with a verified plan. An invalid one (by the
    oracle :func:`predicted_input_error`): every method raises the same
    ``InputError`` -- same message, same problems -- naming the fault.
    """
    predicted = predicted_input_error(case)
    if case.broken not in (None, "fine_resolution"):
        assert predicted is not None, f"the oracle misses a broken case ({case.broken})"
    outcomes = {method: attempt_case(case, method) for method in EXACT}
    errors = {m: o for m, o in outcomes.items() if isinstance(o, InputError)}
    if predicted is not None:
        what, record, text = predicted
        event(f"invalid: {what}")
        assert set(errors) == set(EXACT), (
            f"{what}, yet {sorted(set(EXACT) - set(errors))} solved it"
        )
        first = errors[EXACT[0]]
        for method, exc in errors.items():
            assert (type(exc), str(exc), exc.problems) == (
                type(first),
                str(first),
                first.problems,
            ), f"{method} and {EXACT[0]} raise different errors for one invalid problem"
        assert any(p.record == record and text in str(p) for p in first.problems), (
            f"the error does not name {record} ({text}):\n{first}"
        )
        return
    assert not errors, f"a valid problem refused: {next(iter(errors.values()))}"
    problem = case.build()
    size_event(problem)
    best = reference.milp_optimum(problem)
    ranks = {}
    for method, outcome in outcomes.items():
        result = check_exact(problem, method, outcome)
        if result is not None:
            ranks[method] = rank(problem, triple_of(result))
    note(f"milp {best}, methods {ranks}")
    assert {"flow", "network_simplex", "auto"} <= set(ranks)
    assert set(ranks.values()) == {rank(problem, best)}
    for method in ranks:
        event(f"compared: {method}")


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
    if not isinstance(first, str):
        assert_verified(problem, first)

    other = data.draw(shuffled(problem), label="shuffled problem")
    moved = solve_or_refuse(other, method)
    if isinstance(first, str) or isinstance(moved, str):
        assert first == moved, "refused one order of the same problem but not the other"
        return
    assert_verified(other, moved)
    assert triple_of(moved) == triple_of(first)
    assert plan_of(moved) == plan_of(first), (
        "a different plan for the same problem in another order"
    )
    assert moved == first


# --------------------------------------------------------------------------- tampering


TAMPERINGS = (
    "drop",
    "extra",
    "duplicate",
    "swap",
    "cost",
    "distance",
    "objective",
    "missing",
    "no_certificate",
    "big_m",
    "potential",
    "potential_type",
    "lower_need",
)
"""What :func:`tamper` can do to a result (see there)."""

FAR_BELOW = 1 << 50  # lowers a potential far below any arc cost, within the exact range


def codes(found: list[matcher.Violation]) -> set[str]:
    return {v.code for v in found}


def _swappable(result: matcher.Result) -> list[tuple[int, int]]:
    """Pairs of matches whose volunteers can be swapped into two pairs not in the plan."""
    ms = result.matches
    plan = set(plan_of(result))
    return [
        (a, b)
        for a in range(len(ms))
        for b in range(a + 1, len(ms))
        if ms[a].need_id != ms[b].need_id
        and ms[a].volunteer_id != ms[b].volunteer_id
        and (ms[a].need_id, ms[b].volunteer_id) not in plan
        and (ms[b].need_id, ms[a].volunteer_id) not in plan
    ]


def _outside_plan(problem: Problem, result: matcher.Result) -> list[tuple[str, str]]:
    plan = set(plan_of(result))
    return [
        (n.id, v.id) for n in problem.needs for v in problem.volunteers if (n.id, v.id) not in plan
    ]


def _lowerable(problem: Problem, result: matcher.Result) -> list[str]:
    """Needs with a residual arc leaving them: a match not pinned, or units missing.

    Lowering such a need's potential far below makes that arc's reduced cost
    negative (a used pair's backward arc, or the arc giving up one unserved unit).
    """
    pinned = set(problem.pinned)
    free_match = {m.need_id for m in result.matches if (m.need_id, m.volunteer_id) not in pinned}
    short = {u.need_id for u in result.unmatched if u.missing > 0}
    return sorted(free_match | short)


def tamperings_for(problem: Problem, result: matcher.Result) -> list[str]:
    """The tamperings of :data:`TAMPERINGS` that apply to *result* (it has a match)."""
    applies = {"drop", "duplicate", "cost", "distance", "objective"}
    if _outside_plan(problem, result):
        applies.add("extra")
    if _swappable(result):
        applies.add("swap")
    if result.unmatched:
        applies.add("missing")
    if result.status is Status.OPTIMAL:
        applies |= {"no_certificate", "potential", "potential_type"}
        assert result.certificate is not None
        if result.certificate.big_m is not None:
            applies.add("big_m")
        if _lowerable(problem, result):
            applies.add("lower_need")
    return [kind for kind in TAMPERINGS if kind in applies]


T = TypeVar("T")


def _pick(data: st.DataObject, items: Sequence[T], label: str) -> T:
    return items[data.draw(st.integers(0, len(items) - 1), label=label)]


def _right_cost(problem: Problem, m: Match) -> bool:
    """Whether the reported cost and distance of *m* are those of the formula."""
    pol = problem.policy
    v = next(x for x in problem.volunteers if x.id == m.volunteer_id)
    n = next(x for x in problem.needs if x.id == m.need_id)
    return round(m.cost / pol.resolution) == reference.edge_int_cost(v, n, pol) and math.isclose(
        m.distance_km, reference.distance_km(v, n, pol.geometry), rel_tol=1e-12, abs_tol=1e-12
    )


def _slot_clash(problem: Problem, plan: list[tuple[str, str]]) -> bool:
    if not problem.policy.one_need_per_slot:
        return False
    need = {n.id: n for n in problem.needs}
    busy = Counter((v, need[n].slot) for n, v in plan if need[n].slot is not None)
    return any(k > 1 for k in busy.values())


def tamper(
    data: st.DataObject, problem: Problem, result: matcher.Result, kind: str
) -> tuple[matcher.Result, set[str] | None]:
    """*result* tampered with as *kind* says, and the violation codes ``verify`` must give.

    The expected set is exact (``verify`` must report those codes and no other);
    None means the tampering may or may not be detectable (a perturbed potential:
    potentials are not unique), so only ``reduced_cost`` may be reported.

    ``drop`` a match: the need is unaccounted for and the objective is off
    (``pinned`` too when the pair was pinned). ``extra``: a match for a pair not in
    the plan, with the formula's cost and distance: the objective is off, the need
    unaccounted for (or over its demand), and the oracle says which of
    ``infeasible``, ``capacity``, ``slot`` also hold. ``duplicate`` a match.
    ``swap`` the volunteers of two matches, keeping their reported costs: the
    oracle says what breaks; when nothing does, the plan is another optimal plan
    and the certificate proves it too (complementary slackness holds between any
    optimal plan and any optimal potentials), so ``verify`` must find nothing.
    ``cost`` / ``distance`` of one match changed; ``objective`` field changed;
    ``missing`` units of an unmatched entry changed; ``no_certificate``;
    ``big_m`` too small; ``potential`` of one node moved by a few units;
    ``potential_type``: a potential missing or not an integer; ``lower_need``:
    a need's potential lowered :data:`FAR_BELOW`.
    """
    pol = problem.policy
    res = pol.resolution
    ms = result.matches
    plan = plan_of(result)
    pinned = set(problem.pinned)
    vol = {v.id: v for v in problem.volunteers}
    need = {n.id: n for n in problem.needs}

    def with_matches(matches: list[Match]) -> matcher.Result:
        return replace(
            result, matches=tuple(sorted(matches, key=lambda m: (m.need_id, m.volunteer_id)))
        )

    if kind == "drop":
        k = data.draw(st.integers(0, len(ms) - 1), label="dropped")
        pair = plan[k]
        return with_matches([*ms[:k], *ms[k + 1 :]]), {"unaccounted", "objective"} | (
            {"pinned"} if pair in pinned else set()
        )
    if kind == "extra":
        nid, vid = _pick(data, _outside_plan(problem, result), "extra pair")
        v, n = vol[vid], need[nid]
        extra = Match(
            nid,
            vid,
            cost=reference.edge_int_cost(v, n, pol) * res,
            distance_km=reference.distance_km(v, n, pol.geometry),
        )
        served = sum(1 for a, _ in plan if a == nid)
        load = sum(1 for _, b in plan if b == vid)
        expected = {"objective", "unaccounted" if served < n.demand else "demand"}
        if reference.pair_feasible(v, n, problem) is not None:
            expected.add("infeasible")
        if load + 1 > v.capacity:
            expected.add("capacity")
        if _slot_clash(problem, [*plan, (nid, vid)]):
            expected.add("slot")
        return with_matches([*ms, extra]), expected
    if kind == "duplicate":
        return with_matches([*ms, _pick(data, ms, "duplicated")]), {"duplicate"}
    if kind == "swap":
        a, b = _pick(data, _swappable(result), "swapped")
        new = [
            replace(ms[a], volunteer_id=ms[b].volunteer_id),
            replace(ms[b], volunteer_id=ms[a].volunteer_id),
        ]
        rest = [m for k, m in enumerate(ms) if k not in (a, b)]
        forged = with_matches([*rest, *new])
        new_plan = plan_of(forged)
        expected = set()
        for m in new:
            if reference.pair_feasible(vol[m.volunteer_id], need[m.need_id], problem) is not None:
                expected.add("infeasible")
            if not _right_cost(problem, m):
                expected.add("cost")
        if _slot_clash(problem, new_plan):
            expected.add("slot")
        if pinned - set(new_plan):
            expected.add("pinned")
        if reference.evaluate(problem, new_plan) != triple_of(result):
            expected.add("objective")
        note(f"swap: {'another optimal plan' if not expected else sorted(expected)}")
        return forged, expected
    if kind == "cost":
        k = data.draw(st.integers(2, 10**6) | st.integers(-(10**6), -2), label="units")
        m = _pick(data, ms, "match")
        return with_matches([*(x for x in ms if x is not m), replace(m, cost=m.cost + k * res)]), {
            "cost"
        }
    if kind == "distance":
        delta = data.draw(st.sampled_from((1e-6, 0.5, -1e-6, 3.0)), label="km")
        m = _pick(data, ms, "match")
        moved = replace(m, distance_km=m.distance_km + delta)
        return with_matches([*(x for x in ms if x is not m), moved]), {"cost"}
    if kind == "objective":
        o = result.objective
        name = data.draw(
            st.sampled_from(("served_priority", "int_cost", "int_penalty", "cost")), label="field"
        )
        delta = data.draw(st.integers(1, 100) | st.integers(-100, -1), label="delta")
        return replace(result, objective=replace(o, **{name: getattr(o, name) + delta})), {
            "objective"
        }
    if kind == "missing":
        k = data.draw(st.integers(0, len(result.unmatched) - 1), label="unmatched")
        u = result.unmatched[k]
        delta = data.draw(st.sampled_from((1, -1, 2)), label="delta")
        unmatched = list(result.unmatched)
        unmatched[k] = replace(u, missing=u.missing + delta)
        return replace(result, unmatched=tuple(unmatched)), {"unaccounted"}
    cert = result.certificate
    assert cert is not None
    if kind == "no_certificate":
        return replace(result, certificate=None), {"certificate"}
    if kind == "big_m":
        big_m = data.draw(st.sampled_from((0, -1, -(10**6), True)), label="big_m")
        return replace(result, certificate=replace(cert, big_m=big_m)), {"big_m"}
    if kind in ("potential", "potential_type"):
        table = data.draw(st.sampled_from(("volunteers", "needs")), label="table")
        nodes = dict(getattr(cert, table))
        if not nodes:  # a problem with no volunteers (or needs): use the other table
            table = "needs" if table == "volunteers" else "volunteers"
            nodes = dict(getattr(cert, table))
        key = _pick(data, sorted(nodes), "node")
        if kind == "potential":
            nodes[key] += data.draw(st.integers(1, 10**6) | st.integers(-(10**6), -1))
            expected = None
        else:
            how = data.draw(st.sampled_from(("float", "missing", "text")), label="how")
            if how == "missing":
                del nodes[key]
            else:
                nodes[key] = nodes[key] + 0.5 if how == "float" else str(nodes[key])
            expected = {"potential"}
        return replace(result, certificate=replace(cert, **{table: nodes})), expected
    assert kind == "lower_need"
    nid = _pick(data, _lowerable(problem, result), "need")
    needs = {**cert.needs, nid: cert.needs[nid] - FAR_BELOW}
    return replace(result, certificate=replace(cert, needs=needs)), {"reduced_cost"}


@settings(max_examples=budget(1.0))
@given(
    data=st.data(),
    problem=st.one_of(tiny_problems(), medium_problems()),
    method=st.sampled_from(ALL_METHODS),
)
def test_verify_names_every_tampering(data: st.DataObject, problem: Problem, method: str) -> None:
    """Every tampering that applies, each alone on a copy of a result; ``verify`` names it.

    What each tampering changes (which match, field, node or amount) is drawn at
    random; the violation codes expected are in :func:`tamper`.
    """
    result = solve_or_refuse(problem, method)
    if isinstance(result, str):
        result = solve(problem, "flow")
    assume(result.matches)
    assert_verified(problem, result)
    done = []
    for kind in tamperings_for(problem, result):
        forged, expected = tamper(data, problem, result, kind)
        done.append(kind if expected != set() else f"{kind} (another optimal plan)")
        found = matcher.verify(problem, forged)  # must return, never raise
        note(f"{kind}: " + "; ".join(map(str, found)))
        assert all(v.code in VIOLATIONS for v in found)
        if expected is None:
            assert codes(found) <= {"reduced_cost"}, kind
        else:
            assert codes(found) == expected, kind
    for label in done:  # once every check of the example has run
        event(f"tampering: {label}")


@pytest.mark.parametrize("method", ["flow", "network_simplex", "hungarian", "auto"])
def test_a_need_potential_far_below_gives_a_negative_reduced_cost(method: str) -> None:
    """Deterministic: lowering a served need's potential breaks its used pair's backward arc."""
    p = Problem(
        [Volunteer("v", ["driving"], (0.0, 0.0)), Volunteer("w", ["driving"], (2.0, 0.0))],
        [Need("n", "medical", ["driving"], (1.0, 0.5), priority=3)],
        Policy(geometry="plane"),
    )
    r = solve(p, method)
    assert verify(p, r) == []
    assert r.certificate is not None
    served = {m.volunteer_id for m in r.matches}
    assert served == {"v"} or served == {"w"}
    needs = {**r.certificate.needs, "n": r.certificate.needs["n"] - 10**6}
    found = matcher.verify(p, replace(r, certificate=replace(r.certificate, needs=needs)))
    assert codes(found) == {"reduced_cost"}
    assert any(v.need_id == "n" and v.volunteer_id in served for v in found), found
