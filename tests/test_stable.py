"""Method ``"stable"``: volunteer-proposing deferred acceptance.

Hand-checked cases (the classic 3x3 with three stable matchings, a rejection
chain, capacities, slots, urgency first, empty and zero-capacity instances),
then properties on tiny instances drawn by structure, against a brute-force
oracle written here from the definitions of the module docstring: it
enumerates every feasible plan (capacities, demands, one need per slot) and
decides blocking pair by pair with the choice functions written out literally
(greedy over the volunteer's ranking, best ``demand`` for a need). On each
drawn instance: the DA plan is feasible and stable, :func:`blocking_pairs`
agrees with the oracle on every feasible plan, the DA plan is
volunteer-optimal and need-pessimal among all stable plans, and the plan does
not depend on the order of the edges or on splitting into components.

Under the ``ci`` profile: 301 general tiny instances (up to 3 x 4, slots,
capacities, ties), 301 stable marriages (up to 4 x 4; about 50 with several
stable plans) and 301 many-to-many instances with slots (up to 3 x 3; about 17
with several stable plans) against the oracle; 210 order/split checks; 105
problems built through ``build_graph``. About 10 s in all.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import budget, tiny_problems

from matcher import build_graph
from matcher.errors import InputError
from matcher.planning.solving import _instance
from matcher.solvers._base import Instance, check_plan, fix_pinned
from matcher.solvers._split import split
from matcher.solvers.stable import blocking_pairs, need_keys, solve, volunteer_keys

# --------------------------------------------------------------------------- builders


def make(
    pairs: list[tuple[int, int]],
    capacity: list[int],
    demand: list[int],
    *,
    priority: list[int] | None = None,
    slot: list[int] | None = None,
    cost: list[int] | None = None,
) -> Instance:
    nv, nn, m = len(capacity), len(demand), len(pairs)
    return Instance(
        n_volunteers=nv,
        n_needs=nn,
        volunteer=np.array([a for a, _ in pairs], np.int64).reshape(m),
        need=np.array([b for _, b in pairs], np.int64).reshape(m),
        cost=np.array(cost if cost is not None else [0] * m, np.int64).reshape(m),
        capacity=np.array(capacity, np.int64),
        demand=np.array(demand, np.int64),
        priority=np.array(priority if priority is not None else [1] * nn, np.int64),
        slot=None if slot is None else np.array(slot, np.int64),
        load_step=0,
        load_start=np.zeros(nv, np.int64),
        unserved_cost=np.zeros(nn, np.int64),
    )


def from_lists(
    vol_prefs: list[list[int]],
    need_prefs: list[list[int]],
    capacity: list[int] | None = None,
    demand: list[int] | None = None,
    **kwargs: Any,
) -> tuple[Instance, np.ndarray, np.ndarray]:
    """An instance whose edges are the pairs of the preference lists (best first)."""
    pairs = [(a, b) for a, prefs in enumerate(vol_prefs) for b in prefs]
    inst = make(
        pairs,
        capacity if capacity is not None else [1] * len(vol_prefs),
        demand if demand is not None else [1] * len(need_prefs),
        **kwargs,
    )
    vk = np.array([vol_prefs[a].index(b) for a, b in pairs], np.int64)
    nk = np.array([need_prefs[b].index(a) for a, b in pairs], np.int64)
    return inst, vk, nk


def pairs_of(inst: Instance, chosen: np.ndarray) -> set[tuple[int, int]]:
    return {(int(inst.volunteer[e]), int(inst.need[e])) for e in chosen}


def edges_of(inst: Instance, pairs: set[tuple[int, int]]) -> list[int]:
    where = {
        (int(a), int(b)): e for e, (a, b) in enumerate(zip(inst.volunteer, inst.need, strict=True))
    }
    return sorted(where[p] for p in pairs)


# --------------------------------------------------------------------------- brute-force oracle
# Written from the module docstring, in plain Python, without the module's code.


def vol_order(inst: Instance, vk: np.ndarray, e: int) -> tuple[int, int, int]:
    """Volunteer's ranking: more urgent need first, then its key, then need index."""
    j = int(inst.need[e])
    return (-int(inst.priority[j]), int(vk[e]), j)


def need_order(inst: Instance, nk: np.ndarray, e: int) -> tuple[int, int]:
    """Need's ranking: its key, then volunteer index."""
    return (int(nk[e]), int(inst.volunteer[e]))


