"""Participation as a level of the objective: ``Policy(participation=True)``.

Coverage first, then the number of volunteers engaged, then cost -- exact in
min-cost flow (each volunteer's first need carries a bonus larger than any
cost difference, below the coverage weight). The oracle's MILP optimises the
three levels in turn (``reference.milp_plan``); every exact method must reach
its served priority, volunteers engaged and cost, and pass ``verify``, whose
certificate check rebuilds the bonus (``Certificate.engage``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import reference
from hypothesis import given, settings
from strategies import budget, medium_problems
from test_properties import EXACT, assert_valid

import matcher
from matcher import InputError, Need, Policy, Problem, Volunteer, solve, verify

PLANE = Policy(geometry="plane", participation=True)


def engaged(pairs: Any) -> int:
    return len({v for _, v in pairs})


@settings(max_examples=budget(0.1), deadline=None)
@given(base=medium_problems())
def test_every_exact_method_reaches_the_three_level_milp_optimum(base: Problem) -> None:
    if base.policy.unmatched_cost is not None:
        base = Problem(
            base.volunteers,
            base.needs,
            replace(base.policy, unmatched_cost=None),
            base.pinned,
            base.forbidden,
        )
    problem = Problem(
        base.volunteers,
        base.needs,
        replace(base.policy, participation=True),
        base.pinned,
        base.forbidden,
    )
    plan, (served, cost, _) = reference.milp_plan(problem)
    want = (served, engaged(plan), cost)
    plain = solve(base, "flow")
    for method in EXACT:
        try:
            r = solve(problem, method)
        except matcher.UnsupportedProblem:
            assert method == "hungarian"
            continue
        assert_valid(problem, r)
        got = (r.objective.served_priority, r.metrics.volunteers_used, r.objective.int_cost)
        assert got == want, method
        # never less coverage, never fewer volunteers than the plain optimum
        assert r.objective.served_priority == plain.objective.served_priority
        assert r.metrics.volunteers_used >= plain.metrics.volunteers_used


def test_two_volunteers_share_what_one_would_do_cheaper() -> None:
    ana = Volunteer("ana", ["x"], (0.0, 0.0), capacity=2)
    bob = Volunteer("bob", ["x"], (2.0, 0.0))
    needs = [Need("n1", "c", ["x"], (0.1, 0.0)), Need("n2", "c", ["x"], (0.2, 0.0))]
    plain = solve(Problem([ana, bob], needs, replace(PLANE, participation=False)))
    assert {m.volunteer_id for m in plain.matches} == {"ana"}
    p = Problem([ana, bob], needs, PLANE)
    r = solve(p)
    assert {(m.need_id, m.volunteer_id) for m in r.matches} == {("n1", "ana"), ("n2", "bob")}
    assert r.metrics.participation_rate == 1.0 and verify(p, r) == []
    assert r.certificate is not None and r.certificate.engage is not None
    # A forged (too small) engage weight is refused.
    forged = replace(r, certificate=replace(r.certificate, engage=1))
    assert "engage" in {v.code for v in verify(p, forged)}
    assert matcher.Result.from_json(r.to_json()) == r


def test_participation_needs_the_coverage_first_objective() -> None:
    with pytest.raises(InputError, match="participation"):
        Problem([], [], Policy(participation=True, unmatched_cost=2.0))
    with pytest.raises(InputError, match="participation"):
        Problem([], [], Policy(participation="yes"))  # type: ignore[arg-type]


def test_the_cli_shows_the_plan_without_the_participation_level(capsys, tmp_path) -> None:
    import json

    from matcher.cli import main

    assert main(["demo", "--participation", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    plain = got["without_participation"]
    # same served priority, more members engaged, at a higher cost
    assert got["objective"]["served_priority"] == plain["objective"]["served_priority"]
    assert got["metrics"]["volunteers_used"] > plain["volunteers_used"]
    assert got["objective"]["int_cost"] > plain["objective"]["int_cost"]
    assert main(["demo", "--participation"]) == 0
    text = capsys.readouterr().out
    assert f"without the participation level: {plain['participation_rate']:.1%}" in text
    assert main(["demo", "--json"]) == 0  # the plain demo: nothing to compare
    assert json.loads(capsys.readouterr().out)["without_participation"] is None
