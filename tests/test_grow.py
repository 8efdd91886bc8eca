"""The pieces events are kept with: one record's pairs, growing encodings, kept sums.

Each faster or by-difference path is checked against the slow one it stands
for: ``record_pairs`` against the graph ``build`` makes and the candidate
counts of ``Diagnostics``; ``upserted`` in slices against the record-by-record
filter; the integer Gini and exact distance sum against the float formulas;
lazily made maps and fingerprints against eager ones.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import replace
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems

from matcher import Problem
from matcher._frozen import FrozenMap, LazyFrozenMap
from matcher.graph import Built, build, grow
from matcher.graph.grow import AxisIndex, GrowingEncoding, record_pairs
from matcher.model.fingerprint import Fingerprint, fingerprint
from matcher.model.problem import upserted
from matcher.planning._kept import Order
from matcher.result.metrics import exact_sum, gini_of_counts


def _growing(problem: Problem) -> tuple[Built, GrowingEncoding]:
    """The build of *problem*, and a growing encoding of its records."""
    built = build(problem)
    enc, vols, needs = built.diag.encoding, built.volunteers.tolist(), built.needs.tolist()
    return built, GrowingEncoding(enc, vols, needs, problem.policy)


def _edges(problem: Problem) -> set[tuple[str, str, float]]:
    g = build(problem).graph
    assert g.distance_km is not None
    return {
        (g.need_ids[j], g.volunteer_ids[v], d)
        for j, v, d in zip(
            g.need.tolist(), g.volunteer.tolist(), g.distance_km.tolist(), strict=True
        )
    }


@settings(max_examples=budget(0.3), deadline=None)
@given(problem=medium_problems(max_forbidden=0))
def test_one_records_pairs_and_counts_are_the_graphs(problem: Problem) -> None:
    built = build(problem)
    g, enc = built.graph, built.diag.encoding
    nv, nn = g.n_volunteers, g.n_needs
    everyone_v = np.arange(nv, dtype=np.int64)
    everyone_n = np.arange(nn, dtype=np.int64)
    found = set()
    for j in range(nn):  # each need against every volunteer
        rp = record_pairs(enc, np.array([j]), everyone_v)
        assert (rp.need == j).all()
        found |= {
            (g.need_ids[j], g.volunteer_ids[v], d)
            for v, d in zip(rp.volunteer.tolist(), rp.distance_km.tolist(), strict=True)
        }
        assert rp.passed[0].tolist() == built.diag.candidate_counts(np.array([j]))[0].tolist()
    assert found == _edges(problem)
    # each volunteer against every need: what it adds to each need's counts
    total = np.zeros((nn, 5), np.int64)
    pairs = set()
    for v in range(nv):
        rp = record_pairs(enc, everyone_n, np.array([v]))
        total[rp.at] += rp.passed
        assert np.all(rp.passed[:, 0] > 0)  # the needs it has the skills for, only
        pairs |= set(zip(rp.need.tolist(), rp.volunteer.tolist(), strict=True))
    assert np.array_equal(total, built.diag.candidate_counts(everyone_n))
    assert pairs == set(zip(g.need.tolist(), g.volunteer.tolist(), strict=True))


@settings(max_examples=budget(0.2), deadline=None)
@given(problem=medium_problems(max_forbidden=0), data=st.data())
def test_a_growing_encoding_finds_the_pairs_of_the_records_it_holds(
    problem: Problem, data: Any
) -> None:
    """Rows added and retired: the pairs are those of a build of the records alive."""
    built, rows = _growing(problem)
    # medium problems have at least 4 volunteers and 4 needs
    gone_v = data.draw(st.sets(st.integers(0, len(problem.volunteers) - 1), max_size=3))
    gone_n = data.draw(st.sets(st.integers(0, len(problem.needs) - 1), max_size=3))
    for r in gone_v:
        rows.remove_volunteer(r)
    for r in gone_n:
        rows.remove_need(r)
    extra_v = [v for v in problem.volunteers[:2]]
    extra_n = [n for n in problem.needs[:2]]
    assert rows.fits(extra_v, extra_n)
    new_v = [rows.add_volunteer(replace(v, id=v.id + "+")) for v in extra_v]
    new_n = [rows.add_need(replace(n, id=n.id + "+")) for n in extra_n]
    assert new_v == list(range(len(built.volunteers), len(built.volunteers) + len(extra_v)))
    assert new_n == list(range(len(built.needs), len(built.needs) + len(extra_n)))
    vols, needs = rows.live_volunteers(), rows.live_needs()
    for v in vols.tolist():  # the skill groups give what the pair by pair check gives
        a = record_pairs(rows.encoding, needs, np.array([v]))
        b = record_pairs(rows.encoding, needs, np.array([v]), rows.classes)
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    found = set()
    for j in needs.tolist():
        rp = record_pairs(rows.encoding, np.array([j]), vols)
        found |= {
            (rows.needs[j].id, rows.volunteers[v].id, d)
            for v, d in zip(rp.volunteer.tolist(), rp.distance_km.tolist(), strict=True)
        }
    alive = Problem(
        [rows.volunteers[r] for r in vols.tolist()],
        [rows.needs[r] for r in needs.tolist()],
        problem.policy,
    )
    assert found == _edges(alive)
    _near_is_everyone_in_reach(rows)


def _in_reach(needs: np.ndarray, passed: np.ndarray) -> dict[int, list[int]]:
    """Rules 2 to 5's counts of the needs some of them passed."""
    rows = passed[:, 1:].tolist()
    return {n: p for n, p in zip(needs.tolist(), rows, strict=True) if any(p)}