def slot_of(inst: Instance, e: int) -> int:
    return -1 if inst.slot is None else int(inst.slot[int(inst.need[e])])


def choice_v(inst: Instance, vk: np.ndarray, a: int, edges: set[int]) -> set[int]:
    """C_v: scan best first, keep while under capacity and the slot is free."""
    kept: set[int] = set()
    busy: set[int] = set()
    for e in sorted(edges, key=lambda e: vol_order(inst, vk, e)):
        s = slot_of(inst, e)
        if len(kept) < inst.capacity[a] and not (s >= 0 and s in busy):
            kept.add(e)
            if s >= 0:
                busy.add(s)
    return kept


def choice_j(inst: Instance, nk: np.ndarray, b: int, edges: set[int]) -> set[int]:
    """C_j: the demand[j] best."""
    ranked = sorted(edges, key=lambda e: need_order(inst, nk, e))
    return set(ranked[: max(int(inst.demand[b]), 0)])


def of_vol(inst: Instance, plan: set[int], a: int) -> set[int]:
    return {e for e in plan if inst.volunteer[e] == a}


def of_need(inst: Instance, plan: set[int], b: int) -> set[int]:
    return {e for e in plan if inst.need[e] == b}


def feasible(inst: Instance, plan: set[int]) -> bool:
    for a in range(inst.n_volunteers):
        mine = of_vol(inst, plan, a)
        slots = [slot_of(inst, e) for e in mine if slot_of(inst, e) >= 0]
        if len(mine) > inst.capacity[a] or len(slots) != len(set(slots)):
            return False
    return all(len(of_need(inst, plan, b)) <= inst.demand[b] for b in range(inst.n_needs))


def bf_blocking(inst: Instance, plan: set[int], vk: np.ndarray, nk: np.ndarray) -> list[int]:
    out = []
    for e in range(inst.n_edges):
        if e in plan:
            continue
        a, b = int(inst.volunteer[e]), int(inst.need[e])
        if e in choice_v(inst, vk, a, of_vol(inst, plan, a) | {e}) and e in choice_j(
            inst, nk, b, of_need(inst, plan, b) | {e}
        ):
            out.append(e)
    return out


def all_feasible_plans(inst: Instance) -> list[frozenset[int]]:
    """Every feasible plan, by backtracking over the edges."""
    m = inst.n_edges
    load = [0] * inst.n_volunteers
    served = [0] * inst.n_needs
    busy: set[tuple[int, int]] = set()
    plans: list[frozenset[int]] = []
    current: list[int] = []

    def walk(e: int) -> None:
        if e == m:
            plans.append(frozenset(current))
            return
        walk(e + 1)
        a, b, s = int(inst.volunteer[e]), int(inst.need[e]), slot_of(inst, e)
        if load[a] < inst.capacity[a] and served[b] < inst.demand[b] and (a, s) not in busy:
            load[a] += 1
            served[b] += 1
            if s >= 0:
                busy.add((a, s))
            current.append(e)
            walk(e + 1)
            current.pop()
            busy.discard((a, s))
            load[a] -= 1
            served[b] -= 1

    walk(0)
    return plans


# --------------------------------------------------------------------------- hand-checked cases


# The classic cyclic 3x3: A, B, C = volunteers 0, 1, 2; X, Y, Z = needs 0, 1, 2.
CYCLIC_V = [[0, 1, 2], [1, 2, 0], [2, 0, 1]]  # A: X>Y>Z, B: Y>Z>X, C: Z>X>Y
CYCLIC_N = [[1, 2, 0], [2, 0, 1], [0, 1, 2]]  # X: B>C>A, Y: C>A>B, Z: A>B>C
VOLUNTEER_OPTIMAL = {(0, 0), (1, 1), (2, 2)}  # everyone's first choice
MIDDLE = {(0, 1), (1, 2), (2, 0)}
NEED_OPTIMAL = {(0, 2), (1, 0), (2, 1)}  # every need's first choice


def test_classic_3x3_gives_the_volunteer_optimal_matching():
    inst, vk, nk = from_lists(CYCLIC_V, CYCLIC_N)
    out = solve(inst, vol_key=vk, need_key=nk)
    assert pairs_of(inst, out.chosen) == VOLUNTEER_OPTIMAL
    assert out.optimal is False
    assert out.info == {"proposals": 3, "rejections": 0}


