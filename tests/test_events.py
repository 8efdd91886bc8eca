"""Planner.update as events kept by difference (matcher/planning/_events.py).

Each event's result is checked against the result assembled afresh from the
same plan on the graph of the community built from scratch, field for field;
against ``verify`` (an independent re-derivation from the records, which checks
the certificate); and against a cold ``solve(previous=)``'s optimum.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems, policies
from test_planner import minimised
from test_properties import assert_valid

import matcher
from matcher import Need, Planner, Policy, Problem, Volunteer, solve, verify
from matcher.errors import InputError, SolverError, UnsupportedProblem
from matcher.graph import build
from matcher.graph.grow import GrowingEncoding
from matcher.model.problem import pairs_now, upserted, with_pairs
from matcher.planning import _kept, _live
from matcher.result import Churn, Provenance, assemble
from matcher.solvers._duals import cost_spread
from matcher.synthetic.families import make


@st.composite
def updates(draw: Any, problem: Problem) -> dict[str, Any]:
    """One ``update()`` a platform could send: records leave, change and arrive, or pairs change."""
    if draw(st.integers(0, 3)) == 3:
        return draw(pair_changes(problem))
    needs, vols = list(problem.needs), list(problem.volunteers)
    small = 0.01 if problem.policy.geometry == "geo" else 0.5
    out: dict[str, Any] = {}
    kinds = draw(st.sets(st.sampled_from(["-n", "-v", "~n", "~v", "+n", "+v"]), min_size=1))
    gone_n: set[str] = set()
    gone_v: set[str] = set()
    if "-n" in kinds and needs:
        gone_n = set(draw(st.sets(st.sampled_from([n.id for n in needs]), max_size=2)))
        out["remove_needs"] = sorted(gone_n)
    if "-v" in kinds and vols:
        gone_v = set(draw(st.sets(st.sampled_from([v.id for v in vols]), max_size=2)))
        out["remove_volunteers"] = sorted(gone_v)
    fresh_n: list[Need] = []
    fresh_v: list[Volunteer] = []
    left_n = [n for n in needs if n.id not in gone_n]
    left_v = [v for v in vols if v.id not in gone_v]
    if "~n" in kinds and left_n:
        n = draw(st.sampled_from(left_n))
        how = draw(st.integers(0, 3))
        if how == 0:
            n = replace(n, priority=n.priority % 5 + 1)
        elif how == 1:
            n = replace(n, location=(n.location[0] + small, n.location[1]))
        elif how == 2:
            n = replace(n, demand=n.demand % 2 + 1)
        else:
            n = replace(
                n, slot=draw(st.sampled_from([None, *sorted({m.slot for m in needs if m.slot})]))
            )
        fresh_n.append(n)
    if "~v" in kinds and left_v:
        v = draw(st.sampled_from(left_v))
        how = draw(st.integers(0, 1))
        if how == 0:
            v = replace(v, capacity=(v.capacity + 1) % 4)
        else:
            v = replace(v, location=(v.location[0] - small, v.location[1]))
        fresh_v.append(v)
    if "+n" in kinds and needs:
        for k, n in enumerate(draw(st.lists(st.sampled_from(needs), max_size=2))):
            fresh_n.append(
                replace(n, id=f"{n.id}+{len(needs)}.{k}", priority=draw(st.integers(1, 5)))
            )
    if "+v" in kinds and vols:
        for k, v in enumerate(draw(st.lists(st.sampled_from(vols), max_size=2))):
            fresh_v.append(replace(v, id=f"{v.id}+{len(vols)}.{k}"))
    if fresh_n and draw(st.integers(0, 9)) == 7:  # a skill no one had: the names change
        fresh_n[-1] = replace(fresh_n[-1], skills={**fresh_n[-1].skills, "zz_new_skill": 1})
    # one version of a record per update
    out["needs"] = list({n.id: n for n in fresh_n}.values())
    out["volunteers"] = list({v.id: v for v in fresh_v}.values())
    return out


@st.composite
def pair_changes(draw: Any, problem: Problem) -> dict[str, Any]:
    """Pairs pinned, released, forbidden or allowed (the records as they are)."""
    out: dict[str, Any] = {"needs": [], "volunteers": []}
    pinned, forbidden = list(problem.pinned), list(problem.forbidden)
    if pinned and draw(st.booleans()):
        out["unpin"] = draw(st.lists(st.sampled_from(pinned), max_size=2, unique=True))
    if forbidden and draw(st.booleans()):
        out["allow"] = draw(st.lists(st.sampled_from(forbidden), max_size=2, unique=True))
    g = build(problem).graph
    edges = [
        (g.need_ids[j], g.volunteer_ids[v])
        for j, v in zip(g.need.tolist(), g.volunteer.tolist(), strict=True)
    ]
    still = set(pinned) - set(out.get("unpin", ()))
    taken = {x for p in still for x in p}
    free = [e for e in edges if e[0] not in taken and e[1] not in taken and e not in forbidden]
    if free and draw(st.booleans()):  # a pair pinned (it may not fit: refused)
        out["pin"] = [draw(st.sampled_from(free))]
    some = {(n.id, v.id) for n in problem.needs[:3] for v in problem.volunteers[:3]}
    can = sorted((set(edges) | some) - still - set(forbidden) - set(out.get("pin", ())))
    if can and draw(st.booleans()):  # pairs of the plan, or any pairs, forbidden
        out["forbid"] = draw(st.lists(st.sampled_from(can), max_size=2, unique=True))
    if draw(st.integers(0, 5)) == 5:  # a change the problem refuses (or, rarely, takes)
        crowded = [e for e in edges if e[1] in taken and e not in still]  # capacity, slots
        bad = draw(
            st.sampled_from(sorted(some) + crowded + [("no such need", problem.volunteers[0].id)])
        )
        out.setdefault(draw(st.sampled_from(["pin", "forbid"])), []).append(bad)
    return out


def test_pins_past_a_capacity_a_demand_or_a_slot_are_left_to_the_full_check() -> None:
    vols = [
        Volunteer("ana", ["driving"], (0.0, 0.0), capacity=1),
        Volunteer("bo", ["driving"], (0.0, 0.0), capacity=3),
    ]
    needs = [Need(f"n{k}", "medical", ["driving"], (0.0, 0.0), slot="mon-am") for k in range(3)]
    needs.append(Need("n3", "medical", ["driving"], (0.0, 0.0), slot="tue-am"))
    by_id = {r.id: r for r in (*vols, *needs)}
    one, free = Policy(one_need_per_slot=True), Policy(one_need_per_slot=False)
    for policy, pins, fits in [
        (free, [("n0", "ana"), ("n1", "ana")], False),  # capacity 1
        (free, [("n0", "bo"), ("n1", "bo")], True),
        (one, [("n0", "bo"), ("n1", "bo")], False),  # one need per slot
        (one, [("n0", "bo"), ("n3", "bo")], True),
        (free, [("n0", "bo"), ("n0", "ana")], False),  # demand 1
    ]:
        base = Problem(vols, needs, policy, pinned=pins[:1])
        fast = with_pairs(base, (tuple(pins), ()), by_id.get, by_id.get)
        if fits:
            assert fast == Problem(vols, needs, policy, pinned=pins)
        else:
            assert fast is None
            with pytest.raises(InputError):
                Problem(vols, needs, policy, pinned=pins)


@settings(max_examples=budget(0.3), deadline=None)
@given(data=st.data(), problem=medium_problems())
def test_pairs_checked_by_difference_are_the_problems_pairs(data: Any, problem: Problem) -> None:
    """``with_pairs`` gives Problem(...) of the same parts, or None where it has a problem."""
    args = data.draw(pair_changes(problem))
    problems: list[Any] = []
    now = pairs_now(
        problem, tuple(args.get(k, ()) for k in ("pin", "unpin", "forbid", "allow")), problems
    )
    changed = any(args.get(k) for k in ("pin", "forbid", "unpin", "allow"))
    assert not problems and (now is not None) == changed
    if now is None:
        return
    needs = {n.id: n for n in problem.needs}
    vols = {v.id: v for v in problem.volunteers}
    fast = with_pairs(problem, now, needs.get, vols.get)
    try:
        want = Problem(
            problem.volunteers, problem.needs, problem.policy, now[0], now[1], problem.history
        )
    except InputError:
        assert fast is None
        event("refused")
        return
    event(f"by difference: {fast is not None}")
    assert fast is None or (fast == want and fast.pinned == want.pinned)


def assert_as_assembled(planner: Planner, result: matcher.Result, before: tuple) -> None:
    """*result* is, field for field, what assembling its plan afresh gives."""
    problem = planner.problem
    # materialise() hands the engine over: a copy's, so that events go on
    built, solution, _ = copy.deepcopy(planner._events).materialise(problem)
    fresh = build(problem)
    assert built.graph.n_edges == fresh.graph.n_edges
    assert np.array_equal(built.graph.cost, fresh.graph.cost)
    ref = assemble(
        problem,
        fresh.graph,
        fresh.diag,
        solution,
        problem.policy.unmatched_cost is None,
        {},
    )
    for name in ("status", "method", "matches", "unmatched", "objective", "metrics", "certificate"):
        assert getattr(result, name) == getattr(ref, name), name
    now = [(m.need_id, m.volunteer_id) for m in result.matches]
    assert result.churn == Churn.between(before, now)
    assert result.provenance == Provenance.of(problem)


def expected_problem(p: Problem, args: dict[str, Any]) -> Problem:
    """The problem ``update(**args)`` should plan, made the slow way."""
    unpin, allow = set(args.get("unpin", ())), set(args.get("allow", ()))
    return Problem(
        list(upserted(p.volunteers, args["volunteers"], set(args.get("remove_volunteers", ())))),
        list(upserted(p.needs, args["needs"], set(args.get("remove_needs", ())))),
        p.policy,
        pinned=[x for x in p.pinned if x not in unpin] + list(args.get("pin", ())),
        forbidden=[x for x in p.forbidden if x not in allow] + list(args.get("forbid", ())),
        history=p.history,
    )


@settings(max_examples=budget(0.3), deadline=None)
@given(
    data=st.data(),
    problem=st.one_of(
        medium_problems(policy=policies(unmatched_cost=False)),  # pinned and forbidden pairs
        medium_problems(max_pinned=0, max_forbidden=0, policy=policies(unmatched_cost=False)),
        medium_problems(),  # a finite unmatched cost: declined
    ),
)
def test_each_event_is_the_result_assembled_afresh_verified_and_optimal(
    data: Any, problem: Problem
) -> None:
    planner = Planner(problem)
    last = planner.result
    paths = []
    for _ in range(data.draw(st.integers(1, 6))):
        args = data.draw(updates(planner.problem))
        try:
            want_problem = expected_problem(planner.problem, args)
        except InputError:  # e.g. a pinned pair that no longer fits: refused, nothing changes
            with pytest.raises(InputError):
                planner.update(**args)
            assert planner.result is last
            continue
        before = tuple((m.need_id, m.volunteer_id) for m in last.matches)
        result = planner.update(**args)
        kept = planner._state.now is not None  # by the events kept, not through the graph
        paths.append("events" if kept else planner.last_path)
        if any(args.get(k) for k in ("pin", "unpin", "forbid", "allow")):
            event(f"pairs changed: {paths[-1]}")
        assert planner.problem == want_problem
        assert planner.problem.needs == want_problem.needs  # the same order
        assert planner.problem.volunteers == want_problem.volunteers
        if kept:
            assert_as_assembled(planner, result, before)
            # the bound on costs the events keep by difference holds the graph's own
            _, work = _live._work(build(planner.problem).graph, None)
            assert planner._events.spread >= cost_spread(work)
        method = data.draw(st.sampled_from(["flow", "network_simplex", "hungarian", "milp"]))
        try:  # a cold solve by an exact method drawn (each shares the objective)
            want = solve(planner.problem, method, previous=last)
        except UnsupportedProblem:  # e.g. hungarian with a convex load cost
            want = solve(planner.problem, "flow", previous=last)
        assert minimised(planner.problem, result) == minimised(planner.problem, want)
        assert_valid(planner.problem, result)
        assert planner.result is result
        last = result
    event(f"events taken: {paths.count('events')} of {len(paths)}")


def one_event(p: Problem, i: int, rng: np.random.Generator) -> dict[str, Any]:
    """The *i*-th of six kinds in turn: a need arrives, changes, leaves; a volunteer too."""
    k = i % 6
    if k < 3:
        n = p.needs[int(rng.integers(len(p.needs)))]
        return [
            {"needs": [replace(n, id=f"{n.id}+e{i}")]},
            {"needs": [replace(n, priority=n.priority % 5 + 1)]},
            {"remove_needs": [n.id]},
        ][k]
    v = p.volunteers[int(rng.integers(len(p.volunteers)))]
    return [
        {"volunteers": [replace(v, id=f"{v.id}+e{i}")]},
        {"volunteers": [replace(v, capacity=v.capacity % 3 + 1)]},
        {"remove_volunteers": [v.id]},
    ][k - 3]


@pytest.mark.parametrize("family", ["clustered_same", "uniform", "dense", "scarce"])
def test_a_city_through_300_events_stays_what_a_fresh_assembly_says(family: str) -> None:
    """Every kind of event, interleaved, on a synthetic city of tier S."""
    problem = make(family, "S", 0)
    planner = Planner(problem)
    rng = np.random.default_rng(5)
    last = planner.result
    for i in range(300):
        args = one_event(planner.problem, i, rng)
        before = tuple((m.need_id, m.volunteer_id) for m in last.matches)
        last = planner.update(**args)
        assert planner.last_path == "engine"
        if i % 30 == 29:
            assert_as_assembled(planner, last, before)
            assert verify(planner.problem, last) == []
            cold = solve(planner.problem)
            assert minimised(planner.problem, last) == minimised(planner.problem, cold)


@pytest.mark.parametrize("in_place", [0, _kept.IN_PLACE])
def test_many_records_in_one_update_are_what_a_fresh_assembly_says(
    in_place: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5% of the needs replaced and volunteers changed in each update, repaired together."""
    monkeypatch.setattr(_kept, "IN_PLACE", in_place)  # 0: the match lists merged
    planner = Planner(make("clustered_same", "S", 0))
    rng = np.random.default_rng(7)
    last = planner.result
    for i in range(5):
        p = planner.problem
        k = len(p.needs) // 20
        gone = [p.needs[j].id for j in rng.choice(len(p.needs), k, replace=False).tolist()]
        new = rng.choice(len(p.needs), k, replace=False).tolist()
        fresh = [replace(p.needs[j], id=f"{p.needs[j].id}+b{i}") for j in new]
        vols = [p.volunteers[j] for j in rng.choice(len(p.volunteers), 4, replace=False).tolist()]
        before = tuple((m.need_id, m.volunteer_id) for m in last.matches)
        last = planner.update(
            needs=fresh,
            remove_needs=gone,
            volunteers=[replace(v, capacity=v.capacity % 3 + 1) for v in vols[:3]],
            remove_volunteers=[vols[3].id],
        )
        assert planner.last_path == "engine"
        now = [(m.need_id, m.volunteer_id) for m in last.matches]
        assert Churn.between(before, now).dropped > 0  # matches moved
        assert_as_assembled(planner, last, before)
        assert verify(planner.problem, last) == []
        cold = solve(planner.problem)
        assert minimised(planner.problem, last) == minimised(planner.problem, cold)


