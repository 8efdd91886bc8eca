"""Re-planning with low churn: ``solve(problem, previous=result, churn_cost=c)``.

The independent formulation is the oracle's MILP (``reference.milp_plan``) with
``c`` taken off the integer cost of every previous pair: the re-plan must reach
its optimum -- served priority first, then ``cost - c * (previous pairs kept)``
(or ``cost + penalty - c * kept`` under a finite ``unmatched_cost``) -- with
every exact method, and pass ``verify`` (whose certificate check rebuilds the
churn term from ``Result.churn``). Re-solving the same problem with any churn
cost keeps every pair. Examples per test under the ``ci`` profile: 70 (MILP,
each solved by four methods), 140 (nothing moves, three churn costs).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import reference
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems
from test_properties import EXACT, assert_valid, plan_of, rank, solve_exact, triple_of

import matcher
from matcher import Churn, InputError, Need, Policy, Problem, Volunteer, solve, verify
from matcher import io as mio

PLANE = Policy(geometry="plane")


def churn_rank(problem: Problem, triple: tuple[int, int, int], kept: int, units: int) -> tuple:
    served, cost, penalty = triple
    if problem.policy.unmatched_cost is None:
        return (-served, cost - units * kept)
    return (cost + penalty - units * kept,)


@st.composite
def changed(draw: Any, problem: Problem) -> Problem:
    """*problem* after a week: needs gone and new, volunteers gone, capacities changed."""
    needs = list(problem.needs)
    vols = list(problem.volunteers)
    gone_n = set(draw(st.sets(st.sampled_from([n.id for n in needs]), max_size=len(needs) // 3)))
    gone_v = set(draw(st.sets(st.sampled_from([v.id for v in vols]), max_size=len(vols) // 4)))
    fresh = [
        replace(n, id=f"{n.id}+new", priority=draw(st.integers(1, 5)))
        for n in draw(st.lists(st.sampled_from(needs), max_size=4, unique_by=lambda n: n.id))
    ]
    recap = draw(st.dictionaries(st.sampled_from([v.id for v in vols]), st.integers(0, 3)))
    vols = [replace(v, capacity=recap.get(v.id, v.capacity)) for v in vols if v.id not in gone_v]
    needs = [n for n in needs if n.id not in gone_n] + fresh

    def alive(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple(p for p in pairs if p[0] not in gone_n and p[1] not in gone_v)

    try:
        return Problem(vols, needs, problem.policy, alive(problem.pinned), alive(problem.forbidden))
    except InputError:  # a pinned pair no longer fits the new capacities
        assume(False)
        raise


@settings(max_examples=budget(0.1), deadline=None)
@given(data=st.data(), problem=medium_problems(), churn=st.sampled_from([0.0, 0.05, 0.4, 3.0]))
def test_replan_reaches_the_milp_optimum_with_the_churn_term(
    data: Any, problem: Problem, churn: float
) -> None:
    before = solve_exact(problem, "flow")
    assert before is not None
    after = data.draw(changed(problem))
    units = max(1, round(churn / after.policy.resolution)) if churn else 0
    previous = plan_of(before)
    plan, triple = reference.milp_plan(after, bonus={p: units for p in previous})
    want = churn_rank(after, triple, len(set(plan) & set(previous)), units)
    for method in EXACT:
        try:
            result = solve(after, method, previous=before, churn_cost=churn)
        except matcher.UnsupportedProblem:
            assert method == "hungarian"
            continue
        assert_valid(after, result)  # the oracle's rules, and verify with the churn term
        c = result.churn
        assert c is not None and c.int_cost == units and c.previous == tuple(sorted(previous))
        assert c.kept + c.moved + c.dropped == len(previous)
        assert c.kept + c.moved + c.added == len(result.matches)
        assert churn_rank(after, triple_of(result), c.kept, units) == want, method


@settings(max_examples=budget(0.2), deadline=None)
@given(problem=medium_problems(), churn=st.sampled_from([0.001, 0.5, 1000.0]))
def test_the_same_problem_replanned_keeps_every_pair(problem: Problem, churn: float) -> None:
    before = solve_exact(problem, "flow")
    assert before is not None
    for method in ("network_simplex", "auto", "hungarian"):
        try:
            result = solve(problem, method, previous=before, churn_cost=churn)
        except matcher.UnsupportedProblem:
            assert method == "hungarian"
            continue
        c = result.churn
        assert c is not None
        assert (c.kept, c.moved, c.dropped) == (len(before.matches), 0, 0), method
        assert triple_of(result) == triple_of(before) or c.added  # ties: only additions
        if problem.policy.unmatched_cost is None:  # coverage-first: no tie can add a pair
            assert plan_of(result) == plan_of(before)
        assert verify(problem, result) == []


def test_without_churn_cost_the_churn_is_only_reported() -> None:
    vols = [Volunteer("a", ["x"], (0.0, 0.0)), Volunteer("b", ["x"], (2.0, 0.0))]
    first = solve(Problem(vols, [Need("n", "c", ["x"], (1.5, 0.0))], PLANE))
    assert plan_of(first) == [("n", "b")]
    # b moves next door to a's old place: a is now closest
    moved = [vols[0], replace(vols[1], location=(3.0, 0.0))]
    again = Problem(moved, [Need("n", "c", ["x"], (1.5, 0.0))], PLANE)
    free = solve(again, previous=first)
    assert plan_of(free) == [("n", "a")]
    assert free.churn == Churn(0.0, 0, (("n", "b"),), kept=0, moved=1, added=0, dropped=0)
    # b is 1.5 km away, a 1.5 km: a tie; any churn cost keeps b.
    sticky = solve(again, previous=first, churn_cost=0.001)
    assert plan_of(sticky) == [("n", "b")]
    assert (sticky.churn.kept, sticky.churn.int_cost) == (1, 1)
    assert verify(again, sticky) == []


def example() -> tuple[Problem, matcher.Result, Problem]:
    """Last week: ana (home 0) serves n1 at 1 km. This week ben moves in next to n1."""
    ana = Volunteer("ana", ["nursing"], (0.0, 0.0))
    ben = Volunteer("ben", ["nursing"], (0.9, 0.0))
    need = Need("n1", "elderly_care", ["nursing"], (1.0, 0.0))
    last = Problem([ana], [need], PLANE)
    return last, solve(last), Problem([ana, ben], [need], PLANE)


def test_a_change_is_made_only_when_it_gains_more_than_the_churn_cost() -> None:
    last, before, now = example()
    assert plan_of(before) == [("n1", "ana")]
    # Moving n1 to ben saves 0.9 km.
    for churn, who in ((0.0, "ben"), (0.5, "ben"), (0.899, "ben"), (0.901, "ana"), (5.0, "ana")):
        r = solve(now, previous=before, churn_cost=churn)
        assert plan_of(r) == [("n1", who)], churn
        assert verify(now, r) == []
        assert r.objective.cost == pytest.approx(1.0 if who == "ana" else 0.1)


def test_verify_rebuilds_the_churn_term_and_checks_the_counts() -> None:
    _, before, now = example()
    r = solve(now, previous=before, churn_cost=5.0)
    assert plan_of(r) == [("n1", "ana")] and verify(now, r) == []
    # Without its churn term the plan is not optimal: the certificate cannot prove it.
    codes = {v.code for v in verify(now, replace(r, churn=None))}
    assert "reduced_cost" in codes
    forged = replace(r, churn=replace(r.churn, kept=0, dropped=1))
    assert [v.code for v in verify(now, forged)] == ["churn"]
    wrong_units = replace(r, churn=replace(r.churn, int_cost=7))
    assert "churn" in {v.code for v in verify(now, wrong_units)}


def test_churn_travels_through_json_and_matches_the_schema(tmp_path: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _, before, now = example()
    r = solve(now, previous=before, churn_cost=0.5)
    back = matcher.Result.from_json(r.to_json())
    assert back == r and back.churn == r.churn
    path = tmp_path / "r.json"
    mio.write_json(r, path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 4 and data["churn"]["previous"] == [["n1", "ana"]]
    jsonschema.Draft202012Validator(mio.json_schema("result")).validate(data)
    old = {k: v for k, v in data.items() if k != "churn"} | {"schema_version": 2}
    assert matcher.Result.from_dict(old).churn is None  # version 2 files still read


@given(
    before=st.sets(st.tuples(st.sampled_from("abcd"), st.sampled_from("xyz"))),
    after=st.sets(st.tuples(st.sampled_from("abcd"), st.sampled_from("xyz"))),
)
def test_churn_counts_add_up(before: set, after: set) -> None:
    c = Churn.between(before, after)
    assert c.kept + c.moved + c.dropped == len(before)
    assert c.kept + c.moved + c.added == len(after)
    assert c.kept == len(before & after)
    assert c.previous == tuple(sorted(before))
    for need in {n for n, _ in before | after}:  # a need never both gains and loses
        lost = {v for n, v in before - after if n == need}
        won = {v for n, v in after - before if n == need}
        assert c.moved >= min(len(lost), len(won))


def test_bad_previous_and_churn_cost_are_refused_all_at_once() -> None:
    last, before, now = example()
    with pytest.raises(InputError) as err:
        solve(now, previous={"matches": []}, churn_cost=-1.0)
    fields = [(p.field, p.record) for p in err.value.problems]
    assert fields == [("previous", "solve"), ("churn_cost", "solve")]
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(InputError, match="churn_cost"):
            solve(now, previous=before, churn_cost=bad)
    with pytest.raises(InputError, match="previous="):
        solve(now, churn_cost=1.0)
    assert solve(now, churn_cost=0.0).churn is None  # nothing to keep close to, nothing asked


def test_the_command_line_replans_from_a_previous_result(tmp_path: Any, capsys: Any) -> None:
    from matcher.cli import main

    city = tmp_path / "city"
    assert main(["generate", "--out", str(city), "--seed", "3", "--communities", "2"]) == 0
    vols, needs = str(city / "volunteers.csv"), str(city / "needs.csv")
    first = tmp_path / "r1.json"
    assert (
        main(["solve", "--volunteers", vols, "--needs", needs, "--out", str(first), "--quiet"]) == 0
    )
    capsys.readouterr()
    again = tmp_path / "r2.json"
    args = ["solve", "--volunteers", vols, "--needs", needs, "--out", str(again)]
    assert main([*args, "--previous", str(first), "--churn-cost", "2.5"]) == 0
    out = capsys.readouterr().out
    before = mio.read_result(first)
    assert f"Churn           {len(before.matches)} pairs kept, 0 moved, 0 added, 0 dropped" in out
    assert main([*args, "--previous", str(first), "--churn-cost", "2.5", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["churn"]["kept"] == len(before.matches) and summary["churn"]["cost"] == 2.5
    assert main([*args, "--churn-cost", "1"]) == 2  # a churn cost needs --previous
    assert "previous=" in capsys.readouterr().err


# --------------------------------------------------------------------------- warm re-plans


def _rounds(problem: Problem, previous: matcher.Result, **kw: Any) -> tuple[int, Any]:
    """Re-plan *problem* at graph level; return the re-plan's rounds and the solution."""
    from matcher.planning.solving import _solve_graph
    from matcher.planning.warm import _pair_mask

    graph = matcher.build_graph(problem)
    before = [(m.need_id, m.volunteer_id) for m in previous.matches]
    assert previous.certificate is not None
    sol = _solve_graph(
        graph,
        kw.pop("method", "auto"),
        executor=None,
        certify=True,
        options={},
        previous=(_pair_mask(graph, before), previous.certificate),
    )
    return sol.replan_rounds, sol