def test_classic_3x3_has_exactly_three_stable_matchings():
    inst, vk, nk = from_lists(CYCLIC_V, CYCLIC_N)
    stable = set()
    for plan in all_feasible_plans(inst):
        fast = blocking_pairs(inst, np.array(sorted(plan), np.int64), vk, nk).tolist()
        assert fast == bf_blocking(inst, set(plan), vk, nk)
        if not fast:
            stable.add(frozenset(pairs_of(inst, np.array(sorted(plan), np.int64))))
    assert stable == {frozenset(VOLUNTEER_OPTIMAL), frozenset(MIDDLE), frozenset(NEED_OPTIMAL)}
    # The other perfect matchings are blocked: {A-Y, B-X, C-Z} by B-Z only (B prefers Z
    # to X, Z prefers B to C; A-X and B-Y fail on the need's side, C has its first).
    plan = edges_of(inst, {(0, 1), (1, 0), (2, 2)})
    assert pairs_of(inst, blocking_pairs(inst, np.array(plan), vk, nk)) == {(1, 2)}


def test_rejection_chain():
    # A: X>Y>Z, B: X>Z>Y, C: Y>X>Z; X: C>B>A, Y: A>C>B, Z: A>B>C.
    # Round 1: A->X, B->X, C->Y; X keeps B. A->Y: Y keeps A, drops C. C->X: X keeps C,
    # drops B. B->Z. Result A-Y, B-Z, C-X after 6 proposals and 3 rejections.
    inst, vk, nk = from_lists([[0, 1, 2], [0, 2, 1], [1, 0, 2]], [[2, 1, 0], [0, 2, 1], [0, 1, 2]])
    out = solve(inst, vol_key=vk, need_key=nk)
    assert pairs_of(inst, out.chosen) == {(0, 1), (1, 2), (2, 0)}
    assert out.info == {"proposals": 6, "rejections": 3}
    assert blocking_pairs(inst, out.chosen, vk, nk).size == 0


def test_capacities_and_demands():
    # V0 takes 2, N0 wants 2. V0: N0>N1>N2, V1: N0>N2>N1, V2: N1>N0>N2;
    # N0: V1>V2>V0, N1: V0>V2>V1, N2: V0>V1>V2.
    # N1 keeps V0 over V2; V2 then displaces V0 at N0 (N0 keeps V1, V2); V0 falls to N2.
    inst, vk, nk = from_lists(
        [[0, 1, 2], [0, 2, 1], [1, 0, 2]],
        [[1, 2, 0], [0, 2, 1], [0, 1, 2]],
        capacity=[2, 1, 1],
        demand=[2, 1, 1],
    )
    out = solve(inst, vol_key=vk, need_key=nk)
    assert pairs_of(inst, out.chosen) == {(0, 1), (0, 2), (1, 0), (2, 0)}
    assert blocking_pairs(inst, out.chosen, vk, nk).size == 0
    # Giving V0's N1 place to V2 instead: N1 and V0 block (N1 prefers V0, V0 has room).
    plan = edges_of(inst, {(0, 2), (1, 0), (2, 1)})
    assert pairs_of(inst, blocking_pairs(inst, np.array(plan), vk, nk)) == {(0, 0), (0, 1)}


def test_zero_capacity_and_zero_demand_take_nothing():
    inst, vk, nk = from_lists([[0, 1], [0, 1]], [[0, 1], [0, 1]], capacity=[0, 2], demand=[1, 0])
    out = solve(inst, vol_key=vk, need_key=nk)
    assert pairs_of(inst, out.chosen) == {(1, 0)}
    assert blocking_pairs(inst, out.chosen, vk, nk).size == 0
    assert blocking_pairs(inst, np.zeros(0, np.int64), vk, nk).tolist() == edges_of(inst, {(1, 0)})


def test_empty_instance():
    inst = make([], [1, 1], [1])
    out = solve(inst)
    assert out.chosen.dtype == np.int64 and out.chosen.size == 0
    assert blocking_pairs(inst, out.chosen).size == 0
    assert volunteer_keys([], [], []).size == 0 and need_keys([], []).size == 0


# Slots: volunteer 0 takes 2 needs; needs 0 and 1 are in slot 0, need 2 in slot 1.
SLOTS = [0, 0, 1]


