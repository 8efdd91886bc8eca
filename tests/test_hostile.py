"""Hostile input, class by class: nothing escapes but InputError / UnsupportedProblem,
and nothing valid comes back silently wrong (issue 15).

Each class has a property over random input of its kind, not only the case that
found it: valid input solves to a plan ``verify`` accepts; anything else is
refused with a clear error.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from strategies import budget

from matcher import (
    Graph,
    InputError,
    Need,
    Policy,
    Problem,
    Status,
    UnsupportedProblem,
    Volunteer,
    solve,
    solve_graph,
    verify,
)
from matcher.graph import MAX_INT_COST

# ------------------------------------------------ 1. floors no plan can meet


def test_a_floor_on_a_unit_no_volunteer_belongs_to_is_refused_by_name():
    v = [Volunteer("v1", ["driving"], (0.0, 0.0), unit="bank")]
    n = [Need("n1", "medical", ["driving"], (0.01, 0.0))]
    with pytest.raises(UnsupportedProblem, match="unit 'zzz' needs 1 volunteer engaged"):
        solve(Problem(v, n, Policy(participation_floors={"zzz": 1})))
    with pytest.raises(UnsupportedProblem, match="unit 'bank' needs 2 volunteers"):
        solve(Problem(v, n, Policy(participation_floors={"bank": 2})))
    with pytest.raises(UnsupportedProblem):  # no need at all: nothing can engage anyone
        solve(Problem(v, [], Policy(participation_floors={"bank": 1})))


@settings(max_examples=budget(0.05), deadline=None)
@given(
    units=st.lists(st.sampled_from(["a", "b", None]), min_size=0, max_size=5),
    floors=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3), max_size=3),
    reach=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_floors_are_met_and_verified_or_refused(units, floors, reach):
    vols = [
        Volunteer(f"v{i}", ["x"], (0.0, 0.0 if reach[i] else 50.0), unit=u)
        for i, u in enumerate(units)
    ]
    needs = [Need(f"n{j}", "c", ["x"], (0.0, 0.01 * j)) for j in range(3)]
    p = Problem(vols, needs, Policy(participation_floors=floors))
    try:
        r = solve(p)
    except UnsupportedProblem as exc:
        assert "floor" in str(exc)
        return
    assert r.status is Status.OPTIMAL and verify(p, r) == []


# ------------------------------------------------ 2. valid input that crashed


def test_a_team_with_no_volunteers_is_unserved_not_a_crash():
    for method in ("auto", "milp"):
        r = solve(
            Problem(
                [],
                [
                    Need("n1", "m", [], (0.0, 0.0), group="g"),
                    Need("n2", "m", [], (0.0, 0.0), group="g"),
                ],
            ),
            method,
        )
        assert [u.reason for u in r.unmatched] == ["no_skill", "no_skill"]


@settings(max_examples=budget(0.05), deadline=None)
@given(st.lists(st.floats(-1e300, 1e300), min_size=4, max_size=4))
@example([1e300, 0.0, 1e300, 1.0])
@example([1e15, -1e15, -1e15, 1e15])
def test_plane_coordinates_solve_and_verify_or_are_refused_with_the_limit(xy):
    p_args = (
        [Volunteer("v", [], (xy[0], xy[1]))],
        [Need("n", "m", [], (xy[2], xy[3]))],
        Policy(geometry="plane", max_distance_km=3.0, resolution=1e3),
    )
    try:
        p = Problem(*p_args)
    except InputError as exc:
        assert any("within +-1e+15 km" in str(x) for x in exc.problems)
        assert max(abs(c) for c in xy) > 1e15
        return
    try:
        r = solve(p)
    except InputError as exc:  # a distance too long for the resolution: said so
        assert "resolution" in str(exc)
        return
    assert verify(p, r) == []


# ------------------------------------------------ 3. dense and array graphs


@pytest.mark.parametrize(
    "matrix",
    [
        np.array([[2**63, 1.0]]),
        np.array([[2**64 - 1, 5]], dtype=np.uint64),
        np.array([[np.iinfo(np.int64).min, 1]]),
        np.array([[2**70, 1]], dtype=object),
        np.array([["a", "b"]]),
        np.array([[1 + 1j, 2]]),
        np.array([[True, False]]),
        np.array([[object(), 1]], dtype=object),
    ],
    ids=["2^63", "uint64-max", "int64-min", "bigint", "text", "complex", "bool", "object"],
)
def test_costs_out_of_range_or_not_real_are_refused(matrix):
    with pytest.raises(InputError):
        Graph.from_dense(matrix, resolution=None)
    with pytest.raises(InputError):
        Graph.from_arrays([0] * matrix.shape[1], list(range(matrix.shape[1])), matrix[0])


def test_none_in_an_object_matrix_means_no_pair():
    g = Graph.from_dense(np.array([[None, 2], [1, None]], dtype=object))
    s = solve_graph(g)
    assert g.n_edges == 2 and s.int_cost == 3


@settings(max_examples=budget(0.1), deadline=None)
@given(
    dtype=st.sampled_from(
        [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.uint64, np.float32, np.float64]
    ),
    values=st.lists(st.integers(0, 2**64 - 1), min_size=6, max_size=6),
)
def test_a_dense_graph_of_any_dtype_is_exact_or_refused(dtype, values):
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    vals = [v % (int(info.max) + 1) if info is not None else float(v) for v in values]
    matrix = np.array(vals, dtype=dtype).reshape(2, 3)
    try:
        g = Graph.from_dense(matrix, resolution=None)
    except InputError:
        assert np.abs(matrix.astype(float)).max() > MAX_INT_COST or not np.all(
            matrix.astype(float) == np.round(matrix.astype(float))
        )
        return
    s = solve_graph(g, "flow")
    exact = [[int(x) for x in row] for row in matrix.tolist()]  # the user's numbers, as ints
    rows, cols = linear_sum_assignment(np.array(exact, dtype=object).astype(float))
    assert s.int_cost == sum(exact[r][c] for r, c in zip(rows, cols, strict=True))


# ------------------------------------------------ 5. records from the Python API

keys = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.floats(allow_nan=False))


@settings(max_examples=budget(0.1), deadline=None)
@given(
    skills=st.dictionaries(keys, st.integers(1, 5), max_size=3),
    extra=st.dictionaries(keys, st.text(max_size=2), max_size=3),
    floors=st.dictionaries(keys, st.integers(0, 2), max_size=3),
    dist=st.one_of(st.none(), st.floats(allow_nan=True)),
)
def test_any_mapping_keys_or_travel_limit_give_a_problem_or_an_input_error(
    skills, extra, floors, dist
):
    try:
        Problem(
            [Volunteer("v", skills, (0.0, 0.0), extra=extra, max_distance_km=dist)],
            [Need("n", "c", skills, (0.0, 0.001))],
            Policy(participation_floors=floors),
        )
    except InputError as exc:
        assert exc.problems
        return
    assert dist is None or dist > 0
    assert all(isinstance(k, str) and k for k in skills)
    assert all(isinstance(k, str) for k in extra)


@pytest.mark.parametrize("dist", [0, 0.0, -0.0])
def test_a_travel_limit_of_zero_is_refused(dist):
    with pytest.raises(InputError, match="> 0"):
        Problem([Volunteer("v", [], (0.0, 0.0), max_distance_km=dist)], [])
    with pytest.raises(InputError, match="> 0"):
        Problem([], [], Policy(max_distance_km=dist))


# ------------------------------------------------ found by the fuzz targets


@pytest.mark.parametrize(
    ("churn_cost", "resolution"), [(1.0, 5e-324), (1e300, 0.001), (1e9, 1e-12)]
)
def test_a_churn_cost_beyond_exact_integers_is_refused(churn_cost, resolution):
    p = Problem([], [], Policy(resolution=resolution))
    with pytest.raises(InputError, match="churn_cost"):
        solve(p, previous=solve(p), churn_cost=churn_cost)


@pytest.mark.parametrize(
    "data",
    [{"participation_floors": "abc"}, {"participation_floors": [["a", 1]]}, {"load_penalty": "x"}],
)
def test_a_policy_read_from_a_file_is_checked_whole(data):
    from matcher.io import policy_from_dict

    with pytest.raises(InputError):
        policy_from_dict(data)


def test_a_malformed_forbidden_pair_beside_a_pinned_one_is_reported_not_a_crash():
    # found by tests/fuzz (problem_json): a 4-item forbidden "pair" reached the rule check
    v = [Volunteer("v1", {"nursing": 1}, (31.23, 121.47))]
    n = [Need("n1", "c", {"nursing": 3}, (31.2305, 121.4705))]
    with pytest.raises(InputError) as err:
        Problem(v, n, pinned=[("n1", "v1")], forbidden=[(1, 2, 3, 4)])
    fields = [(x.record, x.field) for x in err.value.problems]
    assert ("forbidden pair #0", "pair") in fields and (
        "pinned pair ('n1', 'v1')",
        "pair",
    ) in fields