def test_a_city_of_tier_m_through_2000_events_of_the_planner() -> None:
    """The soak through Planner.update: every 50th plan verified and against a cold solve."""
    problem = make("uniform", "M", 0)
    planner = Planner(problem)
    rng = np.random.default_rng(11)
    taken = 0
    for i in range(2000):
        result = planner.update(**one_event(planner.problem, i, rng))
        taken += planner._state.now is not None
        if i % 50 == 49:
            assert verify(planner.problem, result) == []
            cold = solve(planner.problem)
            assert minimised(planner.problem, result) == minimised(planner.problem, cold)
    assert taken == 2000  # every one taken as events


def _small() -> Problem:
    return make("clustered_same", "S", 1)


def test_events_with_history_cost_continuity_as_a_build_does() -> None:
    """Pairs served before (by need id or household) are cheaper for new records too."""
    base = _small()
    first = solve(base)
    history = tuple((m.need_id, m.volunteer_id) for m in first.matches[::3])
    weights = replace(base.policy.weights, continuity=0.7)
    problem = Problem(
        base.volunteers, base.needs, replace(base.policy, weights=weights), history=history
    )
    planner = Planner(problem)
    last = planner.result
    needs = {n.id: n for n in problem.needs}
    vols = {v.id: v for v in problem.volunteers}
    for k, (nid, vid) in enumerate(history[:6]):
        before = tuple((m.need_id, m.volunteer_id) for m in last.matches)
        if k % 2:  # the need changes: its pairs are searched and costed again
            args: dict[str, Any] = {
                "needs": [replace(needs[nid], priority=needs[nid].priority % 5 + 1)]
            }
        else:  # the volunteer changes
            args = {"volunteers": [replace(vols[vid], capacity=vols[vid].capacity % 3 + 1)]}
        last = planner.update(**args)
        assert planner._state.now is not None  # taken as events
        assert_as_assembled(planner, last, before)
        assert verify(planner.problem, last) == []
        needs = {n.id: n for n in planner.problem.needs}
        vols = {v.id: v for v in planner.problem.volunteers}