def test_one_need_per_slot_skips_a_second_need_of_the_slot():
    inst, vk, nk = from_lists([[0, 1, 2]], [[0], [0], [0]], capacity=[2], slot=SLOTS)
    assert pairs_of(inst, solve(inst, vol_key=vk, need_key=nk).chosen) == {(0, 0), (0, 2)}
    # The same with the slot rule off: the two best.
    free = replace(inst, slot=None)
    assert pairs_of(free, solve(free, vol_key=vk, need_key=nk).chosen) == {(0, 0), (0, 1)}


def test_a_rejection_frees_the_slot_for_its_next_need():
    # Volunteer 1 only wants need 0, and need 0 prefers it: volunteer 0 moves on to
    # need 1 in the same slot (ranked above need 2, which it keeps).
    inst, vk, nk = from_lists([[0, 1, 2], [0]], [[1, 0], [0], [0]], capacity=[2, 1], slot=SLOTS)
    out = solve(inst, vol_key=vk, need_key=nk)
    assert pairs_of(inst, out.chosen) == {(0, 1), (0, 2), (1, 0)}
    assert out.info == {"proposals": 4, "rejections": 1}
    assert blocking_pairs(inst, out.chosen, vk, nk).size == 0


def test_blocking_with_slots():
    inst, vk, nk = from_lists([[0, 1, 2], [0]], [[1, 0], [0], [0]], capacity=[3, 1], slot=SLOTS)
    e = {p: edges_of(inst, {p})[0] for p in pairs_of(inst, np.arange(inst.n_edges))}

    def blocks(plan: set[tuple[int, int]], demand: list[int] | None = None) -> set:
        i = inst if demand is None else replace(inst, demand=np.array(demand, np.int64))
        got = blocking_pairs(i, np.array(edges_of(i, plan)), vk, nk)
        assert got.tolist() == bf_blocking(i, set(edges_of(i, plan)), vk, nk)
        return pairs_of(i, got)

    # Room left, but slot 0 is held by a better need: volunteer 0 does not want need 1.
    assert blocks({(0, 0), (0, 2)}) == {(1, 0)}  # only volunteer 1 and need 0
    assert blocks({(1, 0), (0, 2)}) == {(0, 1)}  # slot 0 free for volunteer 0
    # Slot 0 held by a worse need: volunteer 0 would swap it for need 0 ...
    assert blocks({(1, 0), (0, 1), (0, 2)}) == set()  # ... but need 0 prefers volunteer 1
    assert blocks({(1, 0), (0, 1), (0, 2)}, demand=[2, 1, 1]) == {(0, 0)}  # ... unless it has room
    assert e[(0, 0)] in blocking_pairs(
        replace(inst, demand=np.array([2, 1, 1])), np.array(edges_of(inst, {(0, 1)})), vk, nk
    )


def test_a_full_volunteer_drops_its_worst_need():
    inst, vk, nk = from_lists([[0, 1]], [[0], [0]])
    assert pairs_of(inst, blocking_pairs(inst, np.array(edges_of(inst, {(0, 1)})), vk, nk)) == {
        (0, 0)
    }
    assert blocking_pairs(inst, np.array(edges_of(inst, {(0, 0)})), vk, nk).size == 0


def test_urgency_comes_before_the_volunteers_key():
    # Volunteer 0 prefers need 0 (preferred category, 0.1 km) to need 1 (other
    # category, 2 km), but need 1 is more urgent.
    vk = volunteer_keys([False, True], [0.1, 2.0], [0, 1])
    nk = need_keys([0, 0], [0, 0])
    inst = make([(0, 0), (0, 1)], [1], [1, 1], priority=[1, 5])
    assert pairs_of(inst, solve(inst, vol_key=vk, need_key=nk).chosen) == {(0, 1)}
    flat = replace(inst, priority=np.ones(2, np.int64))
    assert pairs_of(flat, solve(flat, vol_key=vk, need_key=nk).chosen) == {(0, 0)}
    # Under urgency first, keeping need 0 is blocked by need 1.
    assert blocking_pairs(inst, np.array([0]), vk, nk).tolist() == [1]
    assert blocking_pairs(flat, np.array([0]), vk, nk).size == 0


