"""Participation floors per employer unit: ``Policy(participation_floors={unit: k})``.

Hard constraints solved by method ``milp`` (``auto`` picks it): at least ``k``
volunteers of the unit engaged. The oracle's MILP states them on its own; matcher
must reach its optimum (or both find no plan), pass the oracle's checks and
``verify`` (which checks the floors).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems
from test_properties import rank, triple_of

import matcher
from matcher import Need, Policy, Problem, Status, Volunteer, solve, verify

PLANE = Policy(geometry="plane")


def office() -> list[Volunteer]:
    """Two neighbours from the bank (closer) and one from the school."""
    return [
        Volunteer("b1", ["x"], (0.0, 0.0), capacity=2, unit="bank"),
        Volunteer("b2", ["x"], (0.1, 0.0), capacity=2, unit="bank"),
        Volunteer("s1", ["x"], (1.0, 0.0), capacity=2, unit="school"),
    ]


def test_a_floor_engages_members_of_its_unit() -> None:
    needs = [Need(f"n{i}", "c", ["x"], (0.05, 0.0)) for i in range(2)]
    plain = solve(Problem(office(), needs, PLANE))
    assert {m.volunteer_id for m in plain.matches} <= {"b1", "b2"}
    p = Problem(office(), needs, replace(PLANE, participation_floors={"school": 1}))
    r = solve(p)
    assert r.method == "milp" and r.status is Status.OPTIMAL and r.gap == 0.0
    assert "s1" in {m.volunteer_id for m in r.matches}
    assert r.objective.served_priority == plain.objective.served_priority
    assert verify(p, r) == [] and r.metrics.participation_by_unit["school"] == 1.0
    # verify catches a plan below the floor
    assert "floor" in {v.code for v in verify(p, plain)}
    with pytest.raises(matcher.UnsupportedProblem, match="floors"):
        solve(p, "flow")
    impossible = Problem(office(), needs, replace(PLANE, participation_floors={"school": 2}))
    with pytest.raises(matcher.UnsupportedProblem, match="no plan"):
        solve(impossible)


def test_floors_are_checked_and_travel_through_json(tmp_path: Any) -> None:
    from matcher import io as mio

    with pytest.raises(matcher.InputError, match="participation_floors"):
        Problem([], [], Policy(participation_floors={"bank": -1}))
    pol = replace(PLANE, participation_floors={"bank": 2})
    mio.write_json(pol, tmp_path / "p.json")
    assert mio.read_policy(tmp_path / "p.json") == pol


@st.composite
def with_floors(draw: Any, problem: Problem) -> Problem:
    units = sorted({v.unit for v in problem.volunteers if v.unit is not None})
    vols = list(problem.volunteers)
    if not units:
        units = ["u0", "u1"]
        vols = [replace(v, unit=draw(st.sampled_from(units))) for v in vols]
    size = {u: sum(1 for v in vols if v.unit == u) for u in units}
    # up to every member of the unit: floors that bind (and some no plan can meet)
    chosen = draw(st.lists(st.sampled_from(units), max_size=2, unique=True))
    floors = {u: draw(st.integers(0, size[u])) for u in chosen}
    policy = replace(problem.policy, participation_floors=floors)
    return Problem(vols, problem.needs, policy, problem.pinned, problem.forbidden)


@settings(max_examples=budget(0.08), deadline=None)
@given(data=st.data(), base=medium_problems())
def test_milp_meets_the_floors_at_the_oracle_optimum(data: Any, base: Problem) -> None:
    problem = data.draw(with_floors(base))
    try:
        _, best = reference.milp_plan(problem)
    except ValueError:  # no plan meets the floors: matcher must say so too
        with pytest.raises(matcher.UnsupportedProblem, match="no plan"):
            solve(problem)
        return
    r = solve(problem)
    assert reference.check_result(problem, r) == []
    assert verify(problem, r) == []
    assert rank(problem, triple_of(r)) == rank(problem, best)