def test_an_event_that_fails_part_way_leaves_the_planner_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planner = Planner(_small())
    first, problem = planner.result, planner.problem
    n = problem.needs[0]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise SolverError("injected")

    monkeypatch.setattr(GrowingEncoding, "pairs_of_needs", broken)  # the arrival's search
    with pytest.raises(SolverError, match="injected"):
        planner.update(needs=[replace(n, id="late")])
    assert planner.result is first and planner.problem is problem
    monkeypatch.undo()
    # the next update solves from the last plan, then events go on
    result = planner.update(needs=[replace(n, id="late")])
    assert planner.last_path == "solve" and verify(planner.problem, result) == []
    result = planner.update(remove_needs=["late"])
    assert planner.last_path == "engine" and verify(planner.problem, result) == []


def test_costs_that_outgrow_the_coverage_weight_are_solved_from_the_last_plan() -> None:
    planner = Planner(_small())
    n = planner.problem.needs[0]
    planner.update(needs=[replace(n, id="a")])
    assert planner.last_path == "engine"
    last = planner.result
    planner._events.big_m = 1  # as if the costs had grown past it
    result = planner.update(needs=[replace(n, id="b")])
    assert planner.last_path == "solve"
    want = solve(planner.problem, previous=last)
    assert minimised(planner.problem, result) == minimised(planner.problem, want)
    assert verify(planner.problem, result) == []


