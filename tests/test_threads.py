"""Threads: ``matcher.solve`` from many threads at once, and a Planner's one writer.

``solve`` keeps no state between calls (the records a Planner's update skips are
passed in a ContextVar, which each thread has its own of), so eight threads solving
different and identical problems at once each get the serial result. A Planner has
one writer: a second ``update`` while one runs raises ``PlannerBusy`` at once, and
readers of ``planner.result`` see the old plan or the new one, each whole.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import matcher.planning.planner as planner_module
from matcher import (
    MatcherError,
    Need,
    Planner,
    PlannerBusy,
    Policy,
    Problem,
    Volunteer,
    solve,
    verify,
)
from matcher.graph.grow import GrowingEncoding
from matcher.synthetic import demo
from matcher.synthetic.families import make

THREADS = 8


def _teams() -> Problem:
    vs = [Volunteer(f"v{i}", ["driving"], (float(i % 5), 0.0), capacity=2) for i in range(10)]
    ns = [
        Need(f"n{j}", "medical", ["driving"], (float(j % 5), 0.5), group=f"g{j // 3}")
        for j in range(12)
    ]
    return Problem(vs, ns, Policy(geometry="plane", max_distance_km=3.0))


@pytest.fixture(scope="module")
def cases():
    """(problem, method, options) solved by different paths: flow, hungarian, milp, ..."""
    city = demo()
    uniform = make("uniform", "S", 1)
    first = solve(uniform)
    return [
        (Problem(city.volunteers, city.needs), "auto", {}),
        (uniform, "auto", {}),
        (uniform, "auto", {"previous": first, "churn_cost": 0.5}),  # a warm re-plan
        (make("clustered", "S", 2), "flow", {}),
        (make("dense", "S", 3), "auto", {}),  # hungarian
        (make("scarce", "S", 4), "greedy", {}),
        (make("uniform", "S", 5), "stable", {}),
        (_teams(), "auto", {}),  # milp
    ]


def _solve(case):
    problem, method, options = case
    return solve(problem, method, **options)


def test_eight_threads_solving_at_once_each_get_the_serial_result(cases):
    serial = [_solve(c) for c in cases]
    assert len({r.method for r in serial}) >= 5
    # Different problems at once, then the same problem in every thread at once.
    rounds = [list(range(len(cases)))] + [[k] * THREADS for k in range(len(cases))]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for ks in rounds:
            barrier = threading.Barrier(len(ks))

            def run(k, barrier=barrier):
                barrier.wait()
                return k, _solve(cases[k])

            for k, result in pool.map(run, ks):
                assert result == serial[k], (k, cases[k][1])


def test_threads_solving_on_a_shared_executor_get_the_serial_result(cases):
    problem = cases[3][0]
    serial = solve(problem, "flow")
    with ThreadPoolExecutor(max_workers=2) as parts, ThreadPoolExecutor(THREADS) as callers:
        results = list(
            callers.map(lambda _: solve(problem, "flow", executor=parts), range(THREADS))
        )
    assert all(r == serial for r in results)


def test_planner_updates_from_threads_with_a_lock_of_their_own_are_all_applied():
    problem = make("uniform", "S", 6)
    planner = Planner(problem)
    lock = threading.Lock()
    ids = [n.id for n in problem.needs[:THREADS]]

    def drop(need_id):
        with lock:
            planner.update(remove_needs=[need_id])

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(drop, ids))
    assert not {n.id for n in planner.problem.needs} & set(ids)
    assert verify(planner.problem, planner.result) == []
    assert planner.result.objective == solve(planner.problem).objective


@pytest.fixture
def stalled(monkeypatch):
    """A planner whose next update stops in the middle until let go.

    After the rebuild of its graph, or after the search of a new need's pairs
    when the update is taken as events (matcher/planning/_events.py): either
    way with the engine half changed.
    """
    vs = [Volunteer(f"v{i}", ["driving"], (float(i), 0.0)) for i in range(6)]
    ns = [Need(f"n{j}", "medical", ["driving"], (float(j), 0.4)) for j in range(6)]
    planner = Planner(Problem(vs, ns, Policy(geometry="plane", max_distance_km=3.0)))
    inside, go = threading.Event(), threading.Event()

    def stalling(real):
        def slow(*args, **kwargs):
            out = real(*args, **kwargs)
            inside.set()
            assert go.wait(30)
            return out

        return slow

    monkeypatch.setattr(planner_module, "rebuild", stalling(planner_module.rebuild))
    search = stalling(GrowingEncoding.pairs_of_needs)  # a need's pairs, taken as an event
    monkeypatch.setattr(GrowingEncoding, "pairs_of_needs", search)
    return planner, inside, go


def test_a_second_writer_gets_planner_busy_and_readers_see_whole_plans(stalled):
    planner, inside, go = stalled
    old_result, old_problem = planner.result, planner.problem
    arriving = Need("late", "medical", ["driving"], (2.0, 0.4), priority=5)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(planner.update, needs=[arriving])
        assert inside.wait(30)
        # The update is half done: a second writer is refused at once ...
        with pytest.raises(PlannerBusy) as err:
            planner.update(remove_needs=["n0"])
        with pytest.raises(PlannerBusy):
            planner.replan(old_problem)
        # ... and readers see the last whole plan, with its problem.
        assert planner.result is old_result and planner.problem is old_problem
        go.set()
        new = first.result(timeout=30)
    assert isinstance(err.value, RuntimeError) and isinstance(err.value, MatcherError)
    assert str(err.value).startswith(
        "Planner.update called while another update of this planner is running; "
        "a Planner has one writer"
    )
    assert planner.result is new and "late" in {n.id for n in planner.problem.needs}
    assert verify(planner.problem, new) == []
    # The refused calls changed nothing; the planner takes the next update.
    planner.update(remove_needs=["n0"])
    assert "n0" not in {n.id for n in planner.problem.needs}


def test_a_failed_update_releases_the_planner():
    planner = Planner(Problem([Volunteer("v", [], (0.0, 0.0))], [], Policy(geometry="plane")))
    with pytest.raises(MatcherError):
        planner.update(remove_needs=["nobody"])
    planner.update(needs=[Need("n", "repair", [], (0.0, 0.1))])
    assert [m.need_id for m in planner.result.matches] == ["n"]
