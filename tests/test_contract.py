"""One contract, every method: hand-built cases whose answer is known.

Each test runs over all methods (exact ones must reach the stated optimum;
greedy must return a valid plan), and every result is checked by the
independent oracle in ``reference.py``.
"""

import json

import pytest
import reference as ref

from matcher import (
    Graph,
    InputError,
    Need,
    Policy,
    Problem,
    Result,
    Status,
    UnsupportedProblem,
    Volunteer,
    build_graph,
    methods,
    solve,
    solve_graph,
)

EXACT = ["flow", "hungarian", "network_simplex", "auto"]
ALL = [*EXACT, "greedy"]
PLANE = Policy(geometry="plane")


def V(id, skills=(), xy=(0.0, 0.0), **kw):
    return Volunteer(id, skills if isinstance(skills, dict) else list(skills), xy, **kw)


def N(id, skills=(), xy=(0.0, 0.0), category="elderly_care", **kw):
    return Need(id, category, skills if isinstance(skills, dict) else list(skills), xy, **kw)


def run(problem, method):
    """Solve and check with the oracle; hungarian may refuse only with UnsupportedProblem."""
    result = solve(problem, method=method)
    assert ref.check_result(problem, result) == []
    if method == "auto":
        assert result.method in ("flow", "hungarian")
    else:
        assert result.method == method
    assert result.status is (Status.FEASIBLE if method == "greedy" else Status.OPTIMAL)
    return result


def pairs(result):
    return [(m.need_id, m.volunteer_id) for m in result.matches]


@pytest.mark.parametrize("method", ALL)
def test_empty_problem_gives_empty_plan(method):
    r = run(Problem([], []), method)
    assert r.matches == () and r.unmatched == ()
    assert r.objective.served_priority == 0 and r.objective.int_cost == 0
    assert r.metrics.coverage == 1.0 and r.metrics.participation_rate == 0.0


@pytest.mark.parametrize("method", ALL)
def test_no_volunteers_every_need_unmatched_with_reason(method):
    r = run(Problem([], [N("n1", ["nursing"]), N("n2")]), method)
    assert [(u.need_id, u.reason, u.candidates) for u in r.unmatched] == [
        ("n1", "no_skill", (0, 0, 0, 0, 0)),
        ("n2", "no_skill", (0, 0, 0, 0, 0)),
    ]


@pytest.mark.parametrize("method", EXACT)
def test_priority_beats_cost(method):
    # One volunteer, two needs: the urgent one is far, the other near.
    p = Problem(
        [V("v", xy=(0, 0))],
        [N("far", xy=(2.5, 0), priority=5), N("near", xy=(0.1, 0), priority=1)],
        PLANE,
    )
    r = run(p, method)
    assert pairs(r) == [("far", "v")]
    assert [(u.need_id, u.reason) for u in r.unmatched] == [("near", "taken")]
    assert r.objective.served_priority == 5


@pytest.mark.parametrize("method", EXACT)
def test_finite_unmatched_cost_can_leave_a_need_unserved(method):
    pol = Policy(geometry="plane", unmatched_cost=0.5)
    p = Problem([V("v", xy=(0, 0))], [N("n", xy=(2.0, 0), priority=1)], pol)
    r = run(p, method)
    assert r.matches == ()
    assert [(u.need_id, u.reason) for u in r.unmatched] == [("n", "not_worth")]
    assert r.objective.int_penalty == 500  # 0.5 * priority 1 / resolution 0.001


@pytest.mark.parametrize("method", ALL)
def test_each_filter_reason(method):
    vols = [
        V("nurse", {"nursing": 3}, (0, 0), slots=["sat-am"], community="A"),
        V("far_nurse", {"nursing": 3}, (50, 0)),
        V("idle", {"repair": 2}, (0, 0), capacity=0, community="A"),
    ]
    needs = [
        N("legal", {"legal": 1}, (0, 0)),  # nobody has the skill
        N("care_far", {"nursing": 2}, (25, 0)),  # skilled volunteers, all out of range
        N("care_sun", {"nursing": 2}, (0, 0), slot="sun-pm", community="A"),  # not free then
        N("care_B", {"nursing": 2}, (0, 0), slot="sat-am", community="B"),  # other community
        N("repair", {"repair": 1}, (0, 0), community="A"),  # the only repairer has capacity 0
    ]
    p = Problem(vols, needs, Policy(geometry="plane", same_community=True))
    r = run(p, method)
    got = {u.need_id: (u.reason, u.candidates) for u in r.unmatched}
    assert got == {
        "legal": ("no_skill", (0, 0, 0, 0, 0)),
        "care_far": ("out_of_range", (2, 0, 0, 0, 0)),
        "care_sun": ("no_slot", (2, 1, 0, 0, 0)),
        "care_B": ("other_community", (2, 1, 1, 0, 0)),
        "repair": ("unavailable", (1, 1, 1, 1, 0)),
    }


@pytest.mark.parametrize("method", ["flow", "network_simplex", "auto", "greedy"])
def test_one_need_per_slot_binds(method):
    vols = [V("v", xy=(0, 0), capacity=2, slots=["sat-am", "sat-pm"])]
    needs = [
        N("a", xy=(0, 0), slot="sat-am"),
        N("b", xy=(0.1, 0), slot="sat-am"),
        N("c", xy=(0.2, 0), slot="sat-pm"),
    ]
    r = run(Problem(vols, needs, PLANE), method)
    assert len(r.matches) == 2
    assert {m.need_id for m in r.matches} >= {"c"}
    if method != "greedy":
        assert pairs(r) == [("a", "v"), ("c", "v")]  # the cheaper of the two sat-am needs
    off = run(Problem(vols, needs, Policy(geometry="plane", one_need_per_slot=False)), method)
    assert len(off.matches) == 2  # capacity binds instead


def test_hungarian_refuses_a_binding_slot_rule_and_double_units():
    vols = [V("v", xy=(0, 0), capacity=2)]
    slot_bind = Problem(vols, [N("a", slot="s"), N("b", slot="s")], PLANE)
    with pytest.raises(UnsupportedProblem, match="one_need_per_slot"):
        solve(slot_bind, method="hungarian")
    two = [V("v", xy=(0, 0), capacity=2), V("w", xy=(1, 0), capacity=2)]
    twice = Problem(two, [N("a", demand=2), N("b", xy=(0.5, 0))], PLANE)
    with pytest.raises(UnsupportedProblem, match="same need"):
        solve(twice, method="hungarian")
    # Where the rule cannot bind (one candidate), the same shape is accepted.
    once = Problem(vols, [N("a", demand=2)], PLANE)
    assert pairs(run(once, "hungarian")) == [("a", "v")]
    # The refused problems are fine for flow, and the answer respects the rules.
    assert len(run(slot_bind, "flow").matches) == 1
    assert pairs(run(twice, "flow")) == [("a", "v"), ("a", "w"), ("b", "v")]


@pytest.mark.parametrize("method", EXACT)
def test_load_penalty_spreads_work(method):
    vols = [V("a", xy=(0, 0), capacity=3), V("b", xy=(1.0, 0), capacity=3)]
    needs = [N(f"n{i}", xy=(0, 0)) for i in range(2)]
    spread = run(Problem(vols, needs, Policy(geometry="plane", load_penalty=2.0)), method)
    assert sorted(m.volunteer_id for m in spread.matches) == ["a", "b"]
    assert spread.metrics.participation_rate == 1.0
    packed = run(Problem(vols, needs, Policy(geometry="plane", load_penalty=0.5)), method)
    assert [m.volunteer_id for m in packed.matches] == ["a", "a"]
    assert packed.objective.int_cost == 500  # second need costs 0.5 more


@pytest.mark.parametrize("method", ALL)
def test_pinned_and_forbidden(method):
    vols = [V("near", xy=(0, 0)), V("far", xy=(2, 0))]
    needs = [N("n", xy=(0, 0))]
    pinned = run(Problem(vols, needs, PLANE, pinned=[("n", "far")]), method)
    assert pairs(pinned) == [("n", "far")]
    forbidden = run(Problem(vols, needs, PLANE, forbidden=[("n", "near")]), method)
    assert pairs(forbidden) == [("n", "far")]


def test_pinned_pair_breaking_a_rule_is_refused_with_the_rule():
    vols = [V("v", {"driving": 1}, (0, 0), slots=["sat-am"])]
    needs = [N("n", {"nursing": 2}, (9, 0), slot="sun-am")]
    with pytest.raises(InputError) as info:
        Problem(vols, needs, PLANE, pinned=[("n", "v")])
    (problem,) = info.value.problems
    assert "rule 1 (skills)" in str(problem) and "nursing>=2" in str(problem)


@pytest.mark.parametrize("method", EXACT)
def test_demand_two_served_once_is_in_both_lists(method):
    vols = [V("v", xy=(0, 0))]
    r = run(Problem(vols, [N("move", xy=(0, 0), demand=2, priority=3)], PLANE), method)
    assert pairs(r) == [("move", "v")]
    assert [(u.need_id, u.missing, u.reason) for u in r.unmatched] == [("move", 1, "taken")]


def test_output_order_and_ties_do_not_depend_on_input_order():
    vols = [V(f"v{i}", xy=(0, 0)) for i in (3, 1, 2)]
    needs = [N(f"n{i}", xy=(0, 0)) for i in (2, 3, 1)]
    a = solve(Problem(vols, needs, PLANE))
    b = solve(Problem(vols[::-1], needs[::-1], PLANE))
    assert a == b
    assert pairs(a) == sorted(pairs(a))
    assert [m.need_id for m in a.matches] == ["n1", "n2", "n3"]


