"""Independent parts: the split is exact, and any executor gives the serial plan."""

import pickle
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import reference as ref

import matcher.solvers._split as split_module
from matcher import Policy, build_graph, solve
from matcher.planning.solving import _instance
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