def test_a_replan_after_events_goes_through_the_graph_of_the_community_now() -> None:
    planner = Planner(_small())
    p = planner.problem
    planner.update(needs=[replace(p.needs[0], id="a")], remove_volunteers=[p.volunteers[0].id])
    assert planner.last_path == "engine"
    now = planner.problem
    # a whole problem (same records): through rebuild, on the engine mapped onto the graph
    again = Problem(list(reversed(now.volunteers)), now.needs, now.policy)
    result = planner.replan(again)
    assert planner.last_path == "engine" and verify(again, result) == []
    assert result.churn is not None and result.churn.kept == len(result.matches)
    # a new policy: built and solved from scratch, then events again
    looser = replace(now.policy, max_distance_km=(now.policy.max_distance_km or 3.0) * 1.5)
    result = planner.replan(Problem(now.volunteers, now.needs, looser))
    assert planner.last_path == "solve" and verify(planner.problem, result) == []
    result = planner.update(remove_needs=["a"])
    assert planner.last_path == "engine" and verify(planner.problem, result) == []


def test_a_change_of_many_records_is_solved_afresh() -> None:
    planner = Planner(_small())
    p = planner.problem
    size = len(p.volunteers) + len(p.needs)
    k = max(_live.MIN_LIMIT, int(_live.MAX_SHARE * size)) + 1  # one past what is repaired
    many = [replace(n, id=f"{n.id}+m") for n in p.needs[:k]]
    assert _live.too_many(len(many), size) and not _live.too_many(k - 1, size)
    last = planner.result
    result = planner.update(needs=many)
    assert planner._state.now is None and planner.last_path == "solve"  # not by the engine
    assert minimised(planner.problem, result) == minimised(
        planner.problem, solve(planner.problem, previous=last)
    )
    assert verify(planner.problem, result) == []
    result = planner.update(needs=many[:3], remove_needs=[many[-1].id])  # and events again
    assert planner._state.now is not None and verify(planner.problem, result) == []