def _near_is_everyone_in_reach(rows: GrowingEncoding) -> None:
    """The band of a record holds every pair of it; rule 1 by group is counted over all."""
    vols, needs = rows.live_volunteers(), rows.live_needs()
    enc, (group, _) = rows.encoding, rows.classes
    for v in vols.tolist():
        near = rows.needs_near(v)
        assert set(near.tolist()) <= set(needs.tolist())
        a = record_pairs(enc, needs, np.array([v]))
        b = record_pairs(enc, near, np.array([v]))
        assert all(np.array_equal(x, y) for x, y in zip(a[:3], b[:3], strict=True))
        assert _in_reach(needs[a.at], a.passed) == _in_reach(near[b.at], b.passed)
    for j in needs.tolist():
        a = record_pairs(enc, np.array([j]), vols)
        b = record_pairs(enc, np.array([j]), rows.volunteers_near(j))
        assert all(np.array_equal(x, y) for x, y in zip(a[:3], b[:3], strict=True))
        assert a.passed[0, 1:].tolist() == b.passed[0, 1:].tolist()
        assert rows.skill_count[group[j]] == a.passed[0, 0]
    _many_needs_at_once_are_one_at_a_time(rows, needs)


def _many_needs_at_once_are_one_at_a_time(rows: GrowingEncoding, needs: np.ndarray) -> None:
    """pairs_of_needs gives, need for need, record_pairs against the band (in passes of 3 too)."""
    for size in (grow._BATCH, 3):
        old, grow._BATCH = grow._BATCH, size
        try:
            many = rows.pairs_of_needs(needs.tolist())
        finally:
            grow._BATCH = old
        assert len(many) == len(needs)
        for j, got in zip(needs.tolist(), many, strict=True):
            one = record_pairs(rows.encoding, np.array([j]), rows.volunteers_near(j))
            assert all(np.array_equal(x, y) for x, y in zip(one, got, strict=True))


@settings(max_examples=budget(0.2), deadline=None)
@given(problem=medium_problems(max_forbidden=0))
def test_rule_one_by_group_follows_volunteers_and_new_groups(problem: Problem) -> None:
    """A need asking for skills in a way no need did makes a group, counted at once."""
    rows = _growing(problem)[1]
    rows.remove_volunteer(0)
    skills = sorted({s for v in problem.volunteers for s in v.skills})
    asks = [{s: level} for s in skills[:2] for level in (1, 2, 3)] + [dict.fromkeys(skills, 1)]
    for k, ask in enumerate(asks):
        rows.add_need(replace(problem.needs[0], id=f"new{k}", skills=ask))
        rows.add_volunteer(replace(problem.volunteers[k % 4], id=f"new{k}"))
    _near_is_everyone_in_reach(rows)