def test_key_helpers_rank_lexicographically():
    # (miss, distance, need): a preferred category beats any distance; ties by need.
    assert volunteer_keys(
        [True, False, False, False, False], [0.1, 3.0, 1.0, 1.0, 1.0], [0, 1, 5, 2, 2]
    ).tolist() == [3, 2, 1, 0, 0]
    # (cost, volunteer): dense ranks.
    assert need_keys([5, 1, 5, 1], [0, 9, 3, 2]).tolist() == [2, 1, 3, 0]
    assert volunteer_keys(np.array([0, 1]), [1, 1], [0, 0]).dtype == np.int64


def test_default_keys_rank_by_cost():
    # Without keys both sides rank by cost: volunteer 0 is cheaper for both needs.
    inst = make([(0, 0), (0, 1), (1, 0), (1, 1)], [1, 1], [1, 1], cost=[1, 2, 4, 3])
    out = solve(inst)
    assert pairs_of(inst, out.chosen) == {(0, 0), (1, 1)}
    assert blocking_pairs(inst, out.chosen).size == 0
    vk = volunteer_keys(np.zeros(4, bool), inst.cost.astype(float), inst.need)
    same = solve(inst, vol_key=vk, need_key=need_keys(inst.cost, inst.volunteer))
    assert np.array_equal(same.chosen, out.chosen)


def test_bad_keys_are_refused_with_both_problems_listed():
    inst, vk, nk = from_lists(CYCLIC_V, CYCLIC_N)
    with pytest.raises(InputError) as info:
        solve(inst, vol_key=vk[:-1], need_key=nk.astype(float))
    assert [p.field for p in info.value.problems] == ["vol_key", "need_key"]
    assert "shape (9,)" in str(info.value)


def test_load_step_and_unserved_cost_are_ignored():
    inst, vk, nk = from_lists(CYCLIC_V, CYCLIC_N)
    other = replace(inst, load_step=7, unserved_cost=np.array([0, 100, 3], np.int64))
    a = solve(inst, vol_key=vk, need_key=nk).chosen
    assert np.array_equal(a, solve(other, vol_key=vk, need_key=nk).chosen)


# --------------------------------------------------------------------------- drawn instances

_CAPACITY = st.sampled_from((1, 2, 0, 3))
_DEMAND = st.sampled_from((1, 2, 0))
_SLOT = st.sampled_from((-1, 0, 1, 0))
_DISTANCE = st.sampled_from((0.0, 0.5, 1.0, 1.5))  # few values: ties happen
_SMALL = st.integers(0, 3)
_KEY = _SMALL | st.integers(0, 20)  # few values (ties) or many (conflicting preferences)
_ONE_OR_TWO = st.sampled_from((1, 2, 1))
_MOSTLY_ONE = st.sampled_from((1, 1, 1, 2))
_URGENCY = st.sampled_from((1, 1, 2, 3))
_PRESENT = st.sampled_from((True, False, True))


@st.composite
def tiny_instances(draw: Any, max_volunteers: int = 3, max_needs: int = 4) -> tuple:
    """``(inst, vol_key, need_key)`` with at most 12 edges, in any edge order.

    Pairs present two times in three, capacities 0..3, demands 0..2, urgencies
    1..3, slots or none; sizes lean to the largest. Keys are either made by the
    helpers from drawn preference misses, distances and costs (as matcher will),
    or drawn raw, often with ties (so the solver's own tie-breaks -- need index,
    volunteer index -- are exercised).
    """
    nv = draw(st.integers(1, max_volunteers) | st.just(max_volunteers))
    nn = draw(st.integers(1, max_needs) | st.just(max_needs))
    every = [(a, b) for a in range(nv) for b in range(nn)]
    present = draw(st.lists(_PRESENT, min_size=len(every), max_size=len(every)))
    pairs = list(draw(st.permutations([p for p, keep in zip(every, present, strict=True) if keep])))
    m = len(pairs)
    ints = st.lists(_SMALL, min_size=m, max_size=m)
    inst = make(
        pairs,
        draw(st.lists(_CAPACITY, min_size=nv, max_size=nv)),
        draw(st.lists(_DEMAND, min_size=nn, max_size=nn)),
        priority=draw(st.lists(_URGENCY, min_size=nn, max_size=nn)),
        slot=draw(st.none() | st.lists(_SLOT, min_size=nn, max_size=nn)),
        cost=draw(ints),
    )
    if draw(st.booleans()):
        miss = draw(st.lists(st.booleans(), min_size=m, max_size=m))
        dist = draw(st.lists(_DISTANCE, min_size=m, max_size=m))
        vk = volunteer_keys(miss, dist, inst.need)
        nk = need_keys(inst.cost, inst.volunteer)
    else:
        keys = st.lists(_KEY, min_size=m, max_size=m)
        vk = np.array(draw(keys), np.int64).reshape(m)
        nk = np.array(draw(keys), np.int64).reshape(m)
    return inst, vk, nk


