"""The same answer every time: one regression test per ordering promise.

The promise (README, "The same answer every time"): records are indexed by
their ids in sorted order before anything is solved, so the result -- plan,
certificate, reasons, metrics -- does not depend on the order of the records,
of their skills, slots or categories, of the pinned and forbidden pairs, or on
the process. Byte-identity across processes and ``PYTHONHASHSEED`` is tested
in ``test_verify.py`` (``--no-timings``).
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from matcher import Need, Problem, Volunteer, solve
from matcher.synthetic import demo


@pytest.fixture(scope="module")
def base() -> tuple[Problem, str]:
    problem = demo().problem()
    # a pinned and a forbidden pair or two, so their order is exercised too
    r = solve(problem)
    pinned = [(m.need_id, m.volunteer_id) for m in r.matches[:3]]
    forbidden = [(m.need_id, m.volunteer_id) for m in r.matches[3:6]]
    p = Problem(
        problem.volunteers, problem.needs, problem.policy, pinned=pinned, forbidden=forbidden
    )
    return p, solve(p).to_json(timings=False)


def shuffled(items, seed):
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def reorder_mapping(m):
    return dict(reversed(list(m.items())))


def test_record_order_does_not_matter(base):
    p, want = base
    for seed in range(3):
        q = Problem(
            shuffled(p.volunteers, seed),
            shuffled(p.needs, seed + 10),
            p.policy,
            pinned=p.pinned,
            forbidden=p.forbidden,
        )
        assert solve(q).to_json(timings=False) == want


def test_pinned_and_forbidden_order_does_not_matter(base):
    p, want = base
    q = Problem(
        p.volunteers,
        p.needs,
        p.policy,
        pinned=list(reversed(p.pinned)),
        forbidden=list(reversed(p.forbidden)),
    )
    assert solve(q).to_json(timings=False) == want


def test_skill_slot_and_category_order_does_not_matter(base):
    p, want = base
    vols = [
        Volunteer(
            v.id,
            reorder_mapping(v.skills),
            v.location,
            capacity=v.capacity,
            slots=None if v.slots is None else sorted(v.slots, reverse=True),
            max_distance_km=v.max_distance_km,
            categories=sorted(v.categories, reverse=True),
            community=v.community,
            building=v.building,
            unit=v.unit,
            extra=reorder_mapping(v.extra),
        )
        for v in p.volunteers
    ]
    needs = [replace(n, skills=reorder_mapping(n.skills)) for n in p.needs]
    q = Problem(vols, needs, p.policy, pinned=p.pinned, forbidden=p.forbidden)
    assert solve(q).to_json(timings=False) == want


def test_ties_are_settled_the_same_way_whatever_the_order():
    """Four interchangeable volunteers, two needs: many optimal plans, always the same one."""
    vs = [Volunteer(f"v{i}", ["driving"], (0.0, 0.0)) for i in range(4)]
    ns = [Need(f"n{j}", "medical", ["driving"], (0.0, 0.0)) for j in range(2)]
    plans = set()
    for seed in range(6):
        r = solve(
            Problem(
                shuffled(vs, seed),
                shuffled(ns, seed),
            )
        )
        plans.add(tuple((m.need_id, m.volunteer_id) for m in r.matches))
    assert len(plans) == 1