def test_result_round_trips_through_json():
    vols = [V("v1", {"nursing": 3}, (0, 0), capacity=2, unit="u1"), V("v2", xy=(5, 0))]
    needs = [N("n1", {"nursing": 1}, (0.3, 0.4), priority=4), N("n2", ["legal"], (0, 0))]
    r = solve(Problem(vols, needs, PLANE))
    again = Result.from_json(r.to_json())
    assert again == r
    assert again.timings == r.timings
    assert json.loads(r.to_json())["matches"][0]["parts"]["overskill"] == pytest.approx(0.2)


def test_explain_names_volunteer_reason_and_counts():
    vols = [V("v1", {"nursing": 3}, (0, 0))]
    needs = [N("n1", {"nursing": 1}, (0.3, 0.4)), N("n2", ["legal"], (0, 0))]
    r = solve(Problem(vols, needs, PLANE))
    assert "served by 'v1'" in r.explain("n1") and "0.50 km" in r.explain("n1")
    assert "no volunteer has the required skills" in r.explain("n2")
    with pytest.raises(KeyError):
        r.explain("nope")


def test_metrics_are_plain_python_numbers_and_consistent():
    vols = [
        V("a", xy=(0, 0), unit="u1", capacity=2),
        V("b", xy=(0, 0), unit="u2"),
        V("c", xy=(9, 9), unit="u2"),
    ]
    needs = [
        N("n1", xy=(0, 0), category="x", community="A"),
        N("n2", xy=(0, 0), category="y", priority=3),
    ]
    r = solve(Problem(vols, needs, Policy(geometry="plane", load_penalty=1.0)))
    m = r.metrics
    for value in m.to_dict().values():
        assert type(value) in (int, float, dict)
    assert m.coverage == 1.0 and m.units_served == 2
    assert m.volunteers_used == 2 and m.participation_rate == pytest.approx(2 / 3)
    assert m.participation_by_unit == {"u1": 1.0, "u2": 0.5}
    assert m.coverage_by_category == {"x": 1.0, "y": 1.0}
    assert m.coverage_by_community == {"(unknown)": 1.0, "A": 1.0}
    assert m.load_gini == pytest.approx(1 / 3)


@pytest.mark.parametrize("method", ["nope", "Flow", ""])
def test_unknown_method_is_an_input_error(method):
    with pytest.raises(InputError, match="method"):
        solve(Problem([], []), method=method)


def test_unknown_option_is_an_input_error():
    with pytest.raises(InputError, match="max_cell"):
        solve(Problem([], []), method="hungarian", max_cell=10)


def test_methods_lists_every_method():
    assert list(methods()) == [
        "auto",
        "flow",
        "hungarian",
        "network_simplex",
        "greedy",
        "milp",
        "stable",
    ]


@pytest.mark.parametrize("method", ALL)
def test_solve_graph_on_a_built_graph_matches_solve(method):
    vols = [V(f"v{i}", {"nursing": 1 + i % 3}, (i * 0.3, 0)) for i in range(6)]
    needs = [
        N(f"n{j}", {"nursing": 1 + j % 2}, (j * 0.4, 0.2), priority=1 + j % 5) for j in range(5)
    ]
    p = Problem(vols, needs, PLANE)
    g = build_graph(p)
    sol = solve_graph(g, method=method)
    r = solve(p, method=method)
    assert (sol.served_priority, sol.int_cost) == (
        r.objective.served_priority,
        r.objective.int_cost,
    )
    assert [
        (g.need_ids[j], g.volunteer_ids[v]) for j, v in zip(sol.need, sol.volunteer, strict=True)
    ] == pairs(r)


def test_graph_from_arrays_rejects_bad_input_all_at_once():
    with pytest.raises(InputError) as info:
        Graph.from_arrays([0, 1], [0], [1.5, 2.0], capacity=[-1, 1], demand=[0], priority=[0])
    text = str(info.value)
    assert "need/cost" in text and "capacity" in text and "priority" in text


def test_graph_from_dense_refuses_nan_and_fractional_costs_without_resolution():
    import numpy as np

    with pytest.raises(InputError, match="NaN"):
        Graph.from_dense([[1.0, np.nan]])
    with pytest.raises(InputError, match="resolution"):
        Graph.from_dense([[1.5, 2.0]])
    g = Graph.from_dense([[1.5, 2.25]], resolution=0.25)
    assert g.cost.tolist() == [6, 9]


def test_to_networkx_carries_costs_and_parts():
    p = Problem(
        [V("v", {"nursing": 3}, (0, 0))],
        [N("n", {"nursing": 1}, (3, 4))],
        Policy(geometry="plane", max_distance_km=10),
    )
    G = build_graph(p).to_networkx()
    data = G.edges[("volunteer", "v"), ("need", "n")]
    assert data["distance_km"] == 5.0 and data["overskill"] == pytest.approx(0.2)
    assert data["cost"] == 5200
