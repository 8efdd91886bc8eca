"""pandas in and out: matcher.io.problem_from_frames and matcher.io.result_to_frame."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matcher import InputError, Policy, Problem, Result, solve
from matcher import io as mio
from matcher.io import problem_from_frames, result_to_frame
from matcher.synthetic import demo

pd = pytest.importorskip("pandas")


def frames_of(problem: Problem) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The problem's records as typed frames (dict skills, list slots, numbers)."""
    vols = pd.DataFrame(
        {
            "id": [v.id for v in problem.volunteers],
            "skills": [dict(v.skills) for v in problem.volunteers],
            "lat": [v.location[0] for v in problem.volunteers],
            "lon": [v.location[1] for v in problem.volunteers],
            "capacity": [v.capacity for v in problem.volunteers],
            "slots": [None if v.slots is None else sorted(v.slots) for v in problem.volunteers],
            "max_distance_km": [v.max_distance_km for v in problem.volunteers],
            "categories": [set(v.categories) for v in problem.volunteers],
            "community": [v.community for v in problem.volunteers],
            "building": [v.building for v in problem.volunteers],
            "unit": [v.unit for v in problem.volunteers],
            "name": [v.extra.get("name", "") for v in problem.volunteers],
        }
    )
    needs = pd.DataFrame(
        {
            "id": [n.id for n in problem.needs],
            "category": [n.category for n in problem.needs],
            "skills": [dict(n.skills) for n in problem.needs],
            "lat": [n.location[0] for n in problem.needs],
            "lon": [n.location[1] for n in problem.needs],
            "slot": [n.slot for n in problem.needs],
            "demand": [n.demand for n in problem.needs],
            "priority": [n.priority for n in problem.needs],
            "community": [n.community for n in problem.needs],
            "building": [n.building for n in problem.needs],
            "household": [n.household for n in problem.needs],
        }
    )
    return vols, needs


def test_frames_give_the_same_problem_as_the_records():
    p = demo().problem()
    vols, needs = frames_of(p)
    q = problem_from_frames(vols, needs, policy=p.policy)
    assert [v.id for v in q.volunteers] == [v.id for v in p.volunteers]
    for a, b in zip(q.volunteers, p.volunteers, strict=True):
        assert (a.skills, a.location, a.capacity, a.slots, a.unit, a.categories) == (
            b.skills,
            b.location,
            b.capacity,
            b.slots,
            b.unit,
            b.categories,
        )
        assert a.extra == {"name": b.extra.get("name", "")}
    assert solve(q).objective == solve(p).objective
    assert [replace(n, extra={}) for n in q.needs] == [replace(n, extra={}) for n in p.needs]


def test_frame_errors_are_all_reported_with_rows_and_fields():
    vols = pd.DataFrame(
        {"id": ["v1", "v2", "v2"], "skills": ["nursing:9", "", ""], "lat": [31.2, np.nan, 95.0],
         "lon": [121.4, 121.4, 121.4], "capacity": [1, -1, 1]}
    )  # fmt: skip
    needs = pd.DataFrame(
        {"id": ["n1"], "category": ["repair"], "skills": [""], "lat": [31.2], "lon": [121.4]}
    )
    with pytest.raises(InputError) as err:
        problem_from_frames(vols, needs)
    found = {(p.row, p.field) for p in err.value.problems}
    assert (2, "skills") in found or any(f.startswith("skills") for _, f in found)
    assert any(row == 3 and "capacity" in f for row, f in found)
    assert any(row == 4 and f in ("lat", "location", "id") for row, f in found)
    assert any(
        "volunteers (DataFrame)" in str(p) or p.kind == "volunteer" for p in err.value.problems
    )


def test_pinned_pairs_pass_through():
    p = demo().problem()
    vols, needs = frames_of(p)
    r = solve(p)
    pin = (r.matches[0].need_id, r.matches[0].volunteer_id)
    q = problem_from_frames(vols, needs, policy=p.policy, pinned=[pin])
    assert q.pinned == (pin,)


def test_result_to_frame_is_tidy_and_carries_extras():
    p = demo().problem()
    r = solve(p)
    plan = result_to_frame(r)
    assert len(plan) == len(r.matches) + len(r.unmatched)
    assert set(plan["status"]) == {"matched", "unmatched"}
    assert plan["cost"].dtype == np.float64 and str(plan["missing"].dtype) == "Int64"
    assert plan["missing"].sum() == sum(u.missing for u in r.unmatched)
    assert list(plan["need_id"]) == sorted(plan["need_id"])
    with_extras = result_to_frame(r, p)
    assert "need.name" in with_extras.columns and "volunteer.name" in with_extras.columns
    header, rows = mio.plan_table(r, p)
    assert list(with_extras.columns) == header and len(with_extras) == len(rows)
    matches = result_to_frame(r, which="matches")
    assert np.isclose(matches["cost"].sum(), sum(m.cost for m in r.matches))
    assert "part.distance" in matches.columns
    unmatched = result_to_frame(r, which="unmatched")
    assert list(unmatched["reason"]) == [u.reason for u in r.unmatched]
    assert "candidates.skills" in unmatched.columns
    with pytest.raises(ValueError):
        result_to_frame(r, which="everything")


def test_empty_results_give_empty_frames():
    r = solve(Problem([], [], Policy()))
    assert isinstance(r, Result)
    assert len(result_to_frame(r)) == 0 and len(result_to_frame(r, which="matches")) == 0
