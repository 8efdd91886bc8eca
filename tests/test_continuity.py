"""Continuity of care: ``Problem.history`` and ``Weights.continuity``.

A pair that served before -- the volunteer with the need's id or its
``household`` in the history -- costs ``continuity`` less. The oracle
(``reference.py``) restates the rule from the records, and its MILP must reach
the optimum every exact method reports, on random problems with histories;
``verify`` recomputes the term on its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems
from test_properties import EXACT, assert_valid, rank, triple_of

import matcher
from matcher import InputError, Need, Policy, Problem, Volunteer, Weights, solve, verify
from matcher import io as mio

PLANE = Policy(geometry="plane")


def week(continuity: float, history: Any = (("flat-7", "bob"),)) -> Problem:
    """Grandma in flat 7 needs care again; bob served her last week; ana lives closer."""
    ana = Volunteer("ana", ["nursing"], (0.0, 0.0))
    bob = Volunteer("bob", ["nursing"], (0.0, 0.6))
    care = Need("care-w48", "elderly_care", ["nursing"], (0.0, 0.2), household="flat-7")
    policy = replace(PLANE, weights=Weights(continuity=continuity))
    return Problem([ana, bob], [care], policy, history=history)


def pairs(r: matcher.Result) -> list[tuple[str, str]]:
    return [(m.need_id, m.volunteer_id) for m in r.matches]


def test_the_same_helper_is_kept_when_continuity_outweighs_the_extra_travel() -> None:
    # ana is 0.2 km away, bob 0.4 km: continuity above 0.2 keeps bob.
    for c, who in ((0.0, "ana"), (0.15, "ana"), (0.25, "bob"), (2.0, "bob")):
        p = week(c)
        r = solve(p)
        assert pairs(r) == [("care-w48", who)], c
        assert verify(p, r) == []
        m = r.matches[0]
        assert m.parts["continuity"] == (-c if who == "bob" else 0.0)
        assert m.cost == pytest.approx(0.4 - c if who == "bob" else 0.2)


def test_history_names_a_need_id_or_a_household() -> None:
    assert pairs(solve(week(1.0, [("care-w48", "bob")]))) == [("care-w48", "bob")]
    assert pairs(solve(week(1.0, [("flat-8", "bob")]))) == [("care-w48", "ana")]
    assert pairs(solve(week(1.0, [("flat-7", "carl")]))) == [("care-w48", "ana")]  # gone


def test_history_is_canonical_and_checked() -> None:
    p = week(1.0, [["flat-7", "bob"], ("flat-7", "bob"), ("a", "ana")])
    assert p.history == (("a", "ana"), ("flat-7", "bob"))
    with pytest.raises(InputError) as err:
        week(1.0, [("flat-7",), ("", "bob")])
    assert [(q.record, q.field) for q in err.value.problems] == [
        ("history pair #0", "pair"),
        ("history pair #1", "pair"),
    ]
    with pytest.raises(InputError, match="continuity"):
        Problem([], [], Policy(weights=Weights(continuity=-1.0)))


def test_history_and_households_travel_through_json_and_csv(tmp_path: Any) -> None:
    p = week(0.3)
    path = tmp_path / "p.json"
    mio.write_json(p, path)
    again = mio.read_problem(problem=path)
    assert again == p and again.history == p.history
    assert again.policy.weights.continuity == 0.3
    assert again.needs[0].household == "flat-7"
    mio.write_needs_csv(p.needs, tmp_path / "n.csv", geometry="plane")
    mio.write_volunteers_csv(p.volunteers, tmp_path / "v.csv", geometry="plane")
    mio.write_json(p.policy, tmp_path / "policy.json")
    back = mio.read_problem(tmp_path / "v.csv", tmp_path / "n.csv", tmp_path / "policy.json")
    assert back.needs[0].household == "flat-7"


@st.composite
def with_history(draw: Any, problem: Problem) -> Problem:
    """*problem* with households shared by some needs, a history and a continuity weight."""
    houses = [f"h{i}" for i in range(3)]
    needs = [replace(n, household=draw(st.sampled_from([None, *houses]))) for n in problem.needs]
    keys = [n.id for n in needs] + houses + ["gone"]
    vids = [v.id for v in problem.volunteers] + ["left"]
    history = draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(vids)), max_size=12))
    c = draw(st.sampled_from([0.0, 0.05, 0.7, 4.0]))
    policy = replace(problem.policy, weights=replace(problem.policy.weights, continuity=c))
    return Problem(problem.volunteers, needs, policy, problem.pinned, problem.forbidden, history)


@settings(max_examples=budget(0.1), deadline=None)
@given(data=st.data(), base=medium_problems())
def test_every_exact_method_reaches_the_milp_optimum_with_history(data: Any, base: Problem) -> None:
    problem = data.draw(with_history(base))
    _, best = reference.milp_plan(problem)
    for method in EXACT:
        try:
            r = solve(problem, method)
        except matcher.UnsupportedProblem:
            assert method == "hungarian"
            continue
        assert_valid(problem, r)  # the oracle's costs (with the history) and verify
        assert rank(problem, triple_of(r)) == rank(problem, best), method
