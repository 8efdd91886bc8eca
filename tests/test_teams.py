"""Teams: needs that share ``Need.group`` are served whole or not at all (method ``milp``).

The oracle's MILP (``reference.milp_plan``, written from the records) states
the team rule on its own; ``milp`` -- and ``auto``, which picks it -- must reach
its optimum on random problems with teams, pass the oracle's checks and
``verify`` (which checks the team rule; a plan with teams carries no flow
certificate, its optimality rests on HiGHS's proof, reported as ``gap`` 0).
The flow-based methods refuse teams.
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
from matcher import io as mio

PLANE = Policy(geometry="plane")


def visit() -> Problem:
    """A visit needs a nurse and a driver together; only one of them is available."""
    nurse = Volunteer("nia", ["nursing"], (0.0, 0.0))
    needs = [
        Need("care", "elderly_care", ["nursing"], (0.5, 0.0), group="visit-1", priority=5),
        Need("ride", "medical", ["driving"], (0.5, 0.0), group="visit-1", priority=5),
        Need("form", "paperwork", [], (0.2, 0.0), priority=1),
    ]
    return Problem([nurse], needs, PLANE)


def test_a_team_is_served_whole_or_not_at_all() -> None:
    p = visit()
    r = solve(p)  # auto picks milp
    assert r.method == "milp" and r.status is Status.OPTIMAL and r.gap == 0.0
    assert [(m.need_id, m.volunteer_id) for m in r.matches] == [("form", "nia")]
    reasons = {u.need_id: u.reason for u in r.unmatched}
    assert reasons == {"care": "team", "ride": "no_skill"}
    assert verify(p, r) == []
    # With a driver too, the visit is served whole.
    q = Problem([*p.volunteers, Volunteer("dan", ["driving"], (1.0, 0.0))], p.needs, PLANE)
    r = solve(q)
    assert {(m.need_id, m.volunteer_id) for m in r.matches} == {("care", "nia"), ("ride", "dan")}
    assert verify(q, r) == [] and matcher.Result.from_json(r.to_json()) == r


def test_flow_methods_refuse_teams_and_verify_catches_a_broken_team() -> None:
    p = visit()
    for method in ("flow", "hungarian", "network_simplex", "greedy", "stable"):
        with pytest.raises(matcher.UnsupportedProblem, match="teams"):
            solve(p, method)
    plain = Problem(p.volunteers, [replace(n, group=None) for n in p.needs], PLANE)
    broken = solve(plain)  # serves care without its ride
    assert ("care", "nia") in {(m.need_id, m.volunteer_id) for m in broken.matches}
    assert "team" in {v.code for v in verify(p, broken)}


def test_a_pinned_pair_forces_its_team() -> None:
    nurse, driver = (
        Volunteer("nia", ["nursing"], (0.0, 0.0)),
        Volunteer("dan", ["driving"], (0.0, 0.0)),
    )
    needs = [
        Need("care", "c", ["nursing"], (0.1, 0.0), group="g"),
        Need("ride", "c", ["driving"], (0.1, 0.0), group="g"),
    ]
    p = Problem([nurse, driver], needs, PLANE, pinned=[("care", "nia")])
    assert len(solve(p).matches) == 2
    lonely = Problem([nurse], needs, PLANE, pinned=[("care", "nia")])
    with pytest.raises(matcher.UnsupportedProblem, match="no plan"):
        solve(lonely)


def test_teams_travel_through_csv(tmp_path: Any) -> None:
    p = visit()
    mio.write_needs_csv(p.needs, tmp_path / "n.csv", geometry="plane")
    mio.write_volunteers_csv(p.volunteers, tmp_path / "v.csv", geometry="plane")
    mio.write_json(p.policy, tmp_path / "p.json")
    back = mio.read_problem(tmp_path / "v.csv", tmp_path / "n.csv", tmp_path / "p.json")
    assert [n.group for n in back.needs] == ["visit-1", "visit-1", None]


@st.composite
def with_teams(draw: Any, problem: Problem) -> Problem:
    groups = [None, None, "t0", "t1", "t2"]
    needs = [replace(n, group=draw(st.sampled_from(groups))) for n in problem.needs]
    pinned_needs = {a for a, _ in problem.pinned}
    # keep pins only on needs outside teams (a pin on a team may make the problem have no plan)
    needs = [replace(n, group=None) if n.id in pinned_needs else n for n in needs]
    return Problem(problem.volunteers, needs, problem.policy, problem.pinned, problem.forbidden)


@settings(max_examples=budget(0.08), deadline=None)
@given(data=st.data(), base=medium_problems())
def test_milp_reaches_the_oracle_optimum_with_teams(data: Any, base: Problem) -> None:
    problem = data.draw(with_teams(base))
    _, best = reference.milp_plan(problem)
    for method in ("milp", "auto"):
        r = solve(problem, method)
        teams = any(n.group for n in problem.needs)
        assert r.method == "milp" or not teams
        assert reference.check_result(problem, r) == []  # the oracle's rules, teams included
        assert verify(problem, r) == []
        if teams:  # no flow certificate: HiGHS proved it
            assert r.certificate is None and r.gap == 0.0 and r.status is Status.OPTIMAL
        assert rank(problem, triple_of(r)) == rank(problem, best), method


def test_a_time_limit_stop_is_feasible_with_its_gap(monkeypatch: Any) -> None:
    from matcher.solvers import milp as milp_module

    real = milp_module.milp

    def stopped(*args: Any, **kwargs: Any) -> Any:
        res = real(*args, **kwargs)
        assert kwargs["options"]["time_limit"] == 0.5
        res.status, res.mip_gap = 1, 0.125  # as HiGHS reports a time limit reached
        return res

    monkeypatch.setattr(milp_module, "milp", stopped)
    p = visit()
    r = solve(p, "milp", time_limit=0.5)
    assert r.status is Status.FEASIBLE and r.gap == 0.125 and r.certificate is None
    assert verify(p, r) == []  # a valid plan, not claimed optimal
