"""The benchmark peers (benchmarks/peers.py) reach matcher's optimum exactly."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher import Graph, Need, Policy, Problem, Volunteer
from matcher.planning.solving import _instance
from matcher.solvers._base import check_plan, evaluate, fix_pinned, fold_objective
from matcher.solvers._network import build_network
from matcher.synthetic import generate

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # so that ``benchmarks`` imports under plain ``pytest`` too
    sys.path.insert(0, _ROOT)

from benchmarks import peers  # noqa: E402

GRAPH_PEERS = (peers.highs_lp, peers.networkx_simplex)


def objective(x: matcher.Result | matcher.GraphSolution) -> tuple[int, int, int]:
    o = x.objective if isinstance(x, matcher.Result) else x
    return (o.served_priority, o.int_cost, o.int_penalty)


def plan_objective(graph: Graph, pairs: tuple[tuple[str, str], ...]) -> tuple[int, int, int]:
    """Check that *pairs* is a plan of *graph* and return its objective."""
    index = {
        (graph.need_ids[j], graph.volunteer_ids[v]): e
        for e, (v, j) in enumerate(zip(graph.volunteer.tolist(), graph.need.tolist(), strict=True))
    }
    assert all(p in index for p in pairs), "a pair that is not a feasible edge"
    chosen = np.sort(np.array([index[p] for p in pairs], np.int64))
    inst = _instance(graph)
    check_plan(inst, chosen)
    obj = evaluate(inst, chosen, None if graph.unserved_cost is None else inst.unserved_cost)
    return (obj.served_priority, obj.int_cost, obj.int_penalty)


def binding_slots(graph: Graph) -> bool:
    """Whether matcher's network has volunteer x slot nodes (one_need_per_slot can bind)."""
    inst = fold_objective(_instance(graph), graph.unserved_cost is None)
    return build_network(inst).n_nodes > 1 + graph.n_volunteers + graph.n_needs


def check_graph_peers(graph: Graph) -> None:
    """Every graph peer equals matcher; scipy_matching refuses exactly when hungarian does."""
    want = objective(matcher.solve_graph(graph, method="flow"))
    for peer in GRAPH_PEERS:
        got = peer(graph)
        assert got.objective == want, peer.__name__
        assert plan_objective(graph, got.pairs) == want, peer.__name__
    try:
        hung = matcher.solve_graph(graph, method="hungarian", max_cells=1 << 40)
    except matcher.UnsupportedProblem:
        with pytest.raises(peers.NotApplicable):
            peers.scipy_matching(graph)
    else:
        assert objective(hung) == want
        got = peers.scipy_matching(graph)
        assert got.objective == want
        assert plan_objective(graph, got.pairs) == want


def check_problem(problem: Problem) -> Graph:
    """bare_ortools on the records, the graph peers on matcher's graph: all equal matcher."""
    want = objective(matcher.solve(problem, method="flow"))
    got = peers.bare_ortools(problem.volunteers, problem.needs, problem.policy)
    assert got.objective == want
    graph = matcher.build_graph(problem)
    assert plan_objective(graph, got.pairs) == want
    assert set(got.stages) == {"build", "solve", "extract"}
    check_graph_peers(graph)
    return graph


# ---------------------------------------------------------------------------
# problems from the records
# ---------------------------------------------------------------------------

POLICIES = {
    "default": {},
    "finite": {"unmatched_cost": 0.8},
    "no_load": {"load_penalty": 0.0},
    "same_community": {"same_community": True, "unmatched_cost": 2.5},
    "slots_off": {"one_need_per_slot": False},
}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("variant", sorted(POLICIES))
def test_synthetic(seed: int, variant: str) -> None:
    com = generate(rng=seed, n_communities=1, buildings_per_community=8)
    policy = replace(com.policy, **POLICIES[variant])
    check_problem(Problem(com.volunteers, com.needs, policy))


def test_synthetic_binding_slots_and_load() -> None:
    # A larger community, so that one_need_per_slot binds and loads reach 3.
    com = generate(rng=3, n_communities=2, buildings_per_community=12)
    assert com.policy.load_penalty > 0
    for policy in (com.policy, replace(com.policy, unmatched_cost=1.5)):
        graph = check_problem(Problem(com.volunteers, com.needs, policy))
        assert binding_slots(graph)


SKILLS = ("nursing", "driving", "tutoring", "legal")
SLOTS = ("mon-am", "mon-pm", "sat-am", "sat-pm")
CATEGORIES = ("elderly_care", "medical", "tutoring", "legal")


def random_problem(seed: int, geometry: str, policy: Policy) -> Problem:
    """A random problem with every feature of the model (through the public API)."""
    rng = np.random.default_rng(seed)
    nv, nn = int(rng.integers(20, 40)), int(rng.integers(20, 40))

    def where() -> tuple[float, float]:
        if geometry == "plane":
            return (float(rng.uniform(0, 8)), float(rng.uniform(0, 8)))
        return (float(31.2 + rng.uniform(0, 0.06)), float(121.45 + rng.uniform(0, 0.06)))

    def pick(names: tuple[str, ...], k: int) -> list[str]:
        return [str(x) for x in rng.choice(names, size=k, replace=False)]

    vols = [
        Volunteer(
            f"v{i:02d}",
            {s: int(rng.integers(1, 6)) for s in pick(SKILLS, int(rng.integers(0, 3)))},
            where(),
            capacity=int(rng.integers(0, 4)),
            slots=None if rng.random() < 0.2 else pick(SLOTS, int(rng.integers(1, 4))),
            max_distance_km=None if rng.random() < 0.6 else float(rng.uniform(1, 6)),
            categories=pick(CATEGORIES, int(rng.integers(0, 3))),
            community=None if rng.random() < 0.1 else str(rng.choice(["a", "b"])),
        )
        for i in range(nv)
    ]
    needs = [
        Need(
            f"n{j:02d}",
            str(rng.choice(CATEGORIES)),
            {s: int(rng.integers(1, 4)) for s in pick(SKILLS, int(rng.integers(0, 2)))},
            where(),
            slot=None if rng.random() < 0.3 else str(rng.choice(SLOTS)),
            demand=int(rng.integers(1, 3)),
            priority=int(rng.integers(1, 6)),
            community=None if rng.random() < 0.1 else str(rng.choice(["a", "b"])),
        )
        for j in range(nn)
    ]
    return Problem(vols, needs, replace(policy, geometry=geometry))