@settings(max_examples=budget(0.15), deadline=None)
@given(data=st.data(), problem=medium_problems())
def test_a_warm_replan_is_proven_and_equals_a_solve_from_scratch(
    data: Any, problem: Problem
) -> None:
    before = solve(problem, "flow")
    after = data.draw(changed(problem))
    scratch = solve(after, "flow")
    rounds, sol = _rounds(after, before)
    event(f"re-plan rounds: {rounds}")
    # equal optima; under a finite unmatched_cost a tie may serve more at more cost
    want = rank(after, triple_of(scratch))
    assert rank(after, (sol.served_priority, sol.int_cost, sol.int_penalty)) == want
    result = solve(after, previous=before)
    assert rank(after, triple_of(result)) == want
    assert_valid(after, result)


def _city() -> Problem:
    from matcher.synthetic import generate

    c = generate(rng=11, n_communities=4)
    return Problem(c.volunteers, c.needs, replace(c.policy, same_community=True))


def test_a_replan_solves_again_only_the_parts_that_changed() -> None:
    problem = _city()
    before = solve(problem)
    needs = list(problem.needs)
    here = needs[0].community
    # three needs of one community leave and three arrive there; the rest is as before
    gone = [n for n in needs if n.community == here][:3]
    fresh = [replace(n, id=n.id + "+x", priority=5) for n in gone]
    after = Problem(problem.volunteers, [n for n in needs if n not in gone] + fresh, problem.policy)
    parts, sol = _rounds(after, before)
    assert parts == 1  # the warm path ran and proved the plan
    scratch = solve(after, "flow")
    assert (sol.served_priority, sol.int_cost) == triple_of(scratch)[:2]
    result = solve(after, previous=before)
    assert verify(after, result) == []
    community = {n.id: n.community for n in (*problem.needs, *after.needs)}

    def outside(r: matcher.Result) -> set[tuple[str, str]]:
        return {(m.need_id, m.volunteer_id) for m in r.matches if community[m.need_id] != here}

    assert outside(result) == outside(before)  # the other communities' pairs are kept
    parts, _ = _rounds(problem, before)  # nothing changed: proven at once
    assert parts == 1


