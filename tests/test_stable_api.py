"""Method ``"stable"`` through the public API: valid plans, said stable, blocking pairs named.

The deferred acceptance itself is proven against a brute-force oracle in
``test_stable.py``; here: ``solve(problem, "stable")`` gives a plan the oracle
finds valid, that ``verify`` accepts, that reports ``Result.stability`` with
the blocking pairs recomputed from its arrays, and that never beats the optimum.
"""

from __future__ import annotations

import numpy as np
import reference
from hypothesis import given, settings
from strategies import budget, medium_problems
from test_properties import rank, triple_of

import matcher
from matcher import Need, Policy, Problem, Status, Volunteer, solve, verify
from matcher.planning.solving import _instance
from matcher.planning.warm import _volunteer_ranks
from matcher.solvers import stable


@settings(max_examples=budget(0.2), deadline=None)
@given(problem=medium_problems())
def test_stable_plans_are_valid_stable_and_never_beat_the_optimum(problem: Problem) -> None:
    r = solve(problem, "stable")
    assert r.status is Status.FEASIBLE and r.method == "stable" and r.certificate is None
    assert reference.check_result(problem, r) == []
    assert verify(problem, r) == []
    best = solve(problem, "flow")
    assert rank(problem, triple_of(best)) <= rank(problem, triple_of(r))
    # The blocking pairs, recomputed on the graph's arrays.
    g = matcher.build_graph(problem)
    inst = _instance(g)
    index = {
        (g.need_ids[j], g.volunteer_ids[v]): e
        for e, (v, j) in enumerate(zip(g.volunteer.tolist(), g.need.tolist(), strict=True))
    }
    chosen = np.array(sorted(index[(m.need_id, m.volunteer_id)] for m in r.matches), np.int64)
    vk = _volunteer_ranks(g)
    block = stable.blocking_pairs(inst, chosen, vk, stable.need_keys(inst.cost, inst.volunteer))
    want = tuple(
        sorted((g.need_ids[g.need[e]], g.volunteer_ids[g.volunteer[e]]) for e in block.tolist())
    )
    assert r.stability is not None and r.stability.blocking == want
    assert r.stability.stable == (want == ())
    if not problem.pinned:
        assert r.stability.stable  # deferred acceptance is stable on its own market


def test_volunteers_rank_by_preferred_category_then_distance() -> None:
    plane = Policy(geometry="plane")
    ana = Volunteer("ana", ["x"], (0.0, 0.0), categories=["tutoring"])
    needs = [
        Need("near", "repair", ["x"], (0.5, 0.0)),
        Need("far", "tutoring", ["x"], (2.0, 0.0)),
    ]
    r = solve(Problem([ana], needs, plane), "stable")
    assert [(m.need_id, m.volunteer_id) for m in r.matches] == [("far", "ana")]
    assert r.stability == matcher.Stability(True, ())
    # flow minimises cost: 0.5 + 1.0 (preference miss) < 2.0
    assert [m.need_id for m in solve(Problem([ana], needs, plane)).matches] == ["near"]


def test_a_pinned_pair_outside_the_market_can_block() -> None:
    vs = [Volunteer("a", ["x"], (0.0, 0.0)), Volunteer("b", ["x"], (5.0, 0.0))]
    ns = [Need("n1", "c", ["x"], (0.1, 0.0)), Need("n2", "c", ["x"], (4.9, 0.0))]
    p = Problem(vs, ns, Policy(geometry="plane", max_distance_km=None), pinned=[("n2", "a")])
    r = solve(p, "stable")
    assert {(m.need_id, m.volunteer_id) for m in r.matches} == {("n2", "a"), ("n1", "b")}
    assert r.stability is not None and not r.stability.stable
    assert r.stability.blocking == (("n1", "a"), ("n2", "b"))  # both would rather swap
    assert matcher.Result.from_json(r.to_json()) == r
