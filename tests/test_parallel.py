"""Independent parts: the split is exact, and any executor gives the serial plan."""

import multiprocessing
import os
import pickle
import re
import signal
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

import numpy as np
import pytest
import reference as ref

import matcher.solvers._split as split_module
from matcher import Policy, SolverError, UnsupportedProblem, build_graph, solve
from matcher.planning.solving import _instance
from matcher.solvers import flow, registry
from matcher.solvers._split import split
from matcher.synthetic import generate


@pytest.fixture(scope="module")
def city():
    """Three communities solved apart (same_community): independent parts."""
    com = generate(rng=3, n_communities=3, buildings_per_community=10, households_per_building=40)
    policy = Policy(max_distance_km=2.5, load_penalty=0.2, same_community=True)
    from matcher import Problem

    return Problem(com.volunteers, com.needs, policy)


@pytest.fixture
def small_tasks(monkeypatch):
    # One task per component, so even a small city is solved in several parts.
    monkeypatch.setattr(split_module, "TASK_EDGES", 1)


def test_split_keeps_components_whole_and_covers_every_edge(city, small_tasks):
    inst = _instance(build_graph(city))
    tasks = split(inst)
    assert len(tasks) >= 3
    edges = np.concatenate([t.edges for t in tasks])
    assert sorted(edges.tolist()) == list(range(inst.n_edges))
    # No volunteer or need is in two tasks.
    for attr in ("volunteer", "need"):
        owners = {}
        for k, t in enumerate(tasks):
            for x in np.unique(getattr(inst, attr)[t.edges]).tolist():
                assert owners.setdefault(x, k) == k
    # Sub-instances keep the data of their edges.
    for t in tasks:
        sub = t.instance
        assert np.array_equal(sub.cost, inst.cost[t.edges])
        vols = np.unique(inst.volunteer[t.edges])
        assert np.array_equal(sub.capacity, inst.capacity[vols])


def test_one_component_is_one_task_itself(city):
    inst = _instance(build_graph(city))
    tasks = split(inst, task_edges=10**9)
    assert len(tasks) == 1 and tasks[0].instance is inst


def test_split_solve_is_exact(city, small_tasks):
    whole = solve(city)  # also split: tasks of one component each
    assert ref.check_result(city, whole) == []
    assert (whole.objective.served_priority, whole.objective.int_cost) == ref.milp_optimum(city)[:2]


@pytest.mark.parametrize("pool", ["process", "thread"])
def test_executor_gives_the_serial_plan_and_stays_open(city, small_tasks, pool):
    serial = solve(city)
    make = ProcessPoolExecutor if pool == "process" else ThreadPoolExecutor
    with make(max_workers=2) as executor:
        parallel = solve(city, executor=executor)
        assert parallel == serial
        # Never shut down an executor the caller passed: it still takes work.
        assert executor.submit(sum, [1, 2]).result() == 3


class RecordingExecutor(Executor):
    """Runs tasks inline and keeps the pickled bytes of what would be shipped."""

    def __init__(self):
        self.shipped = []

    def submit(self, fn, /, *args, **kwargs):
        self.shipped.append(pickle.dumps((fn, args, kwargs)))
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_only_arrays_travel_no_ids_or_personal_fields(city, small_tasks):
    executor = RecordingExecutor()
    solve(city, executor=executor)
    assert len(executor.shipped) >= 3
    blob = b"".join(executor.shipped)
    for record in (*city.volunteers[:20], *city.needs[:20]):
        assert record.id.encode() not in blob
        for value in record.extra.values():
            assert value.encode() not in blob


def test_dask_local_cluster_gives_the_serial_plan(city, small_tasks):
    distributed = pytest.importorskip("distributed")
    serial = solve(city)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert solve(city, executor=client) == serial
        assert client.status == "running"


# ------------------------------------------------------------- workers that die
# A part whose worker process dies mid-solve ends in a SolverError that says so (never
# a partial plan); matcher neither shuts the caller's executor down nor retries on a
# pool of its own (matcher/solvers/_workers.py says why).

PARENT = os.getpid()