def test_a_forged_previous_certificate_is_only_a_start() -> None:
    from matcher.synthetic import generate

    problem = generate(rng=5, n_communities=2).problem()
    before = solve(problem)
    want = triple_of(solve(problem, "flow"))
    cert = before.certificate
    assert cert is not None
    for forged in (
        replace(cert, needs={k: -x for k, x in cert.needs.items()}),
        replace(cert, volunteers={k: 10**30 for k in cert.volunteers}),
        replace(cert, volunteers={}, needs={}, slots={}),
        replace(cert, big_m=None),
    ):
        r = solve(problem, previous=replace(before, certificate=forged))
        assert triple_of(r) == want
        assert verify(problem, r) == []


def test_when_too_much_changed_it_is_solved_from_scratch(
    monkeypatch: Any,
) -> None:
    from matcher.solvers import _replan
    from matcher.synthetic import generate

    problem = generate(rng=2, n_communities=2).problem()
    before = solve(problem)
    needs = list(problem.needs)
    after = Problem(
        problem.volunteers, [replace(n, priority=6 - n.priority) for n in needs], problem.policy
    )
    monkeypatch.setattr(_replan, "MAX_SHARE", 0.0)
    rounds, sol = _rounds(after, before)
    assert rounds == 0  # gave up: solved from scratch
    assert sol.served_priority == solve(after, "flow").objective.served_priority
    assert verify(after, solve(after, previous=before)) == []