def test_what_events_decline_is_planned_the_way_it_was() -> None:
    """A new skill name, a churn cost: re-planned through the graph."""
    base = _small()
    n = base.needs[0]
    planner = Planner(base)
    result = planner.update(needs=[replace(n, id="x", skills={**n.skills, "zz_new": 1})])
    assert planner.last_path == "solve" and verify(planner.problem, result) == []
    assert planner._events is not None  # and events go on from that plan
    planner.update(remove_needs=["x"])
    assert planner.last_path == "engine"
    churned = Planner(base, churn_cost=0.5)
    assert churned._events is None
    result = churned.update(needs=[replace(n, id="y")])
    assert churned.last_path == "engine" and verify(churned.problem, result) == []


def test_pairs_pinned_forbidden_released_are_repaired_and_events_go_on() -> None:
    """A re-plan that pins, forbids or releases pairs: by the engine, then events again."""
    planner = Planner(_small())
    p = planner.problem
    chosen = [(m.need_id, m.volunteer_id) for m in planner.result.matches]
    g = build(p).graph
    other = next(
        (g.need_ids[j], g.volunteer_ids[v])
        for j, v in zip(g.need.tolist(), g.volunteer.tolist(), strict=True)
        if (g.need_ids[j], g.volunteer_ids[v]) not in chosen
    )
    steps = [
        ((), (chosen[0],)),  # forbid a pair of the plan
        ((other,), (chosen[0],)),  # pin a pair not in it
        ((), (chosen[0], chosen[1])),  # release the pin, forbid one more
        ((), ()),  # allow them all again
    ]
    last = planner.result
    for k, (pinned, forbidden) in enumerate(steps):
        now = Problem(p.volunteers, p.needs, p.policy, pinned=pinned, forbidden=forbidden)
        result = planner.replan(now)
        assert planner.last_path == "engine", (pinned, forbidden)
        assert minimised(now, result) == minimised(now, solve(now, previous=last))
        assert_valid(now, result)
        assert set(pinned) <= {(m.need_id, m.volunteer_id) for m in result.matches}
        assert not set(forbidden) & {(m.need_id, m.volunteer_id) for m in result.matches}
        before = tuple((m.need_id, m.volunteer_id) for m in result.matches)
        n = p.needs[-1]
        result = planner.update(needs=[replace(n, id=f"{n.id}+{k}")])
        assert planner._state.now is not None  # as events, the pairs as they are
        assert_as_assembled(planner, result, before)
        assert_valid(planner.problem, result)
        last = result
        p = planner.problem