@st.composite
def marriages(draw: Any, unit: bool = True) -> tuple:
    """Every pair of 2..4 x 2..4, strict preference lists, edges in any order.

    *unit*: stable marriage (capacities and demands 1, equal urgency); else
    capacities and demands 1..2, urgencies 1..2 and slots or none. With strict,
    independent preferences several stable plans are common (one draw in five
    to ten), so volunteer optimality is tested on more than a unique stable plan.
    """
    nv = draw(st.integers(2, 4) | st.just(3) | st.just(4))
    nn = draw(st.integers(2, 4) | st.just(3) | st.just(4))
    if not unit:  # keep the enumeration small
        nv, nn = min(nv, 3), min(nn, 3)
    vol_prefs = [list(draw(st.permutations(range(nn)))) for _ in range(nv)]
    need_prefs = [list(draw(st.permutations(range(nv)))) for _ in range(nn)]
    extra: dict[str, Any] = {}
    if not unit:
        extra = {
            "capacity": draw(st.lists(_ONE_OR_TWO, min_size=nv, max_size=nv)),
            "demand": draw(st.lists(_ONE_OR_TWO, min_size=nn, max_size=nn)),
            "priority": draw(st.lists(_MOSTLY_ONE, min_size=nn, max_size=nn)),
            "slot": draw(st.none() | st.lists(_SLOT, min_size=nn, max_size=nn)),
        }
    inst, vk, nk = from_lists(vol_prefs, need_prefs, **extra)
    perm = np.array(draw(st.permutations(range(inst.n_edges))), np.int64)
    moved = replace(inst, volunteer=inst.volunteer[perm], need=inst.need[perm])
    return moved, vk[perm], nk[perm]


def prefers(chosen_from_both: set[int], mine: set[int]) -> bool:
    """Blair's order: an agent prefers *mine* to another set when, offered both, it keeps mine."""
    return chosen_from_both == mine


def check_against_brute_force(inst: Instance, vk: np.ndarray, nk: np.ndarray) -> int:
    """Assert every brute-force property of the DA plan; return the number of stable plans."""
    out = solve(inst, vol_key=vk, need_key=nk)
    plan = set(out.chosen.tolist())
    assert out.chosen.tolist() == sorted(plan) and len(plan) == out.chosen.size
    assert feasible(inst, plan)
    check_plan(inst, out.chosen)
    assert bf_blocking(inst, plan, vk, nk) == []

    stable = []
    for other in all_feasible_plans(inst):
        fast = blocking_pairs(inst, np.array(sorted(other), np.int64), vk, nk).tolist()
        assert fast == bf_blocking(inst, set(other), vk, nk)
        if not fast:
            stable.append(set(other))
    assert plan in stable
    for other in stable:
        for a in range(inst.n_volunteers):
            mine, theirs = of_vol(inst, plan, a), of_vol(inst, other, a)
            assert prefers(choice_v(inst, vk, a, mine | theirs), mine)
            if inst.capacity[a] == 1 and theirs:  # unit capacity: a plain rank comparison
                (x,) = mine
                (y,) = theirs
                assert vol_order(inst, vk, x) <= vol_order(inst, vk, y)
        for b in range(inst.n_needs):  # polarisation: the needs' worst stable plan
            mine, theirs = of_need(inst, plan, b), of_need(inst, other, b)
            assert prefers(choice_j(inst, nk, b, mine | theirs), theirs)
    return len(stable)


@settings(max_examples=budget(0.43))
@given(tiny_instances())
def test_da_is_stable_and_volunteer_optimal_by_brute_force(case):
    check_against_brute_force(*case)


@settings(max_examples=budget(0.43))
@given(marriages())
def test_da_is_the_volunteer_optimal_stable_marriage_by_brute_force(case):
    check_against_brute_force(*case)


