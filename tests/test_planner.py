"""The incremental planner: ``Planner.replan`` is ``solve(problem, previous=last)``, faster.

The independent check is :func:`matcher.solve` itself, which builds and
assembles everything from scratch: after every change, the planner's graph
must be the built graph array for array (``rebuild`` against ``build``), and
its result must equal ``solve(problem, method, previous=last result,
churn_cost=c)`` field for field (timings aside) and pass ``verify``. Changes
are drawn as a platform sees them: needs leave, arrive and change (same id,
new priority or place), volunteers leave, arrive and change capacity or
place; now and then a new skill name or another policy forces the paths that
build from scratch. Examples per test under the ``ci`` profile: 105 graph
checks, 105 chains of two or three re-plans.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems
from test_properties import assert_valid
from test_replan import _city  # a small clustered city with same_community

import matcher
from matcher import (
    InputError,
    Need,
    Planner,
    Policy,
    Problem,
    Result,
    Volunteer,
    solve,
    verify,
)
from matcher.graph import Graph, build, rebuild
from matcher.graph.rebuild import _NEED_ROWS, _VOLUNTEER_ROWS
from matcher.model.problem import with_records
from matcher.model.rules import Encoding

PLANE = Policy(geometry="plane")


def _moved(loc: tuple[float, float], dx: float) -> tuple[float, float]:
    return (loc[0] + dx, loc[1])


@st.composite
def evolved(draw: Any, problem: Problem) -> Problem:
    """*problem* some time later: records gone, new and changed (same id)."""
    needs = list(problem.needs)
    vols = list(problem.volunteers)
    small = 0.01 if problem.policy.geometry == "geo" else 0.5  # degrees or km
    # Records that leave may take the last skill, slot, community or category of a
    # name with them (then the graph is built from scratch): half the draws keep all.
    leave = draw(st.booleans())
    gone_n = set(
        draw(st.sets(st.sampled_from([n.id for n in needs]), max_size=leave * len(needs) // 4))
    )
    gone_v = set(
        draw(st.sets(st.sampled_from([v.id for v in vols]), max_size=leave * len(vols) // 5))
    )
    changed_n = draw(st.dictionaries(st.sampled_from([n.id for n in needs]), st.integers(0, 2)))
    changed_v = draw(st.dictionaries(st.sampled_from([v.id for v in vols]), st.integers(0, 2)))

    def need(n: Need) -> Need:
        how = changed_n.get(n.id)
        if how == 1:
            return replace(n, priority=n.priority % 5 + 1)
        if how == 2:
            return replace(n, location=_moved(n.location, small))
        return n

    def vol(v: Volunteer) -> Volunteer:
        how = changed_v.get(v.id)
        if how == 1:
            return replace(v, capacity=(v.capacity + 1) % 4)
        if how == 2:
            return replace(v, location=_moved(v.location, -small))
        return v

    fresh_n = [
        replace(n, id=f"{n.id}+{k}", priority=draw(st.integers(1, 5)))
        for k, n in enumerate(
            draw(st.lists(st.sampled_from(needs), max_size=4, unique_by=lambda n: n.id))
        )
    ]
    fresh_v = [
        replace(v, id=f"{v.id}+{k}")
        for k, v in enumerate(
            draw(st.lists(st.sampled_from(vols), max_size=2, unique_by=lambda v: v.id))
        )
    ]
    if fresh_n and draw(st.integers(0, 9)) == 7:  # a skill no one had: the names change
        fresh_n[0] = replace(fresh_n[0], skills={**fresh_n[0].skills, "zz_new_skill": 1})
    new_needs = [need(n) for n in needs if n.id not in gone_n] + fresh_n
    new_vols = [vol(v) for v in vols if v.id not in gone_v] + fresh_v
    draw(st.randoms()).shuffle(new_needs)  # the input order does not matter

    def alive(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple(p for p in pairs if p[0] not in gone_n and p[1] not in gone_v)

    policy = problem.policy
    if draw(st.integers(0, 9)) == 7:  # another policy: built from scratch
        policy = replace(policy, load_penalty=policy.load_penalty + 0.1)
    pinned, forbidden = list(alive(problem.pinned)), list(alive(problem.forbidden))
    if draw(st.integers(0, 3)) == 3:  # pairs pinned, forbidden or released
        pinned, forbidden = draw(_pairs_changed(problem, pinned, forbidden, gone_n, gone_v))
    try:
        return Problem(new_vols, new_needs, policy, tuple(pinned), tuple(forbidden))
    except InputError:  # a pinned pair no longer fits
        assume(False)
        raise


@st.composite
def _pairs_changed(
    draw: Any,
    problem: Problem,
    pinned: list[tuple[str, str]],
    forbidden: list[tuple[str, str]],
    gone_n: set[str],
    gone_v: set[str],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Pinned and forbidden pairs of records that stay: some released, some new."""
    pinned = [p for p in pinned if draw(st.booleans())]
    forbidden = [p for p in forbidden if draw(st.booleans())]
    g = build(problem).graph
    edges = [
        (g.need_ids[j], g.volunteer_ids[v])
        for j, v in zip(g.need.tolist(), g.volunteer.tolist(), strict=True)
        if g.need_ids[j] not in gone_n and g.volunteer_ids[v] not in gone_v
    ]
    if edges:
        taken = {x for p in pinned for x in p}
        free = [e for e in edges if e[0] not in taken and e[1] not in taken and e not in forbidden]
        if free and draw(st.booleans()):  # a pair pinned (it may no longer fit: refused)
            pinned.append(draw(st.sampled_from(free)))
        for e in draw(st.lists(st.sampled_from(edges), max_size=2)):  # pairs forbidden
            if e not in pinned and e not in forbidden:
                forbidden.append(e)
    return pinned, forbidden


