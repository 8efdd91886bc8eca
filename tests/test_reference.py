"""Self-tests of the independent oracle in ``tests/reference.py``.

Nothing here imports ``matcher``: instances are built from the small local
dataclasses below (duck-typed like the library's model) and results from
``types.SimpleNamespace``.  Run alone with::

    /work/venv/bin/python -m pytest tests/test_reference.py -q -p no:cacheprovider --noconftest
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import reference as ref  # noqa: E402

R = ref.EARTH_RADIUS_KM


# --------------------------------------------------------------------------- local model


@dataclass(frozen=True)
class W:
    distance: float = 1.0
    overskill: float = 0.1
    preference: float = 1.0
    outside: float = 0.5


@dataclass(frozen=True)
class Pol:
    max_distance_km: float | None = 3.0
    same_community: bool = False
    one_need_per_slot: bool = True
    geometry: str = "geo"
    weights: W = field(default_factory=W)
    load_penalty: float = 0.0
    unmatched_cost: float | None = None
    resolution: float = 0.001


PLANE = Pol(geometry="plane")


@dataclass(frozen=True)
class Vol:
    id: str
    location: tuple[float, float] = (0.0, 0.0)
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: int = 1
    slots: frozenset[str] | None = None
    max_distance_km: float | None = None
    categories: frozenset[str] = frozenset()
    community: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Nd:
    id: str
    location: tuple[float, float] = (0.0, 0.0)
    category: str = "care"
    skills: Mapping[str, int] = field(default_factory=dict)
    slot: str | None = None
    demand: int = 1
    priority: int = 1
    community: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Prob:
    volunteers: Sequence[Vol]
    needs: Sequence[Nd]
    policy: Pol = field(default_factory=Pol)
    pinned: Sequence[tuple[str, str]] = ()
    forbidden: Sequence[tuple[str, str]] = ()


def make_result(problem: Prob, pairs: list[tuple[str, str]], reason: str = "taken") -> Any:
    """A valid-looking result for ``pairs`` (sorted, every need accounted for)."""
    pairs = sorted(pairs)
    served: dict[str, int] = {}
    for nid, _ in pairs:
        served[nid] = served.get(nid, 0) + 1
    unmatched = [
        SimpleNamespace(need_id=n.id, missing=n.demand - served.get(n.id, 0), reason=reason)
        for n in sorted(problem.needs, key=lambda n: n.id)
        if served.get(n.id, 0) < n.demand
    ]
    sp, ic, ip = ref.evaluate(problem, pairs)
    return SimpleNamespace(
        matches=[SimpleNamespace(need_id=a, volunteer_id=b) for a, b in pairs],
        unmatched=unmatched,
        objective=SimpleNamespace(served_priority=sp, int_cost=ic, int_penalty=ip),
    )


def both_optima(problem: Prob) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    return ref.brute_force(problem), ref.milp_optimum(problem)


# --------------------------------------------------------------------------- distances


def test_one_degree_of_latitude() -> None:
    d = ref.distance_km(Vol("v", (0.0, 0.0)), Nd("n", (1.0, 0.0)), "geo")
    assert d == pytest.approx(111.19508, abs=1e-5)
    assert d == pytest.approx(R * math.pi / 180, rel=1e-12)
    # Anywhere along a meridian.
    d2 = ref.distance_km(Vol("v", (47.0, 8.5)), Nd("n", (48.0, 8.5)), "geo")
    assert d2 == pytest.approx(111.19508, abs=1e-5)


def test_one_degree_of_longitude_shrinks_with_latitude() -> None:
    at_equator = ref.distance_km(Vol("v", (0.0, 10.0)), Nd("n", (0.0, 11.0)), "geo")
    assert at_equator == pytest.approx(111.19508, abs=1e-5)
    at_60 = ref.distance_km(Vol("v", (60.0, 10.0)), Nd("n", (60.0, 11.0)), "geo")
    # Great circle is slightly shorter than the parallel (0.5 * 111.195 km).
    expected = 2 * R * math.asin(math.cos(math.radians(60.0)) * math.sin(math.radians(0.5)))
    assert at_60 == pytest.approx(expected, rel=1e-12)
    assert 55.5 < at_60 < 111.19508 / 2


def test_antipodes_and_zero() -> None:
    assert ref.distance_km(Vol("v", (0.0, 0.0)), Nd("n", (0.0, 180.0)), "geo") == pytest.approx(
        math.pi * R, rel=1e-12
    )
    assert ref.distance_km(Vol("v", (12.3, 45.6)), Nd("n", (12.3, 45.6)), "geo") == 0.0


def test_plane_distance() -> None:
    assert ref.distance_km(Vol("v", (1.0, 1.0)), Nd("n", (4.0, 5.0)), "plane") == 5.0
    assert ref.distance_km(Vol("v", (0.0, 0.0)), Nd("n", (-3.0, 0.0)), "plane") == 3.0


def test_unknown_geometry() -> None:
    with pytest.raises(ValueError):
        ref.distance_km(Vol("v"), Nd("n"), "torus")


# --------------------------------------------------------------------------- feasibility


def feas(v: Vol, n: Nd, policy: Pol = PLANE, **kw: Any) -> int | None:
    return ref.pair_feasible(v, n, Prob((v,), (n,), policy, **kw))


def test_feasible_default() -> None:
    assert feas(Vol("v"), Nd("n", (1.0, 1.0))) is None


def test_rule_1_skills() -> None:
    n = Nd("n", skills={"nursing": 3, "driving": 1})
    assert feas(Vol("v", skills={"nursing": 3, "driving": 2}), n) is None
    assert feas(Vol("v", skills={"nursing": 2, "driving": 5}), n) == 1
    assert feas(Vol("v", skills={"nursing": 5}), n) == 1  # driving missing = level 0
    # Skills that are not required never matter.
    assert feas(Vol("v", skills={"cooking": 5}), Nd("n")) is None


def test_rule_2_distance_limits() -> None:
    v, n = Vol("v"), Nd("n", (3.0, 0.0))
    assert feas(v, n) is None  # d == 3.0 == limit: feasible, no tolerance needed
    assert feas(v, Nd("n", (3.0 + 1e-12, 0.0))) == 2
    assert feas(replace(v, max_distance_km=2.5), n) == 2  # own limit tighter
    assert feas(replace(v, max_distance_km=10.0), Nd("n", (5.0, 0.0))) == 2  # global limit
    no_limit = replace(PLANE, max_distance_km=None)
    assert feas(v, Nd("n", (500.0, 0.0)), no_limit) is None
    assert feas(replace(v, max_distance_km=4.0), Nd("n", (5.0, 0.0)), no_limit) == 2
    assert feas(replace(v, max_distance_km=5.0), Nd("n", (5.0, 0.0)), no_limit) is None


def test_rule_2_geo() -> None:
    pol = Pol(max_distance_km=111.0)
    assert feas(Vol("v", (0.0, 0.0)), Nd("n", (1.0, 0.0)), pol) == 2
    assert feas(Vol("v", (0.0, 0.0)), Nd("n", (0.99, 0.0)), pol) is None


def test_rule_3_slots() -> None:
    assert feas(Vol("v", slots=frozenset({"sat-am"})), Nd("n", slot="sat-am")) is None
    assert feas(Vol("v", slots=frozenset({"sat-am"})), Nd("n", slot="sun-pm")) == 3
    assert feas(Vol("v", slots=frozenset()), Nd("n", slot="sun-pm")) == 3
    assert feas(Vol("v", slots=None), Nd("n", slot="sun-pm")) is None
    assert feas(Vol("v", slots=frozenset()), Nd("n", slot=None)) is None


def test_rule_4_community() -> None:
    same = replace(PLANE, same_community=True)
    assert feas(Vol("v", community="a"), Nd("n", community="a"), same) is None
    assert feas(Vol("v", community="a"), Nd("n", community="b"), same) == 4
    assert feas(Vol("v", community=None), Nd("n", community=None), same) == 4
    assert feas(Vol("v", community="a"), Nd("n", community=None), same) == 4
    assert feas(Vol("v", community="a"), Nd("n", community="b")) is None  # rule off


def test_rule_5_available() -> None:
    assert feas(Vol("v", capacity=0), Nd("n")) == 5
    assert feas(Vol("v"), Nd("n"), forbidden=[("n", "v")]) == 5
    assert feas(Vol("v"), Nd("n"), forbidden=[("n", "w"), ("m", "v")]) is None


def test_rules_reported_in_order() -> None:
    v = Vol("v", capacity=0, slots=frozenset({"x"}), community="a")
    n = Nd("n", (9.0, 0.0), skills={"s": 1}, slot="y", community="b")
    same = replace(PLANE, same_community=True)
    assert feas(v, n, same) == 1
    assert feas(v, replace(n, skills={}), same) == 2
    assert feas(v, replace(n, skills={}, location=(0.0, 0.0)), same) == 3
    assert feas(v, replace(n, skills={}, location=(0.0, 0.0), slot="x"), same) == 4
    assert feas(v, replace(n, skills={}, location=(0.0, 0.0), slot="x", community="a"), same) == 5


# --------------------------------------------------------------------------- costs


def test_edge_cost_all_terms() -> None:
    v = Vol(
        "v",
        (0.0, 0.0),
        skills={"nursing": 4, "driving": 3, "cooking": 5},
        categories=frozenset({"repair"}),
        community="a",
    )
    n = Nd("n", (0.9, 1.2), category="care", skills={"nursing": 2, "driving": 1}, community="b")
    # d = 1.5; over = (4-2)+(3-1) = 4 -> 0.4; preference miss 1.0; outside 0.5.
    assert ref.edge_float_cost(v, n, PLANE) == pytest.approx(3.4, abs=1e-12)
    assert ref.edge_int_cost(v, n, PLANE) == 3400
    w = W(distance=2.0, overskill=1.0, preference=10.0, outside=100.0)
    assert (
        ref.edge_int_cost(v, n, replace(PLANE, weights=w, resolution=0.01)) == 11700
    )  # 2*1.5 + 1*4 + 10 + 100 = 117


def test_edge_cost_zero_terms() -> None:
    n = Nd("n", (0.0, 2.0), category="care", community="b")
    assert ref.edge_int_cost(Vol("v", community=None), n, PLANE) == 2000  # unknown community
    assert ref.edge_int_cost(Vol("v", categories=frozenset({"care"})), n, PLANE) == 2000
    assert ref.edge_int_cost(Vol("v", categories=frozenset()), n, PLANE) == 2000
    assert ref.edge_int_cost(Vol("v", community="b"), n, PLANE) == 2000


def test_edge_cost_matches_literal_expression_geo() -> None:
    v = Vol("v", (48.1, 11.5), skills={"a": 3}, categories=frozenset({"x"}), community="c")
    n = Nd("n", (48.11, 11.52), category="y", skills={"a": 1}, community="d")
    d = ref.distance_km(v, n, "geo")
    expected = 1.0 * d + 0.1 * 2.0 + 1.0 * 1.0 + 0.5 * 1.0
    assert ref.edge_float_cost(v, n, Pol()) == expected  # bit for bit
    assert ref.edge_int_cost(v, n, Pol()) == round(expected / 0.001)


def test_rounding_half_to_even() -> None:
    pol = replace(PLANE, weights=W(1.0, 0.0, 0.0, 0.0), resolution=1.0, max_distance_km=None)
    assert ref.edge_int_cost(Vol("v"), Nd("n", (2.5, 0.0)), pol) == 2
    assert ref.edge_int_cost(Vol("v"), Nd("n", (3.5, 0.0)), pol) == 4
    assert ref.edge_int_cost(Vol("v"), Nd("n", (0.5, 0.0)), pol) == 0


def test_skills_as_plain_collection_mean_level_one() -> None:
    v = Vol("v", skills=frozenset({"a", "b"}))  # type: ignore[arg-type]
    assert feas(v, Nd("n", skills={"a": 1})) is None
    assert feas(v, Nd("n", skills={"a": 2})) == 1
    assert feas(Vol("v", skills={"a": 3}), Nd("n", skills=["a"])) is None  # type: ignore[arg-type]


def test_load_and_unit_penalties() -> None:
    pol = replace(PLANE, load_penalty=0.25, unmatched_cost=2.0)
    assert ref.load_int_penalty(pol) == 250
    assert ref.unit_int_penalty(Nd("n", priority=3), pol) == 6000
    assert ref.unit_int_penalty(Nd("n", priority=3), PLANE) == 0


def test_evaluate_load_and_penalty() -> None:
    v = Vol("v", capacity=3)
    w = Vol("w", (1.0, 0.0))
    needs = (
        Nd("a", (0.0, 1.0), priority=2),
        Nd("b", (0.0, 2.0), priority=3, demand=2),
        Nd("c", (0.0, 0.5), priority=5),
    )
    pol = replace(PLANE, load_penalty=0.25, unmatched_cost=1.0)
    p = Prob((v, w), needs, pol)
    # v takes a, b, c (k=3: load 250*(0+1+2)=750), w takes nothing; b misses 1 unit.
    sp, ic, ip = ref.evaluate(p, [("a", "v"), ("b", "v"), ("c", "v")])
    assert sp == 2 + 3 + 5
    assert ic == 1000 + 2000 + 500 + 750
    assert ip == 3000
    # Nothing served: every unit pays.
    assert ref.evaluate(p, []) == (0, 0, 2000 + 2 * 3000 + 5000)
    # Lexicographic policy: no penalty reported.
    assert ref.evaluate(replace(p, policy=PLANE), [("a", "v")]) == (2, 1000, 0)


# --------------------------------------------------------------------------- check_result

SLOT_PROBLEM = Prob(
    volunteers=(
        Vol("v1", capacity=2),
        Vol("v2", (1.0, 0.0), capacity=1),
        Vol("v3", (0.0, 1.0), capacity=2, skills={"med": 2}),
    ),
    needs=(
        Nd("n1", (0.5, 0.0), slot="sat", priority=3),
        Nd("n2", (0.0, 0.5), slot="sat", demand=2),
        Nd("n3", (1.0, 1.0), skills={"med": 1}, priority=2),
    ),
    policy=PLANE,
    pinned=(("n3", "v3"),),
    forbidden=(("n1", "v2"),),
)
VALID = [("n1", "v1"), ("n2", "v2"), ("n2", "v3"), ("n3", "v3")]


def errors_of(result: Any, problem: Prob = SLOT_PROBLEM) -> list[str]:
    return ref.check_result(problem, result)


def test_check_result_accepts_valid() -> None:
    assert errors_of(make_result(SLOT_PROBLEM, VALID)) == []
    # The empty plan breaks only the pin.
    errs = errors_of(make_result(SLOT_PROBLEM, []))
    assert len(errs) == 1 and "pinned" in errs[0]


def _with_matches(pairs: list[tuple[str, str]], sort: bool = True) -> Any:
    res = make_result(SLOT_PROBLEM, pairs)
    if not sort:
        res.matches = [SimpleNamespace(need_id=a, volunteer_id=b) for a, b in pairs]
    return res


@pytest.mark.parametrize(
    ("pairs", "needle"),
    [
        # v2 cannot do n3 (skill) -> rule 1 named; n3 gets two volunteers etc.
        ([("n1", "v1"), ("n2", "v3"), ("n3", "v3"), ("n3", "v2")], "rule 1 (skills)"),
        ([("n1", "v2"), ("n3", "v3")], "forbidden pair ('n1', 'v2')"),
        ([("n1", "v2"), ("n3", "v3")], "rule 5 (available)"),
        ([("n2", "v1"), ("n2", "v2"), ("n2", "v3"), ("n3", "v3")], "over demand"),
        ([("n2", "v2"), ("n3", "v2"), ("n3", "v3")], "over capacity"),
        ([("n2", "v3"), ("n2", "v3"), ("n3", "v3")], "duplicate pair"),
        ([("n1", "v1"), ("n2", "v1"), ("n3", "v3")], "slot 'sat'"),
        ([("n1", "v1"), ("n2", "v2")], "pinned pair ('n3', 'v3') missing"),
    ],
)
def test_check_result_catches(pairs: list[tuple[str, str]], needle: str) -> None:
    errs = errors_of(_with_matches(pairs))
    assert any(needle in e for e in errs), errs


def test_check_result_distance_rule_named() -> None:
    p = replace(SLOT_PROBLEM, needs=(*SLOT_PROBLEM.needs, Nd("n4", (9.0, 0.0))))
    errs = ref.check_result(p, make_result(p, [*VALID, ("n4", "v2")]))
    assert any("rule 2 (distance)" in e for e in errs), errs


def test_check_result_slot_none_needs_do_not_count() -> None:
    p = replace(SLOT_PROBLEM, needs=(Nd("a"), Nd("b"), Nd("c", slot="sat")), pinned=())
    assert ref.check_result(p, make_result(p, [("a", "v1"), ("b", "v1")])) == []
    assert ref.check_result(p, make_result(p, [("a", "v1"), ("c", "v1")])) == []
    # With one_need_per_slot off two needs of one slot are fine.
    p2 = replace(SLOT_PROBLEM, policy=replace(PLANE, one_need_per_slot=False))
    assert ref.check_result(p2, make_result(p2, [("n1", "v1"), ("n2", "v1"), ("n3", "v3")])) == []


def test_check_result_sorting() -> None:
    res = _with_matches([("n2", "v2"), ("n1", "v1"), ("n2", "v3"), ("n3", "v3")], sort=False)
    assert errors_of(res) == ["matches not sorted by (need_id, volunteer_id)"]
    res = _with_matches([("n2", "v3"), ("n2", "v2"), ("n1", "v1"), ("n3", "v3")], sort=False)
    assert "matches not sorted by (need_id, volunteer_id)" in errors_of(res)
    res = make_result(SLOT_PROBLEM, [("n3", "v3")])
    res.unmatched = list(reversed(res.unmatched))
    assert errors_of(res) == ["unmatched not sorted by need_id"]


def test_check_result_accounting() -> None:
    base = [("n1", "v1"), ("n2", "v2"), ("n3", "v3")]  # n2 misses one unit
    res = make_result(SLOT_PROBLEM, base)
    assert errors_of(res) == []
    assert [(u.need_id, u.missing) for u in res.unmatched] == [("n2", 1)]

    wrong = make_result(SLOT_PROBLEM, base)
    wrong.unmatched[0].missing = 2
    assert any("served 1 + missing 2 != demand 2" in e for e in errors_of(wrong))

    absent = make_result(SLOT_PROBLEM, base)
    absent.unmatched = []
    assert any("'n2' served 1 of 2 units but is not in unmatched" in e for e in errors_of(absent))

    zero = make_result(SLOT_PROBLEM, VALID)
    zero.unmatched = [SimpleNamespace(need_id="n1", missing=0, reason="taken")]
    errs = errors_of(zero)
    assert any("not positive" in e for e in errs), errs

    unknown = make_result(SLOT_PROBLEM, VALID)
    unknown.unmatched = [SimpleNamespace(need_id="zz", missing=1, reason="taken")]
    assert any("unknown need id 'zz'" in e for e in errors_of(unknown))

    twice = make_result(SLOT_PROBLEM, base)
    twice.unmatched = [twice.unmatched[0], twice.unmatched[0]]
    assert any("more than once" in e for e in errors_of(twice))

    reason = make_result(SLOT_PROBLEM, base, reason="because")
    assert any("unknown reason 'because'" in e for e in errors_of(reason))

    not_int = make_result(SLOT_PROBLEM, base)
    not_int.unmatched[0].missing = 1.0
    assert any("not an int" in e for e in errors_of(not_int))


def test_check_result_unknown_match_ids() -> None:
    res = make_result(SLOT_PROBLEM, VALID)
    res.matches = [*res.matches, SimpleNamespace(need_id="n9", volunteer_id="v9")]
    errs = errors_of(res)
    assert any("unknown need id 'n9'" in e for e in errs)
    assert any("unknown volunteer id 'v9'" in e for e in errs)


@pytest.mark.parametrize("name", ["served_priority", "int_cost", "int_penalty"])
def test_check_result_objective(name: str) -> None:
    res = make_result(SLOT_PROBLEM, VALID)
    setattr(res.objective, name, getattr(res.objective, name) + 1)
    errs = errors_of(res)
    assert len(errs) == 1 and f"objective.{name}" in errs[0], errs


# --------------------------------------------------------------------------- hand-solved


def test_lexicographic_prefers_urgent_need_at_higher_cost() -> None:
    # One volunteer, capacity 1: a cheap priority-1 need at 0.1 km and a
    # priority-5 need at 2.9 km.  Coverage first: serve the urgent one.
    p = Prob(
        (Vol("v"),),
        (Nd("cheap", (0.1, 0.0), priority=1), Nd("urgent", (0.0, 2.9), priority=5)),
        PLANE,
    )
    assert both_optima(p) == ((5, 2900, 0), (5, 2900, 0))
    plan, triple = ref.milp_plan(p)
    assert plan == [("urgent", "v")] and triple == (5, 2900, 0)
    # With a finite unmatched cost of 0.5 per priority unit, the urgent unit costs
    # 2.5 unserved < 2.9 served: leave it and serve the cheap one instead.
    pf = replace(p, policy=replace(PLANE, unmatched_cost=0.5))
    assert ref.brute_force(pf) == (1, 100, 2500)
    assert ref.milp_optimum(pf) == (1, 100, 2500)


def test_lexicographic_two_low_beat_one_high() -> None:
    # Priority 3 + 3 > 5: a two-capacity volunteer serving both cheap needs.
    p = Prob(
        (Vol("v", capacity=2), Vol("w", (10.0, 0.0))),
        (Nd("a", (1.0, 0.0), priority=3), Nd("b", (2.0, 0.0), priority=3)),
        PLANE,
    )
    assert both_optima(p) == ((6, 3000, 0), (6, 3000, 0))


def test_binding_slot_constraint() -> None:
    v = Vol("v", capacity=2)
    needs = (Nd("a", (1.0, 0.0), slot="sat", priority=2), Nd("b", (2.0, 0.0), slot="sat"))
    p = Prob((v,), needs, PLANE)
    assert both_optima(p) == ((2, 1000, 0), (2, 1000, 0))
    free = replace(p, policy=replace(PLANE, one_need_per_slot=False))
    assert both_optima(free) == ((3, 3000, 0), (3, 3000, 0))
    # Different slots do not interact.
    other = replace(p, needs=(needs[0], replace(needs[1], slot="sun")))
    assert both_optima(other) == ((3, 3000, 0), (3, 3000, 0))


def test_load_penalty_spreads_work() -> None:
    # v is 1 km from both needs, w 1.5 km.  Without load v takes both (2000);
    # with L = 1.0 km-equivalent, v twice costs 2000 + 1000 > 1000 + 1500.
    vols = (Vol("v", (0.0, 0.0), capacity=2), Vol("w", (0.0, 0.5), capacity=2))
    needs = (Nd("a", (1.0, 0.0)), Nd("b", (-1.0, 0.0)))
    p = Prob(vols, needs, PLANE)
    assert ref.evaluate(p, [("a", "w")])[1] == round(math.sqrt(1.25) / 0.001)
    d_w = round(math.sqrt(1.25) / 0.001)  # 1118
    assert both_optima(p) == ((2, 2000, 0), (2, 2000, 0))
    spread = replace(p, policy=replace(PLANE, load_penalty=1.0))
    assert both_optima(spread) == ((2, 1000 + d_w, 0), (2, 1000 + d_w, 0))
    plan, _ = ref.milp_plan(spread)
    assert {vid for _, vid in plan} == {"v", "w"}
    # A small load penalty does not spread: 2000 + 100 < 1000 + 1118.
    light = replace(p, policy=replace(PLANE, load_penalty=0.1))
    assert both_optima(light) == ((2, 2100, 0), (2, 2100, 0))


def test_finite_unmatched_cost_leaves_need_unserved() -> None:
    # Serving the far need costs 2.5 but leaving it costs 1.0 * priority 2 = 2.0.
    p = Prob(
        (Vol("v", capacity=2),),
        (Nd("near", (0.5, 0.0), priority=1), Nd("far", (2.5, 0.0), priority=2)),
        replace(PLANE, unmatched_cost=1.0),
    )
    bf, mo = both_optima(p)
    assert bf == mo == (1, 500, 2000)
    plan, _ = ref.milp_plan(p)
    res = make_result(p, plan, reason="not_worth")
    assert ref.check_result(p, res) == []
    assert [(u.need_id, u.missing) for u in res.unmatched] == [("far", 1)]
    # Raise the penalty: now it is worth serving.
    p3 = replace(p, policy=replace(PLANE, unmatched_cost=1.5))
    assert ref.brute_force(p3) == ref.milp_optimum(p3) == (3, 3000, 0)


def test_demand_two_needs_two_distinct_volunteers() -> None:
    p = Prob(
        (Vol("v", capacity=3), Vol("w", (0.0, 2.0), capacity=3)),
        (Nd("a", (0.0, 1.0), demand=2, priority=4),),
        PLANE,
    )
    assert both_optima(p) == ((8, 2000, 0), (8, 2000, 0))
    # Only one volunteer: one unit at most (a pair counts once).
    p1 = replace(p, volunteers=p.volunteers[:1])
    assert both_optima(p1) == ((4, 1000, 0), (4, 1000, 0))


def test_pinned_and_forbidden() -> None:
    vols = (Vol("v"), Vol("w", (2.0, 0.0)))
    needs = (Nd("a", (1.0, 0.0)), Nd("b", (0.0, 0.5)))
    p = Prob(vols, needs, PLANE)
    assert both_optima(p) == ((2, 1500, 0), (2, 1500, 0))  # a-w 1000, b-v 500
    pinned = replace(p, pinned=[("a", "v")])  # b now goes to w (sqrt(4.25) km)
    d = round(math.sqrt(4.25) / 0.001)
    assert both_optima(pinned) == ((2, 1000 + d, 0), (2, 1000 + d, 0))
    forb = replace(p, forbidden=[("b", "v")])
    assert both_optima(forb) == ((2, 1000 + d, 0), (2, 1000 + d, 0))
    # Forbidding everything for b: only a is served, by the cheaper volunteer.
    none_b = replace(p, forbidden=[("b", "v"), ("b", "w")])
    assert both_optima(none_b) == ((1, 1000, 0), (1, 1000, 0))


@pytest.mark.parametrize(
    "bad",
    [
        {"pinned": [("a", "zz")]},  # unknown volunteer
        {"pinned": [("a", "v")], "forbidden": [("a", "v")]},  # pinned and forbidden
        {"pinned": [("far", "v")]},  # out of range
        {"pinned": [("a", "v"), ("b", "v")]},  # over capacity
    ],
)
def test_impossible_pins_raise(bad: dict[str, Any]) -> None:
    p = Prob(
        (Vol("v"), Vol("w", (1.0, 0.0))),
        (Nd("a", (1.0, 0.0)), Nd("b"), Nd("far", (9.0, 0.0))),
        PLANE,
        **bad,
    )
    with pytest.raises(ValueError):
        ref.brute_force(p)
    with pytest.raises(ValueError):
        ref.milp_optimum(p)


def test_no_edges() -> None:
    p = Prob((Vol("v", capacity=0),), (Nd("a", demand=2, priority=3),), PLANE)
    assert both_optima(p) == ((0, 0, 0), (0, 0, 0))
    pf = replace(p, policy=replace(PLANE, unmatched_cost=1.0))
    assert both_optima(pf) == ((0, 0, 6000), (0, 0, 6000))
    assert ref.brute_force(Prob((), (), PLANE)) == (0, 0, 0)
    assert ref.milp_optimum(Prob((), (), PLANE)) == (0, 0, 0)


# --------------------------------------------------------------------------- random


def random_problem(rng: np.random.Generator, nv_max: int = 4, nn_max: int = 4) -> Prob:
    """A random tiny problem exercising every rule and cost term."""
    geo = rng.random() < 0.25
    skills = ["a", "b"]
    slots = ["s1", "s2"]
    comms = ["c1", "c2", None]
    cats = ["care", "ride", "form"]

    def loc() -> tuple[float, float]:
        if geo:
            return (48.0 + float(rng.uniform(0, 0.025)), 11.0 + float(rng.uniform(0, 0.035)))
        return (float(rng.uniform(0, 2.5)), float(rng.uniform(0, 2.5)))

    vols = []
    for i in range(int(rng.integers(1, nv_max + 1))):
        vols.append(
            Vol(
                f"v{i}",
                loc(),
                skills={s: int(rng.integers(1, 6)) for s in skills if rng.random() < 0.7},
                capacity=int(rng.choice([0, 1, 1, 2, 2, 3, 3])),
                slots=None
                if rng.random() < 0.4
                else frozenset(s for s in slots if rng.random() < 0.6),
                max_distance_km=None if rng.random() < 0.7 else float(rng.uniform(1.0, 4.0)),
                categories=frozenset(c for c in cats if rng.random() < 0.3),
                community=comms[int(rng.integers(0, 3))],
            )
        )
    needs = []
    for j in range(int(rng.integers(1, nn_max + 1))):
        needs.append(
            Nd(
                f"n{j}",
                loc(),
                category=cats[int(rng.integers(0, 3))],
                skills={s: int(rng.integers(1, 4)) for s in skills if rng.random() < 0.35},
                slot=None if rng.random() < 0.3 else slots[int(rng.integers(0, 2))],
                demand=int(rng.integers(1, 3)),
                priority=int(rng.integers(1, 6)),
                community=comms[int(rng.integers(0, 3))],
            )
        )
    policy = Pol(
        max_distance_km=None if rng.random() < 0.2 else float(rng.choice([2.0, 3.0])),
        same_community=bool(rng.random() < 0.15),
        one_need_per_slot=bool(rng.random() < 0.7),
        geometry="geo" if geo else "plane",
        weights=W(
            float(rng.choice([1.0, 0.5, 2.0])),
            float(rng.choice([0.1, 0.0, 0.3])),
            float(rng.choice([1.0, 0.0])),
            float(rng.choice([0.5, 0.0, 1.5])),
        ),
        load_penalty=float(rng.choice([0.0, 0.0, 0.3, 1.0, 2.5])),
        unmatched_cost=None if rng.random() < 0.5 else float(rng.choice([0.2, 0.5, 1.0, 2.0])),
        resolution=float(rng.choice([0.001, 0.001, 0.01, 0.1])),
    )
    pairs = [(n.id, v.id) for n in needs for v in vols]
    order = rng.permutation(len(pairs))
    forbidden = [pairs[k] for k in order[: int(rng.integers(0, 3))]]
    pinned: list[tuple[str, str]] = []
    if rng.random() < 0.3:
        # Usually a feasible pair, sometimes any pair (then both oracles must refuse).
        prob0 = Prob(vols, needs, policy, (), forbidden)
        ok = [(n.id, v.id) for n in needs for v in vols if ref.pair_feasible(v, n, prob0) is None]
        pool = ok if ok and rng.random() < 0.85 else pairs
        pinned = [pool[int(k)] for k in rng.choice(len(pool), size=min(2, len(pool)))]
    return Prob(tuple(vols), tuple(needs), policy, tuple(pinned), tuple(forbidden))


def compare(p: Prob) -> None:
    try:
        bf = ref.brute_force(p)
    except ValueError:
        with pytest.raises(ValueError):
            ref.milp_optimum(p)
        return
    plan, mo = ref.milp_plan(p)
    assert ref.check_result(p, make_result(p, plan)) == []
    if p.policy.unmatched_cost is None:
        assert bf == mo, p
        assert bf[2] == 0
    else:
        assert bf[1] + bf[2] == mo[1] + mo[2], p


def test_brute_force_agrees_with_milp_random() -> None:
    rng = np.random.default_rng(20240611)
    kinds = {"lex": 0, "finite": 0, "refused": 0}
    nontrivial = 0
    for _ in range(500):
        p = random_problem(rng)
        compare(p)
        try:
            bf = ref.brute_force(p)
        except ValueError:
            kinds["refused"] += 1
            continue
        kinds["lex" if p.policy.unmatched_cost is None else "finite"] += 1
        nontrivial += bf[0] > 0
    # The generator must actually exercise both objectives and non-empty plans.
    assert kinds["lex"] > 150 and kinds["finite"] > 150 and kinds["refused"] > 10, kinds
    assert nontrivial > 200


def test_brute_force_agrees_with_milp_dense() -> None:
    # Crowded instances: everything close, so capacities, demands and slots bind.
    rng = np.random.default_rng(7)
    for _ in range(60):
        p = random_problem(rng)
        close = replace(p.policy, max_distance_km=None, same_community=False)
        vols = tuple(
            replace(v, max_distance_km=None, slots=None, skills={"a": 5, "b": 5})
            for v in p.volunteers
        )
        compare(replace(p, volunteers=vols, policy=close))


def test_negative_load_penalty_still_exact() -> None:
    # Not a valid policy for the library (load must be convex), but the oracles
    # stay exact: brute force stops pruning on cost, the MILP orders binary y.
    rng = np.random.default_rng(99)
    for _ in range(40):
        p = random_problem(rng)
        compare(replace(p, policy=replace(p.policy, load_penalty=-0.3)))


def test_brute_force_worst_case_speed() -> None:
    vols = tuple(Vol(f"v{i}", (0.1 * i, 0.0), capacity=3) for i in range(4))
    needs = tuple(Nd(f"n{j}", (0.0, 0.2 * j), demand=2, priority=j + 1) for j in range(4))
    for pol in (PLANE, replace(PLANE, load_penalty=0.4), replace(PLANE, unmatched_cost=0.3)):
        p = Prob(vols, needs, replace(pol, one_need_per_slot=False))
        t0 = time.perf_counter()
        bf = ref.brute_force(p)
        elapsed = time.perf_counter() - t0
        assert elapsed < 1.0, elapsed
        mo = ref.milp_optimum(p)
        assert bf[1] + bf[2] == mo[1] + mo[2]
        if pol.unmatched_cost is None:
            assert bf == mo


# --------------------------------------------------------------------------- medium


def medium_problem(seed: int, capacity_one: bool) -> Prob:
    rng = np.random.default_rng(seed)
    vols = tuple(
        Vol(
            f"v{i:02d}",
            (float(rng.uniform(0, 6)), float(rng.uniform(0, 6))),
            skills={"a": int(rng.integers(1, 6))},
            capacity=1 if capacity_one else int(rng.integers(0, 4)),
            slots=None
            if capacity_one
            else frozenset({"s1", "s2", "s3"} - {f"s{rng.integers(1, 4)}"}),
            categories=frozenset({"care"}) if rng.random() < 0.3 else frozenset(),
            community=f"c{rng.integers(0, 2)}",
        )
        for i in range(30)
    )
    needs = tuple(
        Nd(
            f"n{j:02d}",
            (float(rng.uniform(0, 6)), float(rng.uniform(0, 6))),
            category="care" if rng.random() < 0.5 else "ride",
            skills={"a": int(rng.integers(1, 4))} if rng.random() < 0.5 else {},
            slot=None if rng.random() < 0.3 else f"s{rng.integers(1, 4)}",
            demand=int(rng.integers(1, 3)),
            priority=int(rng.integers(1, 6)),
            community=f"c{rng.integers(0, 2)}",
        )
        for j in range(40)
    )
    return Prob(vols, needs, replace(PLANE, load_penalty=0.0 if capacity_one else 0.7))


def lsa_optimum(p: Prob) -> tuple[int, int, int]:
    """Third oracle for capacity-1 volunteers: a dense assignment with dummies."""
    assert all(v.capacity == 1 for v in p.volunteers) and not p.pinned
    finite = p.policy.unmatched_cost is not None
    cols = [n for n in p.needs for _ in range(n.demand)]
    cost = {
        (i, j): ref.edge_int_cost(v, n, p.policy)
        for i, v in enumerate(p.volunteers)
        for j, n in enumerate(cols)
        if ref.pair_feasible(v, n, p) is None
    }
    big_m = sum(cost.values()) + 1
    nv = len(p.volunteers)
    mat = np.full((nv, len(cols) + nv), 0.0)
    mat[:, : len(cols)] = 1e12  # no edge: worse than the dummy column
    for (i, j), c in cost.items():
        n = cols[j]
        mat[i, j] = c - ref.unit_int_penalty(n, p.policy) if finite else c - big_m * n.priority
    rows, chosen = linear_sum_assignment(mat)
    plan = [
        (cols[j].id, p.volunteers[i].id)
        for i, j in zip(rows, chosen, strict=True)
        if j < len(cols) and (i, j) in cost
    ]
    return ref.evaluate(p, plan)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_milp_medium_matches_assignment(seed: int) -> None:
    p = medium_problem(seed, capacity_one=True)
    assert ref.milp_optimum(p) == lsa_optimum(p)
    pf = replace(p, policy=replace(p.policy, unmatched_cost=1.2))
    a, b = ref.milp_optimum(pf), lsa_optimum(pf)
    assert a[1] + a[2] == b[1] + b[2]


@pytest.mark.parametrize("seed", [11, 12])
def test_milp_medium_full_model_is_valid(seed: int) -> None:
    p = medium_problem(seed, capacity_one=False)
    t0 = time.perf_counter()
    plan, triple = ref.milp_plan(p)
    assert time.perf_counter() - t0 < 10.0
    assert ref.check_result(p, make_result(p, plan)) == []
    assert triple == ref.evaluate(p, plan)
    assert triple[0] > 0
    # Lexicographic: no plan serves more priority.  Check against the pure
    # coverage optimum with all costs zeroed.
    zero = replace(p.policy, weights=W(0.0, 0.0, 0.0, 0.0), load_penalty=0.0)
    assert ref.milp_optimum(replace(p, policy=zero))[0] == triple[0]
    # Pinning a pair from the optimal plan keeps the optimum.
    pinned = replace(p, pinned=(plan[0], plan[-1]))
    assert ref.milp_optimum(pinned) == triple