@settings(max_examples=budget(0.43))
@given(marriages(unit=False))
def test_da_is_volunteer_optimal_with_capacities_and_slots_by_brute_force(case):
    check_against_brute_force(*case)


@settings(max_examples=budget(0.3))
@given(tiny_instances(max_volunteers=5, max_needs=5), st.data())
def test_plan_depends_on_pairs_and_keys_only(case, data):
    inst, vk, nk = case
    first = solve(inst, vol_key=vk, need_key=nk)
    again = solve(inst, vol_key=vk.copy(), need_key=nk.copy())
    assert np.array_equal(first.chosen, again.chosen) and first.info == again.info

    perm = np.array(data.draw(st.permutations(range(inst.n_edges))), np.int64)
    moved = replace(
        inst, volunteer=inst.volunteer[perm], need=inst.need[perm], cost=inst.cost[perm]
    )
    out = solve(moved, vol_key=vk[perm], need_key=nk[perm])
    assert pairs_of(moved, out.chosen) == pairs_of(inst, first.chosen)
    assert blocking_pairs(moved, out.chosen, vk[perm], nk[perm]).size == 0

    # Components do not interact: solving each part of the split (keys indexed by the
    # part's edges) gives the same plan.
    parts = [
        t.edges[solve(t.instance, vol_key=vk[t.edges], need_key=nk[t.edges]).chosen]
        for t in split(inst, task_edges=1)
    ]
    joined = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    assert np.array_equal(joined, first.chosen)


def test_many_volunteers_and_needs_quickly():
    # A larger instance: still stable, feasible, and every offer accounted for.
    rng = np.random.default_rng(7)
    nv, nn, m = 300, 200, 6000
    keys = rng.choice(nv * nn, size=m, replace=False)
    v, j = keys // nn, keys % nn
    inst = replace(
        make([], [0] * nv, [0] * nn),
        volunteer=v.astype(np.int64),
        need=j.astype(np.int64),
        cost=rng.integers(0, 50, m),
        capacity=rng.integers(0, 4, nv),
        demand=rng.integers(0, 3, nn),
        priority=rng.integers(1, 6, nn),
        slot=rng.integers(-1, 3, nn),
    )
    vk = volunteer_keys(rng.random(m) < 0.3, rng.random(m), inst.need)
    nk = need_keys(inst.cost, inst.volunteer)
    out = solve(inst, vol_key=vk, need_key=nk)
    check_plan(inst, out.chosen)
    assert blocking_pairs(inst, out.chosen, vk, nk).size == 0
    assert out.info["proposals"] - out.info["rejections"] == out.chosen.size


# --------------------------------------------------------------------------- from a Problem


def stable_plan_of(problem: Any) -> tuple[Instance, np.ndarray, np.ndarray, np.ndarray]:
    """The wiring recipe: graph -> instance -> keys -> residual (keys indexed by kept) -> solve."""
    graph = build_graph(problem)
    inst = _instance(graph)
    assert graph.distance_km is not None and graph.parts is not None
    vk = volunteer_keys(graph.parts["preference"] > 0, graph.distance_km, graph.need)
    nk = need_keys(graph.cost, graph.volunteer)
    residual, kept = fix_pinned(inst, np.asarray(graph.pinned))
    rvk, rnk = vk[kept], nk[kept]
    chosen = solve(residual, vol_key=rvk, need_key=rnk).chosen
    return residual, chosen, rvk, rnk


@settings(max_examples=budget(0.15))
@given(tiny_problems())
def test_stable_plans_of_problems(problem):
    residual, chosen, vk, nk = stable_plan_of(problem)
    check_plan(residual, chosen)
    assert blocking_pairs(residual, chosen, vk, nk).size == 0
    assert bf_blocking(residual, set(chosen.tolist()), vk, nk) == []


def test_brute_force_oracle_sees_blocking_pairs():
    # The oracle itself must be able to say "blocked": all 6 perfect matchings of the
    # classic 3x3, 3 of them stable.
    inst, vk, nk = from_lists(CYCLIC_V, CYCLIC_N)
    blocked = 0
    for perm in permutations(range(3)):
        plan = set(edges_of(inst, {(a, perm[a]) for a in range(3)}))
        blocked += bool(bf_blocking(inst, plan, vk, nk))
    assert blocked == 3