def assert_same_graph(a: Graph, b: Graph) -> None:
    for f in fields(Graph):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "parts":
            assert x is not None and y is not None and list(x) == list(y)
            for k in x:
                assert np.array_equal(x[k], y[k]), k
        elif isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray) and x.dtype == y.dtype, f.name
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def assert_same_encoding(a: Encoding, b: Encoding) -> None:
    for f in fields(Encoding):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


@settings(max_examples=budget(0.15), deadline=None)
@given(data=st.data(), problem=medium_problems())
def test_rebuild_gives_the_graph_of_a_build(data: Any, problem: Problem) -> None:
    base = build(problem)
    after = data.draw(evolved(problem))
    built, delta = rebuild(base, after)
    event(f"incremental: {delta.incremental}")
    scratch = build(after)
    assert_same_graph(built.graph, scratch.graph)
    assert_same_encoding(built.diag.encoding, scratch.diag.encoding)
    g0, g = base.graph, built.graph
    # the delta says where each node and each re-used edge came from
    for new, old, ids0, ids in (
        (np.arange(g.n_volunteers), delta.volunteer_from, g0.volunteer_ids, g.volunteer_ids),
        (np.arange(g.n_needs), delta.need_from, g0.need_ids, g.need_ids),
    ):
        for i, k in zip(new.tolist(), old.tolist(), strict=True):
            assert (ids[i] in ids0) == (k >= 0) and (k < 0 or ids0[k] == ids[i])
    reused = np.flatnonzero(delta.edge_from >= 0)
    src = delta.edge_from[reused]
    assert np.array_equal(g.cost[reused], g0.cost[src])
    assert [g.need_ids[j] for j in g.need[reused]] == [g0.need_ids[j] for j in g0.need[src]]
    same_need = {n.id for n in problem.needs if n in after.needs} if delta.incremental else set()
    for now, was in ((after.pinned, problem.pinned), (after.forbidden, problem.forbidden)):
        same_need -= {n for n, _ in set(now) ^ set(was)}  # searched again
    assert {g.need_ids[j] for j in np.flatnonzero(delta.need_same)} == same_need


@settings(max_examples=budget(0.15), deadline=None)
@given(
    data=st.data(),
    problem=medium_problems(),
    method=st.sampled_from(["auto", "flow", "network_simplex"]),
    churn=st.sampled_from([None, 0.05, 3.0]),
)
def test_each_replan_is_the_result_of_solve_with_previous(
    data: Any, problem: Problem, method: str, churn: float | None
) -> None:
    planner = Planner(problem, method, churn_cost=churn, engine=False)
    assert planner.result == solve(problem, method)
    last = planner.result
    for _ in range(data.draw(st.integers(1, 3))):
        after = data.draw(evolved(planner.problem))
        result = planner.replan(after)
        want = solve(after, method, previous=last, churn_cost=churn)
        assert result == want
        assert planner.result is result and planner.problem is after
        assert_valid(after, result)
        last = result


@settings(max_examples=budget(0.15), deadline=None)
@given(problem=medium_problems())
def test_candidate_counts_need_by_need_are_those_by_group(problem: Problem) -> None:
    """The k-d tree lookup of a few needs counts what the grouped search counts."""
    diag = build(problem).diag
    needs = np.arange(len(problem.needs), dtype=np.int64)
    grouped = diag.candidate_counts(needs, few=0)
    assert np.array_equal(diag.candidate_counts(needs, few=len(needs)), grouped)
    assert np.array_equal(diag.candidate_counts(needs[::-1], few=len(needs)), grouped[::-1])


def test_the_encoding_rows_are_all_placed() -> None:
    """Every per-record field of the encoding is merged by rebuild (a new field must be too)."""
    shared = {
        "geometry",
        "same_community",
        "skill_names",
        "slot_names",
        "community_names",
        "category_names",
        "forbidden_keys",
    }
    names = {f.name for f in fields(Encoding)}
    assert names == shared | set(_VOLUNTEER_ROWS) | set(_NEED_ROWS)


def test_update_changes_records_and_reuses_what_holds() -> None:
    problem = _city()
    planner = Planner(problem, engine=False)
    first = planner.result
    needs = sorted(problem.needs, key=lambda n: n.id)
    gone = [n.id for n in needs[:3]]
    fresh = [replace(n, id=n.id + "+x", priority=5) for n in needs[3:6]]
    moved = replace(needs[6], priority=needs[6].priority % 5 + 1)
    result = planner.update(needs=[*fresh, moved], remove_needs=gone)
    after = planner.problem
    assert {n.id for n in after.needs} == ({n.id for n in needs} - set(gone)) | {
        n.id for n in fresh
    }
    assert result == solve(after, previous=first)
    assert verify(after, result) == []
    assert result.churn is not None
    assert result.churn.kept + result.churn.moved + result.churn.dropped == len(first.matches)
    # matches of pairs between unchanged records are the previous objects, not copies
    before = {(m.need_id, m.volunteer_id): m for m in first.matches}
    same = {
        (m.need_id, m.volunteer_id)
        for m in result.matches
        if before.get((m.need_id, m.volunteer_id)) is m
    }
    kept = {p for p in before if p in {(m.need_id, m.volunteer_id) for m in result.matches}}
    assert same == {p for p in kept if p[0] != moved.id}  # the changed need's are new
    # the graph was rebuilt incrementally: only the new records' pairs were searched
    built, delta = rebuild(build(problem), after)
    assert delta.incremental and not delta.volunteers_changed
    assert_same_graph(built.graph, build(after).graph)


def test_update_refuses_unknown_ids_all_at_once_and_keeps_the_plan() -> None:
    problem = _city()
    planner = Planner(problem)
    first = planner.result
    with pytest.raises(InputError) as err:
        planner.update(remove_needs=["nope", "nope2"], remove_volunteers=["ghost"])
    text = str(err.value)
    assert "'nope'" in text and "'nope2'" in text and "'ghost'" in text
    assert "remove_needs" in text and "remove_volunteers" in text
    assert planner.result is first and planner.problem is problem
    n = problem.needs[0]
    with pytest.raises(InputError) as err:  # the same new id twice: the problem names it
        planner.update(needs=[replace(n, id="twin"), replace(n, id="twin")])
    assert "twin" in str(err.value)
    assert planner.result is first


def test_update_checks_the_new_records_and_only_those_are_trusted_anew() -> None:
    problem = _city()
    planner = Planner(problem)
    first = planner.result
    n = problem.needs[0]
    bad = [replace(n, id="bad1", priority=0), replace(n, id="bad2", demand=-1)]
    with pytest.raises(InputError) as err:
        planner.update(needs=bad)
    text = str(err.value)
    assert "'bad1'" in text and "priority" in text and "'bad2'" in text and "demand" in text
    assert planner.result is first
    # the records the planner trusted are trusted inside update() only
    with pytest.raises(InputError, match="priority"):
        Problem(problem.volunteers, [*problem.needs, bad[0]], problem.policy)


def test_a_planner_without_certificates_still_replans_exactly() -> None:
    problem = _city()
    planner = Planner(problem, certify=False)
    assert planner.result.certificate is None
    first = planner.result
    after = Problem(problem.volunteers, list(problem.needs)[5:], problem.policy)
    result = planner.replan(after)
    assert result == solve(after, previous=first, certify=False)
    assert result.churn is not None and result.churn.kept > 0
    # every rule and count holds; only the proof is missing, as asked
    assert [v.code for v in verify(after, result)] == ["certificate"]


@pytest.mark.parametrize("kind", ["teams", "participation", "unmatched_cost"])
def test_a_planner_follows_solve_with_teams_participation_and_a_finite_unmatched_cost(
    kind: str,
) -> None:
    problem = _city()
    needs = sorted(problem.needs, key=lambda n: n.id)
    policy = problem.policy
    if kind == "teams":  # pairs of needs served whole (method milp)
        needs = [replace(n, group=f"t{k // 2}") if k < 20 else n for k, n in enumerate(needs)]
    elif kind == "participation":
        policy = replace(policy, participation=True)
    else:
        policy = replace(policy, unmatched_cost=2.0)
    problem = Problem(problem.volunteers, needs, policy)
    planner = Planner(problem, engine=False)
    first = planner.result
    after = Problem(
        problem.volunteers[2:],
        [*needs[3:], replace(needs[0], id="fresh", group=None)],
        policy,
    )
    assert planner.replan(after) == solve(after, previous=first)
    assert verify(after, planner.result) == []


def minimised(problem: Problem, result: Result) -> tuple[int, int]:
    """What a re-plan optimises, less the churn term of the pairs it kept.

    Coverage first: (served priority, cost); with a finite unmatched cost: the
    cost with the penalty of unserved units (served priority may then tie).
    """
    o, c = result.objective, result.churn
    kept = 0 if c is None else c.int_cost * c.kept
    if problem.policy.unmatched_cost is None:
        return (o.served_priority, o.int_cost - kept)
    return (0, o.int_cost + o.int_penalty - kept)


@settings(max_examples=budget(0.3), deadline=None)
@given(
    data=st.data(),
    problem=medium_problems(),
    method=st.sampled_from(["auto", "flow"]),
    churn=st.sampled_from([None, 0.05, 3.0]),
)
def test_each_engine_replan_is_as_good_as_solve_with_previous_and_proven(
    data: Any, problem: Problem, method: str, churn: float | None
) -> None:
    """The warm-start engine: the same objective as a cold re-plan, every rule re-checked.

    Among plans of equal objective the engine may choose another (it keeps what
    it can of the last plan); ``verify`` re-derives the plan's costs, churn and
    reasons from the records and checks the engine's certificate.
    """
    planner = Planner(problem, method, churn_cost=churn)
    last, paths = planner.result, []
    for _ in range(data.draw(st.integers(1, 4))):
        after = data.draw(evolved(planner.problem))
        result = planner.replan(after)
        paths.append(planner.last_path)
        want = solve(after, method, previous=last, churn_cost=churn)
        assert minimised(after, result) == minimised(after, want)
        assert result.status == want.status and result.certificate is not None
        assert planner.result is result and planner.problem is after
        assert_valid(after, result)
        last = result
    event(f"re-planned by the engine: {'engine' in paths}")