@pytest.mark.parametrize("geometry", ["geo", "plane"])
@pytest.mark.parametrize(
    "policy",
    [
        Policy(max_distance_km=4.0, load_penalty=0.3),
        Policy(max_distance_km=4.0, load_penalty=0.25, unmatched_cost=1.2),
        Policy(max_distance_km=None, load_penalty=0.1, weights={"overskill": 0.4}),
        Policy(max_distance_km=3.0, same_community=True, resolution=0.01),
    ],
    ids=["lexicographic", "finite", "no_limit", "same_community"],
)
@pytest.mark.parametrize("seed", [11, 12])
def test_random_records(geometry: str, policy: Policy, seed: int) -> None:
    check_problem(random_problem(seed, geometry, policy))


def test_random_records_bind_slots() -> None:
    graph = check_problem(
        random_problem(5, "plane", Policy(max_distance_km=None, load_penalty=0.3))
    )
    assert binding_slots(graph)


def test_bare_ortools_refuses_pinned_and_forbidden() -> None:
    p = random_problem(1, "plane", Policy())
    with pytest.raises(NotImplementedError):
        peers.bare_ortools(p.volunteers, p.needs, p.policy, pinned=[("n00", "v00")])
    with pytest.raises(NotImplementedError):
        peers.bare_ortools(p.volunteers, p.needs, p.policy, forbidden=[("n00", "v00")])


def test_empty() -> None:
    p = Problem([], [Need("n", "legal", location=(0.0, 0.0), priority=2)])
    got = peers.bare_ortools(p.volunteers, p.needs, p.policy)
    assert got.objective == objective(matcher.solve(p)) == (0, 0, 0)
    check_graph_peers(matcher.build_graph(p))


# ---------------------------------------------------------------------------
# graphs: dense matrices, OR-Library, own arrays
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_dense(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.integers(0, 100, size=(25, 30)).astype(float)
    m[rng.random(m.shape) < 0.3] = np.inf
    check_graph_peers(Graph.from_dense(m))
    check_graph_peers(Graph.from_dense(m.T, unmatched_cost=40.0))


def test_orlib_assign100() -> None:
    import orlib

    graph = Graph.from_dense(orlib.load("assign100"))
    assert peers.scipy_matching(graph).int_cost == orlib.INSTANCES["assign100"][2]
    assert peers.highs_lp(graph).int_cost == orlib.INSTANCES["assign100"][2]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_own_arrays(seed: int) -> None:
    """Capacities, demands, slots, load penalties and pinned edges in a hand-made graph."""
    rng = np.random.default_rng(seed)
    nv, nn = 15, 20
    keys = rng.choice(nv * nn, size=90, replace=False)
    v, n = keys // nn, keys % nn
    cost = rng.integers(-5, 60, size=len(keys))
    cap = rng.integers(0, 4, size=nv)
    dem = rng.integers(1, 3, size=nn)
    pri = rng.integers(1, 6, size=nn)
    slot = rng.integers(-1, 3, size=nn)
    common = dict(capacity=cap, priority=pri, load_penalty=3.0)
    graphs = [
        Graph.from_arrays(v, n, cost, demand=dem, need_slot=slot, **common),
        Graph.from_arrays(v, n, cost, demand=dem, need_slot=slot, unmatched_cost=20.0, **common),
        # demand 1, no slots: the copies reduction is exact
        Graph.from_arrays(v, n, cost, **common),
        Graph.from_arrays(v, n, cost, unmatched_cost=15.0, **common),
    ]
    # pin a few edges of volunteers with capacity (one per volunteer and per need)
    _, first = np.unique(v, return_index=True)
    pick = [e for e in first if cap[v[e]] > 0][:3]
    pick = [e for i, e in enumerate(pick) if n[e] not in n[pick[:i]]]
    pinned = np.zeros(len(keys), bool)
    pinned[pick] = True
    graphs.append(Graph.from_arrays(v, n, cost, pinned=pinned, **common))
    for graph in graphs:
        check_graph_peers(graph)


def test_scipy_matching_applies_with_capacity_copies() -> None:
    # Capacities > 1 with demand 1 and a load step: applicable and exact.
    graph = Graph.from_arrays(
        [0, 0, 0, 1, 1], [0, 1, 2, 1, 2], [1, 2, 3, 9, 1], capacity=[3, 1], load_penalty=4.0
    )
    res = fold_objective(fix_pinned(_instance(graph), np.asarray(graph.pinned))[0], True)
    assert res.capacity.max() == 3
    got = peers.scipy_matching(graph)
    assert got.objective == objective(matcher.solve_graph(graph, method="flow"))