def test_pairs_given_as_lists_are_taken_by_every_pair_argument() -> None:
    """JSON gives pairs as lists: update() takes them for pin, unpin, forbid and allow alike."""
    planner = Planner(_small())
    a, b = ([m.need_id, m.volunteer_id] for m in planner.result.matches[:2])
    planner.update(forbid=[a], pin=[b])
    assert planner.problem.forbidden == (tuple(a),) and planner.problem.pinned == (tuple(b),)
    planner.update(allow=[a], unpin=[b])
    assert planner.problem.forbidden == () and planner.problem.pinned == ()
    with pytest.raises(InputError, match="unpin"):
        planner.update(unpin=[["nobody", b[1]]])


def test_results_kept_by_planners_stay_whole_as_events_go_on() -> None:
    """A reader's result does not change under it: its certificate is a copy."""
    planner = Planner(_small())
    n = planner.problem.needs[0]
    r1 = planner.update(needs=[replace(n, id="a")])
    problem1 = planner.problem
    for k in range(10):
        planner.update(needs=[replace(n, id=f"b{k}")])
    assert verify(problem1, r1) == []  # its lazily named certificate is of its own plan
    assert r1.certificate is not None and "a" in r1.certificate.needs
    assert "b3" not in r1.certificate.needs
    assert r1.provenance is not None and r1.provenance.differs(problem1) == []