def test_the_engine_replans_events_and_falls_back_where_it_cannot() -> None:
    problem = _city()
    planner = Planner(problem)
    needs = sorted(problem.needs, key=lambda n: n.id)
    first = planner.result
    result = planner.update(needs=[replace(needs[0], id="fresh")], remove_needs=[needs[1].id])
    assert planner.last_path == "engine"
    assert verify(planner.problem, result) == []
    assert minimised(planner.problem, result) == minimised(
        planner.problem, solve(planner.problem, previous=first)
    )
    # a new policy rebuilds the graph from scratch: solved as before, then the engine again
    loose = Problem(
        planner.problem.volunteers,
        planner.problem.needs,
        replace(problem.policy, max_distance_km=problem.policy.max_distance_km * 2),
    )
    result = planner.replan(loose)
    assert planner.last_path == "solve" and verify(loose, result) == []
    result = planner.update(remove_needs=["fresh"])
    assert planner.last_path == "engine" and verify(planner.problem, result) == []


def test_bad_arguments_are_refused() -> None:
    problem = _city()
    with pytest.raises(InputError, match="problem"):
        Planner("not a problem")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="churn_cost"):
        Planner(problem, churn_cost=-1.0)
    planner = Planner(problem)
    with pytest.raises(InputError, match="problem"):
        planner.replan([])  # type: ignore[arg-type]
    assert "Planner(" in repr(planner)


def test_a_large_churn_cost_keeps_every_pair_through_the_planner() -> None:
    problem = _city()
    planner = Planner(problem, churn_cost=1000.0)
    first = {(m.need_id, m.volunteer_id) for m in planner.result.matches}
    result = planner.replan(Problem(problem.volunteers, problem.needs, problem.policy))
    assert {(m.need_id, m.volunteer_id) for m in result.matches} == first
    assert result.churn is not None and result.churn.kept == len(first)
    assert matcher.verify(problem, result) == []


@settings(max_examples=budget(0.3), deadline=None)
@given(data=st.data(), problem=medium_problems())
def test_a_problem_checked_by_difference_is_the_problem_checked_whole(
    data: Any, problem: Problem
) -> None:
    """``with_records`` (what update() makes) equals ``Problem(...)``, or declines.

    Some updates are invalid (a fresh id twice, a negative capacity, a record
    of a pinned or forbidden pair removed): then it must decline, and the full
    check refuses them.
    """
    vols, needs = list(problem.volunteers), list(problem.needs)
    gone_v = data.draw(st.sets(st.sampled_from([v.id for v in vols]), max_size=3))
    gone_n = data.draw(st.sets(st.sampled_from([n.id for n in needs]), max_size=3))
    fresh_v = [
        replace(v, id=data.draw(st.sampled_from([v.id, v.id + "+n", "dup"])), capacity=cap)
        for v in data.draw(st.lists(st.sampled_from(vols), max_size=3))
        for cap in [data.draw(st.sampled_from([0, 1, 3, -1, "two"]))]
    ]
    fresh_n = [
        replace(n, id=data.draw(st.sampled_from([n.id, n.id + "+n", "dup"])))
        for n in data.draw(st.lists(st.sampled_from(needs), max_size=3))
    ]
    fast = with_records(problem, (gone_v, gone_n), (fresh_v, fresh_n))

    def upsert(old: list[Any], fresh: list[Any], gone: set[str]) -> list[Any]:
        ids = {r.id for r in fresh}
        return [r for r in old if r.id not in gone and r.id not in ids] + fresh

    try:
        full = Problem(
            upsert(vols, fresh_v, gone_v),
            upsert(needs, fresh_n, gone_n),
            problem.policy,
            pinned=problem.pinned,
            forbidden=problem.forbidden,
            history=problem.history,
        )
    except InputError:
        assert fast is None
        return
    event(f"checked by difference: {fast is not None}")
    if fast is not None:
        assert fast == full
        assert fast.volunteer_index == full.volunteer_index
        assert fast.need_index == full.need_index
