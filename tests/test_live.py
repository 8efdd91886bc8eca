"""The warm-start engine (matcher.solvers.live / dynamic) against cold solves.

Chains of random events (one at a time, and in batches repaired together) --
needs and volunteers arriving and leaving (needs alone or several together), pairs
opening, closing, changing cost, pinned and released -- are applied to a
:class:`LiveAssignment` one at a time. After every event its plan must be a plan
of the instance as it now is (capacities, demands, slots, pinned pairs), cost
exactly what a cold solve by independent solvers costs (OR-Tools' min-cost flow
and networkx's network simplex, on an instance the test builds from its own
records), and carry potentials that satisfy every residual arc of the
certificate network as :mod:`matcher.solvers._duals` builds it (code the engine
does not share).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.solvers import Instance, solve_instance
from matcher.solvers._base import check_plan, evaluate
from matcher.solvers._duals import _network, slot_node_keys
from matcher.solvers.dynamic import DynamicFlow
from matcher.solvers.live import LiveAssignment

B = 1 << 16  # the weight of a unit of priority: above any cost spread drawn here


@dataclass
class World:
    """The test's own records, by engine node."""

    slots: bool
    load_step: int
    volunteers: dict[int, int] = field(default_factory=dict)  # node -> capacity
    needs: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # demand, priority, slot
    pairs: dict[tuple[int, int], int] = field(default_factory=dict)  # (v, j) -> cost
    pinned: set[tuple[int, int]] = field(default_factory=set)

    def instance(self) -> tuple[Instance, np.ndarray, list[int], list[int], list[tuple[int, int]]]:
        vs, ns = sorted(self.volunteers), sorted(self.needs)
        vi, ni = {v: i for i, v in enumerate(vs)}, {j: i for i, j in enumerate(ns)}
        edges = sorted(self.pairs, key=lambda e: (ni[e[1]], vi[e[0]]))
        pri = np.array([self.needs[j][1] for j in ns], np.int64)
        inst = Instance(
            n_volunteers=len(vs),
            n_needs=len(ns),
            volunteer=np.array([vi[v] for v, _ in edges], np.int64),
            need=np.array([ni[j] for _, j in edges], np.int64),
            cost=np.array([self.pairs[e] for e in edges], np.int64),
            capacity=np.array([self.volunteers[v] for v in vs], np.int64),
            demand=np.array([self.needs[j][0] for j in ns], np.int64),
            priority=pri,
            slot=np.array([self.needs[j][2] for j in ns], np.int64) if self.slots else None,
            load_step=self.load_step,
            load_start=np.zeros(len(vs), np.int64),
            unserved_cost=B * pri,
        )
        pinned = np.array([e in self.pinned for e in edges], bool)
        return inst, pinned, vs, ns, edges

    def drop(self, node: int, end: int) -> None:
        """Forget a volunteer (*end* 0) or a need (*end* 1), its pairs and pins."""
        del (self.volunteers if end == 0 else self.needs)[node]
        self.pairs = {e: c for e, c in self.pairs.items() if e[end] != node}
        self.pinned = {e for e in self.pinned if e[end] != node}

    def pin_fits(self, v: int, j: int) -> bool:
        mine = [e for e in self.pinned if e[0] == v]
        theirs = [e for e in self.pinned if e[1] == j]
        if (v, j) in self.pinned or len(mine) >= self.volunteers[v]:
            return False
        if len(theirs) >= self.needs[j][0]:
            return False
        s = self.needs[j][2]
        return not (self.slots and s >= 0 and any(self.needs[k][2] == s for _, k in mine))


def check(live: LiveAssignment, world: World, methods: tuple[str, ...]) -> None:
    """The live plan is a plan, as cheap as every cold solve, and its potentials prove it."""
    inst, pinned, vs, ns, edges = world.instance()
    at = {e: i for i, e in enumerate(edges)}
    plan = live.plan()
    assert len(set(plan)) == len(plan)
    chosen = np.array(sorted(at[e] for e in plan), np.int64)
    check_plan(inst, chosen)
    assert pinned[chosen].sum() == pinned.sum(), "a pinned pair is not in the plan"
    mine = evaluate(inst, chosen, inst.unserved_cost)
    assert live.cost() == mine.int_cost + mine.int_penalty
    for method in methods:
        cold = solve_instance(inst, pinned, priority_first=False, method=method, certify=False)
        assert (
            mine.int_cost + mine.int_penalty == cold.objective.int_cost + cold.objective.int_penalty
        ), method
    # the potentials, on the certificate network built by _duals
    net = _network(inst, chosen, pinned, None)
    dist = np.zeros(net.n_nodes, np.int64)
    dist[net.vol_node] = live.potential(vs)
    dist[net.need_node] = live.potential(ns)
    if len(net.slot_keys):
        width, *_ = slot_node_keys(inst)
        nodes = [live.slot_node[(vs[k // width], k % width)] for k in net.slot_keys.tolist()]
        dist[1 + len(vs) + len(ns) :] = live.potential(nodes)
    bad = dist[net.tail] + net.cost < dist[net.head]
    assert not bad.any(), f"{int(bad.sum())} residual arcs break the certificate"
    assert not len(live.flow.violations())


EVENTS = (
    "need",
    "volunteer",
    "drop_need",
    "drop_volunteer",
    "open",
    "close",
    "cost",
    "pin",
    "unpin",
)


def _subset(xs: list[int]) -> st.SearchStrategy[list[int]]:
    return st.lists(st.sampled_from(xs), unique=True) if xs else st.just([])


def _event(live: LiveAssignment, world: World, data) -> None:
    """One random event, on the engine and on the test's records."""
    cost = st.integers(0, 30)
    event = data.draw(st.sampled_from(EVENTS))
    vols, needs = sorted(world.volunteers), sorted(world.needs)
    if event == "need" or (not needs and event != "volunteer"):
        demand, pri = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
        slot = data.draw(st.integers(-1, 2))
        with_ = data.draw(_subset(vols))
        pairs = [(v, data.draw(cost)) for v in with_]
        j = live.add_need(demand, B * pri, slot, pairs)
        world.needs[j] = (demand, pri, slot if world.slots else -1)
        world.pairs.update({(v, j): c for v, c in pairs})
    elif event == "volunteer" or not vols:
        cap = data.draw(st.integers(0, 3))
        with_ = data.draw(_subset(needs))
        pairs = [(j, data.draw(cost)) for j in with_]
        v = live.add_volunteer(cap, pairs)
        world.volunteers[v] = cap
        world.pairs.update({(v, j): c for j, c in pairs})
    elif event == "drop_need":  # one need, or several leaving together
        js = data.draw(st.lists(st.sampled_from(needs), min_size=1, max_size=3, unique=True))
        if len(js) == 1:
            live.remove_need(js[0])
        else:
            live.remove_needs(js)
        for j in js:
            world.drop(j, 1)
    elif event == "drop_volunteer":
        v = data.draw(st.sampled_from(vols))
        live.remove_volunteer(v)
        world.drop(v, 0)
    elif event == "open":
        v, j = data.draw(st.sampled_from(vols)), data.draw(st.sampled_from(needs))
        if (v, j) not in world.pairs:
            c = data.draw(cost)
            live.add_pair(v, j, c)
            world.pairs[(v, j)] = c
    elif world.pairs and event in ("close", "cost", "pin"):
        e = data.draw(st.sampled_from(sorted(world.pairs)))
        if event == "close" and e not in world.pinned:
            live.remove_pair(*e)
            del world.pairs[e]
        elif event == "cost":
            c = data.draw(cost)
            live.set_pair_cost(*e, c)
            world.pairs[e] = c
        elif event == "pin" and world.pin_fits(*e):
            live.pin(*e)
            world.pinned.add(e)
    elif event == "unpin" and world.pinned:
        e = data.draw(st.sampled_from(sorted(world.pinned)))
        live.unpin(*e)
        world.pinned.discard(e)


def run_chain(
    data, slots: bool, load_step: int, steps: int, methods: tuple[str, ...], batches: bool = False
) -> None:
    """*steps* events one at a time, or *steps* batches of 1 to 6 (``live.batch()``)."""
    live = LiveAssignment(slots=slots, load_step=load_step)
    world = World(slots, load_step)
    for _ in range(steps):
        if batches:
            with live.batch():
                for _ in range(data.draw(st.integers(1, 6))):
                    _event(live, world, data)
        else:
            _event(live, world, data)
        check(live, world, methods)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), slots=st.booleans(), load_step=st.sampled_from([0, 0, 1, 4]))
def test_every_event_leaves_the_plan_optimal_and_proven(data, slots, load_step):
    run_chain(data, slots, load_step, steps=30, methods=("flow",))


@settings(max_examples=25, deadline=None)
@given(data=st.data(), slots=st.booleans(), load_step=st.sampled_from([0, 2]))
def test_every_event_agrees_with_network_simplex(data, slots, load_step):
    run_chain(data, slots, load_step, steps=12, methods=("network_simplex",))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), slots=st.booleans(), load_step=st.sampled_from([0, 0, 1, 4]))
def test_events_repaired_together_leave_the_plan_optimal_and_proven(data, slots, load_step):
    run_chain(data, slots, load_step, steps=10, methods=("flow",), batches=True)