# --------------------------------------------------------------------------- the start plan


@st.composite
def start_cases(draw: Any) -> tuple[Any, Any, Any]:
    """An instance, pinned edges and a 'previous' edge set that may overfill everything."""
    import numpy as np

    from matcher.solvers._base import Instance

    nv = draw(st.integers(1, 6))
    nn = draw(st.integers(1, 7))
    cells = [(a, b) for a in range(nv) for b in range(nn)]
    pairs = draw(st.lists(st.sampled_from(cells), min_size=1, max_size=len(cells), unique=True))
    m = len(pairs)
    slots = draw(st.none() | st.lists(st.integers(-1, 2), min_size=nn, max_size=nn))
    inst = Instance(
        n_volunteers=nv,
        n_needs=nn,
        volunteer=np.array([a for a, _ in pairs], np.int64),
        need=np.array([b for _, b in pairs], np.int64),
        cost=np.array(draw(st.lists(st.integers(-3, 3), min_size=m, max_size=m)), np.int64),
        capacity=np.array(draw(st.lists(st.integers(0, 3), min_size=nv, max_size=nv)), np.int64),
        demand=np.array(draw(st.lists(st.integers(1, 2), min_size=nn, max_size=nn)), np.int64),
        priority=np.ones(nn, np.int64),
        slot=None if slots is None else np.array(slots, np.int64),
        load_step=0,
        load_start=np.zeros(nv, np.int64),
        unserved_cost=np.zeros(nn, np.int64),
    )
    previous = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)), bool)
    pinned = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)), bool)
    return inst, pinned & (np.arange(m) % 3 == 0), previous


@settings(max_examples=budget(1.0), deadline=None)
@given(case=start_cases())
def test_the_vectorised_start_plan_is_the_loop(case: tuple[Any, Any, Any]) -> None:
    from matcher.solvers._replan import _start_plan_loop, start_plan

    inst, pinned, previous = case
    got = start_plan(inst, pinned, previous)
    assert got.tolist() == _start_plan_loop(inst, pinned, previous).tolist()