@settings(max_examples=budget(0.3), deadline=None)
@given(
    xs=st.lists(st.floats(-1e3, 1e3), min_size=0, max_size=40),
    added=st.lists(st.floats(-1e3, 1e3), max_size=700),
    queries=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(0, 500)), min_size=1, max_size=5),
)
def test_an_axis_index_finds_what_a_scan_finds(
    xs: list[float], added: list[float], queries: list[tuple[float, float]]
) -> None:
    """Rows added past the re-sort point and before it: the rows within a width, ascending."""
    idx = AxisIndex(np.array(xs, np.float64))
    every = list(xs)
    for x in added:
        idx.add(len(every), x)
        every.append(x)
    for x, w in [*queries, (0.0, math.inf)]:
        want = [r for r, y in enumerate(every) if x - w <= y <= x + w]
        assert idx.within(x, w).tolist() == want


@settings(max_examples=budget(0.05), deadline=None)
@given(problem=medium_problems(max_forbidden=0))
def test_new_names_do_not_fit(problem: Problem) -> None:
    rows = _growing(problem)[1]
    n = problem.needs[0]
    assert rows.fits([], [n])
    assert not rows.fits([], [replace(n, skills={"a_skill_no_one_has": 1})])


@settings(max_examples=budget(0.5), deadline=None)
@given(
    ids=st.lists(st.text("abcdef", min_size=1, max_size=3), unique=True, max_size=30),
    data=st.data(),
)
def test_records_replaced_in_slices_are_those_replaced_one_by_one(
    ids: list[str], data: Any
) -> None:
    class R:
        def __init__(self, x: str) -> None:
            self.id = x

    old = tuple(R(x) for x in ids)
    order = Order(old)
    current = old
    for step in range(data.draw(st.integers(1, 6))):
        have = [r.id for r in current]
        gone = set(data.draw(st.lists(st.sampled_from(have), max_size=3))) if have else set()
        changed = (
            data.draw(st.lists(st.sampled_from(have), max_size=2, unique=True)) if have else []
        )
        fresh = [R(x) for x in changed] + [
            R(f"new{step}.{k}") for k in range(data.draw(st.integers(0, 2)))
        ]
        slow = upserted(current, fresh, gone)
        fast = upserted(current, fresh, gone, order.position)
        assert [r.id for r in fast] == [r.id for r in slow]
        assert all(a is b for a, b in zip(fast, slow, strict=True))
        order.changed(sorted(gone) + [r.id for r in fresh], [r.id for r in fresh], fast)
        current = fast
        assert all(order.position(r.id) == i for i, r in enumerate(current))


@given(st.lists(st.integers(0, 6), max_size=60))
def test_the_integer_gini_is_the_float_formula(loads: list[int]) -> None:
    x = np.array(loads, np.int64)
    got = gini_of_counts(np.bincount(x) if len(x) else np.zeros(0, np.int64))
    if len(x) == 0 or x.sum() == 0:
        assert got == 0.0
        return
    s = np.sort(x).astype(np.float64)
    cum = np.cumsum(s)
    want = max(0.0, float((len(s) + 1 - 2 * (cum / cum[-1]).sum()) / len(s)))
    assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


@given(st.lists(st.floats(0, 1e4, allow_nan=False), max_size=40))
def test_the_exact_sum_is_fsum_and_undoes_exactly(values: list[float]) -> None:
    total = exact_sum(values)
    assert total / (1 << 1074) == math.fsum(values)
    assert total - exact_sum(values[:3]) == exact_sum(values[3:])


def test_a_lazy_map_is_a_frozen_map_once_read() -> None:
    calls = []

    def make() -> dict[str, int]:
        calls.append(1)
        return {"a": 1, "b": 2}

    lazy = LazyFrozenMap(make)
    assert calls == []
    eager = FrozenMap({"b": 2, "a": 1})
    assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
    assert list(lazy.items()) == [("a", 1), ("b", 2)] and lazy.get("c", 0) == 0
    assert calls == [1]  # made once
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert pickle.loads(pickle.dumps(LazyFrozenMap(make))) == eager


@settings(max_examples=budget(0.1), deadline=None)
@given(problem=medium_problems())
def test_a_deferred_fingerprint_is_the_fingerprint(problem: Problem) -> None:
    want = fingerprint(problem)
    cache: dict[int, Any] = {}
    fingerprint(problem, cache=cache)
    for lookup in (None, cache, {}):
        got = Fingerprint.deferred(problem, lookup)
        assert got.problem == want.problem and got == want
        assert pickle.loads(pickle.dumps(Fingerprint.deferred(problem, lookup))) == want