def test_a_batch_that_raises_repairs_nothing_and_a_batch_does_not_nest():
    live = LiveAssignment(slots=False, load_step=0)
    ana = live.add_volunteer(1, [])
    with pytest.raises(KeyError), live.batch():
        live.add_need(1, 100, -1, [(ana, 7)])
        live.remove_pair(ana, 99)  # no such pair
    assert live.plan() == [] and live.flow.excess.any()  # left as it was: the caller drops it
    with pytest.raises(RuntimeError, match="inside"), live.batch(), live.batch():
        pass


def test_a_plan_loads_with_its_certificate_and_goes_on(tiny_city_instance=None):
    """from_plan: a cold solve's plan and certificate, then events on top of it."""
    rng = np.random.default_rng(3)
    nv, nn = 30, 40
    v = rng.integers(0, nv, 200)
    j = rng.integers(0, nn, 200)
    keep = np.unique(j * nv + v, return_index=True)[1]
    v, j = v[keep], j[keep]
    order = np.lexsort((v, j))
    v, j = v[order], j[order]
    pri = rng.integers(1, 4, nn)
    inst = Instance(
        nv, nn, v.astype(np.int64), j.astype(np.int64), rng.integers(0, 50, len(v)),
        rng.integers(1, 3, nv), rng.integers(1, 3, nn), pri, rng.integers(-1, 3, nn), 2,
        np.zeros(nv, np.int64), B * pri,
    )  # fmt: skip
    pinned = np.zeros(len(v), bool)
    cold = solve_instance(inst, pinned, priority_first=False, method="flow")
    assert cold.certificate is not None
    from matcher.solvers._duals import potentials

    cert = potentials(inst, cold.chosen, pinned, None)
    live = LiveAssignment.from_plan(inst, cold.chosen, pinned, cert)
    world = World(True, 2)
    world.volunteers = {1 + i: int(c) for i, c in enumerate(inst.capacity)}
    world.needs = {
        1 + nv + i: (int(inst.demand[i]), int(pri[i]), int(inst.slot[i])) for i in range(nn)
    }
    world.pairs = {
        (1 + int(a), 1 + nv + int(b)): int(c) for a, b, c in zip(v, j, inst.cost, strict=True)
    }
    check(live, world, ("flow",))
    live.remove_volunteer(5)
    del world.volunteers[5]
    world.pairs = {e: c for e, c in world.pairs.items() if e[0] != 5}
    check(live, world, ("flow",))
    n = live.add_need(2, 3 * B, 1, [(1, 0), (2, 5), (3, 9)])
    world.needs[n] = (2, 3, 1)
    world.pairs.update({(1, n): 0, (2, n): 5, (3, n): 9})
    check(live, world, ("flow",))


def test_a_certificate_that_does_not_prove_the_plan_is_refused():
    inst = Instance(
        1, 1, np.array([0]), np.array([0]), np.array([5]), np.array([1]), np.array([1]),
        np.array([1]), None, 0, np.zeros(1, np.int64), np.array([B]),
    )  # fmt: skip
    from matcher.solvers._duals import Potentials

    zero = np.zeros(1, np.int64)
    empty = np.zeros(0, np.int64)
    wrong = Potentials(None, 0, zero, zero, empty, empty, empty)
    with pytest.raises(ValueError, match="does not prove"):
        LiveAssignment.from_plan(inst, np.zeros(0, np.int64), np.zeros(1, bool), wrong)


def test_numbers_of_removed_nodes_and_arcs_are_reused():
    f = DynamicFlow()
    s = f.add_node()
    for _ in range(50):
        u = f.add_node()
        a = f.add_arc(s, u, 1, 3)
        f.remove_arc(a)
        f.remove_node(u)
    assert f._n == 2 and f._m == 1


def test_a_city_of_tier_m_stays_optimal_through_2000_events():
    """The soak: 2,000 random events on the uniform city of tier M (one connected network).

    After every 10th event the engine's flow is checked balanced, within capacity
    and proven by its potentials; every 50th plan is checked against the instance's rules and
    a cold OR-Tools solve (benchmarks.engine.City does both).
    """
    from benchmarks.engine import KINDS, City

    city = City("uniform", "M")
    rng = np.random.default_rng(11)
    sizes = []
    for i in range(2000):
        city.event(KINDS[int(rng.integers(4))])
        if i % 10 == 9:
            city.proven()
        if i % 50 == 49:
            city.cold_check()
            sizes.append(city.live.flow.n_arcs)
    assert min(sizes) > 0.8 * max(sizes)  # the city neither emptied nor doubled