def _dies_in_a_worker(inst, **options):
    """The flow method, except that in any other process it kills its own process."""
    if os.getpid() != PARENT:
        time.sleep(0.2)  # after every part was submitted: the death is seen while solving
        os.kill(os.getpid(), signal.SIGKILL)
    return flow.solve(inst, **options)


def _dies(inst, **options):
    os.kill(os.getpid(), signal.SIGKILL)


def _arm_the_worker():
    """Run in a dask worker: from now on, the flow method kills this worker's process."""
    registry.METHODS["flow"] = replace(registry.METHODS["flow"], solve=_dies)
    return os.getpid()


class WatchedPool(ProcessPoolExecutor):
    """A process pool that counts the calls to shutdown (matcher must make none)."""

    shutdowns = 0

    def shutdown(self, *args, **kwargs):
        self.shutdowns += 1
        super().shutdown(*args, **kwargs)


@pytest.fixture
def dying_flow(monkeypatch):
    monkeypatch.setitem(
        registry.METHODS, "flow", replace(registry.METHODS["flow"], solve=_dies_in_a_worker)
    )


@pytest.fixture
def fork():
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("the injected death travels to the workers by fork (not available here)")
    return multiprocessing.get_context("fork")


def test_a_worker_process_killed_mid_solve_is_a_solver_error_not_a_partial_plan(
    city, small_tasks, dying_flow, fork
):
    pool = WatchedPool(max_workers=2, mp_context=fork)
    try:
        with pytest.raises(SolverError) as err:
            solve(city, "flow", executor=pool)
        text = str(err.value)
        assert re.search(r"a worker process died while solving part \d+ of \d+", text), text
        assert "the plan was not made" in text and "BrokenProcessPool" in text
        assert "solve again on a new executor, or without one (executor=None)" in text
        assert isinstance(err.value.__cause__, BrokenProcessPool)
        # The pool is broken for good: the next solve on it says so at once.
        with pytest.raises(SolverError, match="the executor is broken and takes no more work"):
            solve(city, "flow", executor=pool)
        assert pool.shutdowns == 0  # never shut down by matcher
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_after_a_lost_worker_a_new_executor_gives_the_serial_plan(city, small_tasks, fork):
    serial = solve(city, "flow")
    with ProcessPoolExecutor(max_workers=2, mp_context=fork) as pool:
        assert solve(city, "flow", executor=pool) == serial


def test_an_error_raised_in_a_worker_is_not_taken_for_a_lost_worker(city, small_tasks):
    def refuses(inst, **options):
        raise UnsupportedProblem("refused in the worker")

    patched = replace(registry.METHODS["flow"], solve=refuses)
    with ThreadPoolExecutor(max_workers=2) as pool:
        old = registry.METHODS["flow"]
        registry.METHODS["flow"] = patched
        try:
            with pytest.raises(UnsupportedProblem, match="refused in the worker"):
                solve(city, "flow", executor=pool)
        finally:
            registry.METHODS["flow"] = old


def test_a_lost_dask_worker_is_retried_by_dask_or_is_a_solver_error(city, small_tasks):
    distributed = pytest.importorskip("distributed")
    serial = solve(city, "flow")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # Each armed worker dies on its first part; the nanny starts a fresh (unarmed)
        # one and dask runs the lost parts again: the very plan of the serial solve.
        armed = client.run(_arm_the_worker)
        assert len(armed) == 2
        assert solve(city, "flow", executor=client) == serial
        # With no failure allowed, dask gives up at once: a SolverError naming it.
        client.wait_for_workers(2, timeout=60)
        cluster.scheduler.allowed_failures = 0
        client.run(_arm_the_worker)
        with pytest.raises(SolverError) as err:
            solve(city, "flow", executor=client)
        text = str(err.value)
        assert re.search(r"a dask worker died while solving part \d+ of \d+", text), text
        assert "KilledWorker" in text and "the plan was not made" in text
        # The client still works: solved again, it is the serial plan.
        client.wait_for_workers(2, timeout=60)
        assert solve(city, "flow", executor=client) == serial
        assert client.status == "running"
