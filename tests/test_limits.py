"""Size limits, integer range and exactness, and inputs that are parsed, never executed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher import (
    Graph,
    InputError,
    Need,
    Policy,
    Problem,
    SizeLimitError,
    Volunteer,
    Weights,
    limits,
    solve,
    solve_graph,
    verify,
)
from matcher import io as mio

PLANE = Policy(geometry="plane", max_distance_km=None)


# ------------------------------------------------------------------ size limits
def test_too_many_records_is_refused_before_validation(monkeypatch):
    monkeypatch.setattr(limits, "MAX_RECORDS", 3)
    vs = [Volunteer(f"v{i}", [], (0.0, 0.0)) for i in range(4)]
    with pytest.raises(SizeLimitError) as err:
        Problem(vs, [], PLANE)
    (p,) = err.value.problems
    assert p.field == "volunteers" and p.kind == "size" and "MAX_RECORDS" in p.expected
    assert isinstance(err.value, InputError) and isinstance(err.value, ValueError)
    Problem(vs[:3], [], PLANE)  # at the limit: fine


def test_a_file_over_the_byte_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "volunteers.csv"
    path.write_text("id,skills,lat,lon\n" + "v1,driving,31.2,121.4\n" * 50, encoding="utf-8")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(SizeLimitError) as err:
        mio.read_volunteers(path)
    assert err.value.problems[0].record == "volunteers.csv"
    assert "MAX_FILE_BYTES" in str(err.value)
    import io

    with pytest.raises(SizeLimitError):
        mio.read_volunteers(io.StringIO(path.read_text(encoding="utf-8")))


def test_the_quadratic_pairing_is_refused_before_it_is_made(monkeypatch):
    # No travel limit anywhere: every volunteer is paired with every need.
    vs = [Volunteer(f"v{i}", [], (float(i), 0.0)) for i in range(80)]
    ns = [Need(f"n{j}", "repair", [], (0.0, float(j))) for j in range(80)]
    p = Problem(vs, ns, PLANE)
    monkeypatch.setattr(limits, "MAX_PAIRS", 6_000)
    with pytest.raises(SizeLimitError) as err:
        solve(p)
    assert err.value.problems[0].field == "candidate pairs"
    monkeypatch.setattr(limits, "MAX_PAIRS", 6_400)
    assert len(solve(p).matches) == 80


def test_limits_are_documented_in_the_docs():
    page = Path(__file__).resolve().parents[1] / "docs" / "user-guide" / "limits.md"
    text = page.read_text(encoding="utf-8")
    for name in ("MAX_FILE_BYTES", "MAX_RECORDS", "MAX_PAIRS"):
        assert f"`{name}`" in text


# ------------------------------------------------- integer range and exactness
def far_apart(x: float) -> Problem:
    vs = [Volunteer("a", [], (0.0, 0.0), capacity=2), Volunteer("b", [], (x, 0.0))]
    ns = [Need("n", "repair", [], (x / 2, 0.0), priority=5), Need("m", "repair", [], (x, 0.0))]
    return Problem(vs, ns, PLANE)


@pytest.mark.parametrize("x", [1e6, 1e9, 1e12])
def test_huge_but_legal_coordinates_stay_exact(x):
    p = far_apart(x)
    r = solve(p)
    assert verify(p, r) == []
    # m is served by b at distance 0; n at x/2 from either: one of them, cost x/2.
    assert r.objective.served_priority == 6
    assert r.objective.int_cost == round(x / 2 / p.policy.resolution)


def test_coordinates_too_large_for_exact_costs_are_refused_naming_the_resolution():
    with pytest.raises(InputError) as err:
        solve(far_apart(1e14))
    assert err.value.problems[0].field == "resolution"
    assert "coarse enough" in str(err.value)
    p = far_apart(1e14)
    r = solve(
        Problem(
            p.volunteers, p.needs, Policy(geometry="plane", max_distance_km=None, resolution=1e3)
        )
    )
    assert r.objective.int_cost == round(1e14 / 2 / 1e3)


@pytest.mark.parametrize(
    "policy, field",
    [
        (Policy(geometry="plane", weights=Weights(distance=1e13)), "resolution"),
        (Policy(geometry="plane", unmatched_cost=1e300), "resolution"),
        (Policy(geometry="plane", load_penalty=1e300), "resolution"),
    ],
)
def test_weights_too_large_for_exact_costs_are_refused(policy, field):
    p = Problem([Volunteer("a", [], (0.0, 0.0))], [Need("n", "repair", [], (0.5, 0.0))], policy)
    with pytest.raises(InputError) as err:
        solve(p)
    assert err.value.problems[0].field == field


def test_huge_legal_weights_and_capacities_stay_exact():
    policy = Policy(geometry="plane", weights=Weights(distance=1e6), load_penalty=1e5)
    vs = [Volunteer("a", [], (0.0, 0.0), capacity=10**9)]
    ns = [Need(f"n{i}", "repair", [], (0.5, 0.0), demand=1) for i in range(3)]
    p = Problem(vs, ns, policy)
    r = solve(p)
    assert verify(p, r) == []
    # three needs at 0.5 km, 1e6 per km, then load penalties 0, 1e5, 2e5
    assert r.objective.int_cost == round((3 * 0.5e6 + 3e5) / policy.resolution)


@pytest.mark.parametrize("field", ["capacity", "demand"])
def test_counts_beyond_the_exact_range_are_refused(field):
    with pytest.raises(InputError) as err:
        if field == "capacity":
            Problem([Volunteer("a", [], (0.0, 0.0), capacity=10**30)], [], PLANE)
        else:
            Problem([], [Need("n", "repair", [], (0.0, 0.0), demand=10**30)], PLANE)
    assert err.value.problems[0].field == field


def test_lexicographic_weight_that_would_overflow_is_refused_with_a_way_out():
    # Integer costs near 2**52 on many pairs: the coverage-first weight B times the
    # number of nodes leaves the exact 64-bit range.
    n = 40
    cost = np.full((n, n), float(2**51))
    g = Graph.from_dense(cost)
    with pytest.raises(matcher.UnsupportedProblem) as err:
        solve_graph(g, "flow")
    assert "resolution" in str(err.value) and "unmatched_cost" in str(err.value)


# --------------------------------------------------- parsed, never executed
def test_the_package_never_executes_or_unpickles_input():
    root = Path(matcher.__file__).resolve().parent
    pattern = re.compile(
        # the builtins (not a method such as re.compile): nothing read is ever run as code
        r"(?<![.\w])(pickle|marshal|shelve|eval|exec|compile|__import__)\s*\(|import pickle"
    )
    offenders = [
        f"{path.name}:{i}"
        for path in root.rglob("*.py")
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []
